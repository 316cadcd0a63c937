package noise

import (
	"math"
	"testing"
)

// TestKernelExhaustive checks the assembly 16-block transform against the
// pure-Go description of spec 2.1 for every possible input: uniforms are
// k * 2^-24, so log sees 2^24 distinct u1 and sincos 2^24 distinct u2.
func TestKernelExhaustive(t *testing.T) {
	if !haveAVX2Kernel {
		t.Skip("no assembly kernel on this CPU/architecture; the Go kernel is the golden-tested path")
	}
	const total = 1 << 24
	const chunkBlocks = 1 << 14
	asm := make([]float32, 16*chunkBlocks)
	ref := make([]float32, 16*chunkBlocks)
	stride := 1 // chunks; -short checks every 16th chunk (about 1M inputs)
	if testing.Short() {
		stride = 16
	}
	for k0 := 0; k0 < total; k0 += 8 * chunkBlocks * stride {
		for b := 0; b < chunkBlocks; b++ {
			for j := 0; j < 8; j++ {
				k := k0 + 8*b + j
				asm[16*b+j] = float32(k) * (1.0 / (1 << 24))           // u1 = 1 - this
				asm[16*b+8+j] = float32(total-1-k) * (1.0 / (1 << 24)) // u2
			}
		}
		copy(ref, asm)
		transformBlocks(asm)
		transformBlocksGo(ref)
		for i := range asm {
			if math.Float32bits(asm[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("block value %d of chunk at k=%d: assembly %v (%#08x), Go %v (%#08x)",
					i, k0, asm[i], math.Float32bits(asm[i]), ref[i], math.Float32bits(ref[i]))
			}
		}
	}
}

// The float32 FMA emulation must agree with a single rounding in the
// double-rounding danger zone: results half way between two float32 values.
func TestFMA32Midpoints(t *testing.T) {
	for _, tc := range []struct{ a, b, c float32 }{
		// 1 + 2^-24 is a float32 midpoint; nudging it by the product decides.
		{0x1p-30, 0x1p-30, 1 + 0x1p-23},
		{0x1p-24, 1, 1},
		{0x1p-24, 1 + 0x1p-23, 1},
		{-0x1p-24, 1 + 0x1p-23, 1},
		{0x1p-24, -1, -1},
		{3, 0x1p-26, 1},
		{1 + 0x1p-23, 1 + 0x1p-23, -1},
		{0x1p-100, 0x1p-40, 0x1p-126},
		// float64 rounds onto the midpoint 2^30+64 from above: naive
		// double rounding gives 2^30, the single rounding 2^30+128.
		{-(24 + 3*0x1p-19), 8 - 0x1p-19, 0x1p30 + 256},
		{24 + 3*0x1p-19, 8 - 0x1p-19, -0x1p30 - 256},
	} {
		got := fma32(tc.a, tc.b, tc.c)
		want := fma32Exact(tc.a, tc.b, tc.c)
		exact := bigFMA32(tc.a, tc.b, tc.c)
		if got != exact || want != exact {
			t.Errorf("fma32(%g, %g, %g) = %g, exact path %g, want %g", tc.a, tc.b, tc.c, got, want, exact)
		}
	}
	// The table really reaches the danger zone.
	a, b, c := float32(-(24 + 3*0x1p-19)), float32(8-0x1p-19), float32(0x1p30+256)
	if naive := float32(math.FMA(float64(a), float64(b), float64(c))); naive == bigFMA32(a, b, c) {
		t.Fatal("midpoint case does not expose double rounding")
	}
}

func TestTwistKernelMatchesGo(t *testing.T) {
	for _, seed := range []uint32{0, 1, 5489, 0xffffffff} {
		var a, b mt19937
		a.seed(seed)
		b.seed(seed)
		for round := 0; round < 3; round++ {
			a.twistAVX2()
			b.twistGo()
			if a.state != b.state {
				t.Fatalf("seed %d round %d: vector twist differs from the scalar one", seed, round)
			}
		}
	}
}

// The Philox assembly must equal the Go model bit for bit: many keys,
// offsets and index ranges, including a range crossing 2^32.
func TestPhiloxKernelMatchesGo(t *testing.T) {
	if !havePhiloxKernel {
		t.Skip("no assembly kernel on this CPU/architecture; the Go model is the golden-tested path")
	}
	forEachPhiloxForm(t, testPhiloxKernelMatchesGo)
}

// forEachPhiloxForm runs f with the AVX2 and, where the CPU has it, the
// AVX-512 forms of the Philox kernels selected.
func forEachPhiloxForm(t *testing.T, f func(t *testing.T)) {
	defer func(v bool) { usePhiloxAVX512 = v }(usePhiloxAVX512)
	for _, avx512 := range []bool{false, true} {
		if avx512 && !havePhiloxAVX512 {
			t.Log("no AVX-512 on this CPU: only the AVX2 form was checked")
			continue
		}
		usePhiloxAVX512 = avx512
		t.Run(map[bool]string{false: "avx2", true: "avx512"}[avx512], f)
	}
}

func testPhiloxKernelMatchesGo(t *testing.T) {
	for _, tc := range []struct {
		first          uint64
		n              int
		offset, k0, k1 uint32
	}{
		{0, 1 << 20, 0, 0, 0},
		{0, 1 << 20, 7, 0xffffffff, 0xffffffff},
		{12345, 100003, 3, 0xdeadbeef, 1},
		{1<<32 - 13, 64, 0, 42, 0},
		{1<<32 - 3, 29, 1, 42, 9},
		{5<<32 + 1, 1000, 2, 1, 2},
	} {
		got := make([]float32, tc.n)
		want := make([]float32, tc.n)
		philoxNormals(got, tc.first, tc.offset, tc.k0, tc.k1)
		philoxNormalsGo(want, tc.first, tc.offset, tc.k0, tc.k1)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: value %d assembly %v Go %v", tc, i, got[i], want[i])
			}
		}
	}
}

