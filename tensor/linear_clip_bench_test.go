package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLinearCLIPShapes times the CLIP-L text encoder's products
// (77 tokens) with a prepacked weight.
func BenchmarkLinearCLIPShapes(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{77, 768, 768}, {77, 2304, 768}, {77, 3072, 768}, {77, 768, 3072}} {
		m, n, k := s[0], s[1], s[2]
		x, w, bias, c := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n), make([]float32, m*n)
		pw := PackLinearWeight(w, n, k)
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				LinearPacked(c, x, m, pw, bias)
			}
			flop := 2 * float64(m*n*k) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(flop/(cpuTime()-c0).Seconds()/1e9, "GFLOP/cpu-s")
		})
	}
}
