//go:build amd64 && !purego

package sampling

import "testing"

// TestKernelsEveryISA runs the bit-for-bit comparison with the AVX2
// kernels and with them switched off, so both dispatch paths are checked
// whatever the default is.
func TestKernelsEveryISA(t *testing.T) {
	avx2 := haveKernelAVX2
	defer func() { haveKernelAVX2 = avx2 }()
	for _, isa := range []struct {
		name string
		use  bool
	}{{"AVX2", true}, {"Go", false}} {
		if isa.use && !avx2 {
			t.Logf("CPU without %s: its kernels are not checked", isa.name)
			continue
		}
		t.Run(isa.name, func(t *testing.T) {
			haveKernelAVX2 = isa.use
			checkKernelsMatchGo(t)
		})
	}
}

// BenchmarkKernelISA times the hot kernels on one [1,4,64,64] latent, Go
// loop against AVX2. Run each ISA in its own process when comparing: the
// first sub-benchmark of a run is often slower on a busy machine.
func BenchmarkKernelISA(b *testing.B) {
	avx2 := haveKernelAVX2
	defer func() { haveKernelAVX2 = avx2 }()
	const n = 4 * 64 * 64
	x, y, d := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%13)/6-1, float32(i%7)/3
	}
	kernels := []struct {
		name string
		run  func()
	}{
		{"toD", func() { toDSlice(d, x, y, 14.6) }},
		{"addScaled", func() { addScaledSlice(d, x, y, -0.3) }},
		{"lin2Sub", func() { lin2SubSlice(d, 0.9, x, -0.1, y) }},
	}
	for _, k := range kernels {
		for _, isa := range []struct {
			name string
			use  bool
		}{{"Go", false}, {"AVX2", true}} {
			if isa.use && !avx2 {
				continue
			}
			b.Run(k.name+"/"+isa.name, func(b *testing.B) {
				haveKernelAVX2 = isa.use
				b.SetBytes(3 * 4 * n)
				for b.Loop() {
					k.run()
				}
			})
		}
	}
}
