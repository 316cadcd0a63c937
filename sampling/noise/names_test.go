package noise

import "fmt"

func caseName(ci int, seed uint64, call int, shape []int) string {
	return fmt.Sprintf("case %d seed %d call %d shape %v", ci, seed, call, shape)
}

func inspireName(ci int, c inspireCase) string {
	return fmt.Sprintf("case %d %s %q seed %d var %d/%g/%s shape %v batch_index %v",
		ci, c.Device, c.BatchSeedMode, c.Seed, c.VariationSeed, c.VariationStrength, c.VariationMethod, c.Shape, c.BatchIndex)
}
