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

// BenchmarkAttentionCLIP is one CLIP-L causal self-attention (77 tokens,
// 12 heads of 64) reading q, k and v from the fused [77, 3·768]
// projection.
func BenchmarkAttentionCLIP(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, heads, dh = 77, 12, 64
	ld := heads * dh
	qkv := randSlice(r, n*3*ld)
	out := make([]float32, n*ld)
	c0 := cpuTime()
	for b.Loop() {
		AttentionLD(out, ld, qkv, qkv[ld:], qkv[2*ld:], 3*ld, n, n, heads, dh, 0.125, true)
	}
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N)*1e6, "cpu-us/op")
}
