//go:build amd64 && !purego

package sampling

import "testing"

// TestKernelsEveryISA runs the bit-for-bit comparison with each kernel
// set the CPU supports forced in turn (AVX-512, AVX2 only), so that an
// AVX-512 machine also checks the AVX2 code.
func TestKernelsEveryISA(t *testing.T) {
	avx2, avx512 := haveKernelAVX2, haveKernelAVX512
	defer func() { haveKernelAVX2, haveKernelAVX512 = avx2, avx512 }()
	for _, isa := range []struct {
		name         string
		use2, use512 bool
	}{
		{"AVX512", true, true},
		{"AVX2", true, false},
		{"Go", false, false},
	} {
		if (isa.use512 && !avx512) || (isa.use2 && !avx2) {
			t.Logf("CPU without %s: its kernels are not checked", isa.name)
			continue
		}
		t.Run(isa.name, func(t *testing.T) {
			haveKernelAVX2, haveKernelAVX512 = isa.use2, isa.use512
			checkKernelsMatchGo(t)
		})
	}
}

// BenchmarkKernelISA times the hot kernels on one [1,4,64,64] latent with
// each instruction set, in the same run.
func BenchmarkKernelISA(b *testing.B) {
	avx2, avx512 := haveKernelAVX2, haveKernelAVX512
	defer func() { haveKernelAVX2, haveKernelAVX512 = avx2, avx512 }()
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
			name         string
			use2, use512 bool
		}{{"Go", false, false}, {"AVX2", true, false}, {"AVX512", true, true}} {
			if (isa.use512 && !avx512) || (isa.use2 && !avx2) {
				continue
			}
			b.Run(k.name+"/"+isa.name, func(b *testing.B) {
				haveKernelAVX2, haveKernelAVX512 = isa.use2, isa.use512
				b.SetBytes(3 * 4 * n)
				for b.Loop() {
					k.run()
				}
			})
		}
	}
}
