package tensor

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkAttention is one SD1.5 self-attention at 64×64 latents: 4096
// tokens, 8 heads of 40.
func BenchmarkAttention(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, heads, dh = 4096, 8, 40
	ld := heads * dh
	q, k, v := randSlice(r, n*ld), randSlice(r, n*ld), randSlice(r, n*ld)
	out := make([]float32, n*ld)
	c0 := cpuTime()
	for b.Loop() {
		Attention(out, q, k, v, n, n, heads, dh, ld, 0.158, false)
	}
	flop := 4 * float64(n) * n * dh * heads * float64(b.N)
	b.ReportMetric(flop/(cpuTime()-c0).Seconds()/1e9, "GFLOP/cpu-s")
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}