// The float64 log and sin of the Philox assembly must equal log64 and sin64
// bit for bit (not only after rounding to float32): every uniform the model
// can produce from a random sample of words, plus edge inputs.
func TestLogSin64KernelMatchesGo(t *testing.T) {
	if !havePhiloxKernel {
		t.Skip("no assembly kernel on this CPU/architecture; the Go model is the golden-tested path")
	}
	forEachPhiloxForm(t, testLogSin64KernelMatchesGo)
}

func testLogSin64KernelMatchesGo(t *testing.T) {
	const n = 1 << 20
	u, v := make([]float64, n), make([]float64, n)
	edgeWords := []uint32{0, 1, 2, 0x7fffffff, 0x80000000, 0xb504f333, 0xb504f334, 0xfffffffe, 0xffffffff}
	x := uint32(12345)
	for i := range u {
		w := x
		if i < len(edgeWords) {
			w = edgeWords[i]
		}
		x = x*1664525 + 1013904223
		u[i] = float64(float64(w)*twoPow32Inv) + twoPow32InvHalf
		v[i] = float64(float64(w)*twoPow32Inv2Pi) + twoPow32Inv2PiH
	}
	// A few exact octant boundaries and special points for sin.
	copy(v[len(edgeWords):], []float64{0, math.Pi / 4, math.Pi / 2, math.Pi, 3 * math.Pi / 2, 2 * math.Pi, 6.2831855})
	lg, sn := make([]float64, n), make([]float64, n)
	if usePhiloxAVX512 {
		logSin64AVX512(&lg[0], &sn[0], &u[0], &v[0], n/8)
	} else {
		logSin64AVX2(&lg[0], &sn[0], &u[0], &v[0], n/4)
	}
	for i := range u {
		if w := log64(u[i]); math.Float64bits(lg[i]) != math.Float64bits(w) {
			t.Fatalf("log(%v): assembly %v, Go %v", u[i], lg[i], w)
		}
		if w := sin64(v[i]); math.Float64bits(sn[i]) != math.Float64bits(w) {
			t.Fatalf("sin(%v): assembly %v, Go %v", v[i], sn[i], w)
		}
	}
}
