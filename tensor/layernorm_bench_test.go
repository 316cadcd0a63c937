package tensor

import "testing"

// BenchmarkLayerNormCLIP times one CLIP LayerNorm (77 tokens × 768) on
// one goroutine.
func BenchmarkLayerNormCLIP(b *testing.B) {
	const rows, dim = 77, 768
	x, g, be := make([]float32, rows*dim), make([]float32, dim), make([]float32, dim)
	for i := range x {
		x[i] = float32(i%97-48) / 13
	}
	for i := range g {
		g[i], be[i] = 1+float32(i%7)/10, float32(i%5)/10
	}
	out := make([]float32, len(x))
	for b.Loop() {
		layerNormRows(out, x, 0, rows, dim, 1e-5, g, be)
	}
}
