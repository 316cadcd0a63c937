package inspire

import (
	"comfyd/nodes"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// randomNoise is RandomNoise (inspire)'s NOISE: Inspire's prepare_noise on
// the chosen device; the sampler's internal noise uses internal_seed
// (noise_seed when the input is absent).
type randomNoise struct {
	noiseSeed, internalSeed uint64
	params                  noise.Params
}

func (n *randomNoise) Seed() uint64 { return n.internalSeed }

func (n *randomNoise) Generate(samples *tensor.Tensor, batchIndex []int) (*tensor.Tensor, error) {
	p := n.params
	p.Shape = samples.Shape
	p.Seed = n.noiseSeed
	p.BatchIndex = batchIndex
	return noise.Prepare(p)
}

func randomNoiseInspire() *nodes.Class {
	return &nodes.Class{
		Name:         "RandomNoise //Inspire",
		DisplayName:  "RandomNoise (inspire)",
		Category:     category,
		PythonModule: module,
		Required: append([]nodes.Input{
			seedInput("noise_seed", seedTip),
			combo("noise_mode", []string{"GPU(=A1111)", "CPU"}),
		}, variationInputs()...),
		Optional: []nodes.Input{
			combo("variation_method", VariationMethods),
			seedInput("internal_seed", internalSeedTip),
		},
		Outputs: []nodes.Output{{Type: "NOISE"}},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			seed, err := in.Uint64("noise_seed")
			if err != nil {
				return nodes.Result{}, err
			}
			nz, err := readNoiseInputs(in)
			if err != nil {
				return nodes.Result{}, err
			}
			n := &randomNoise{noiseSeed: seed, internalSeed: seed, params: noise.Params{
				Device:        noise.DeviceCUDA,
				BatchSeedMode: nz.BatchSeedMode, VariationSeed: nz.VariationSeed,
				VariationStrength: nz.VariationStrength, VariationMethod: nz.VariationMethod,
			}}
			// The reference compares the mode with "CPU" exactly; anything
			// else is the GPU.
			if nz.NoiseMode == "CPU" {
				n.params.Device = noise.DeviceCPU
			}
			if nz.InternalSeed != nil {
				n.internalSeed = *nz.InternalSeed
			}
			return nodes.Result{Outputs: []any{nodes.Noise(n)}}, nil
		},
	}
}
