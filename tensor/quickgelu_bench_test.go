package tensor

import "testing"

// BenchmarkQuickGELU times CLIP's MLP activation on one layer's fc1
// output (77 tokens × 3072) on one goroutine.
func BenchmarkQuickGELU(b *testing.B) {
	x := make([]float32, 77*3072)
	for i := range x {
		x[i] = float32(i%200-100) / 25
	}
	y := make([]float32, len(x))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		copy(y, x)
		quickGELUSerial(y)
	}
}
