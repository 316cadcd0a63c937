package sampling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"comfyd/tensor"
)

// kernelSpecials are float32 bit patterns that exercise IEEE corner cases:
// zeros, denormals, the normal range's ends, infinities and NaNs (quiet,
// signalling, negative, with payload).
var kernelSpecials = []uint32{
	0x00000000, 0x80000000, // ±0
	0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, // denormals
	0x00800000, 0x80800000, // smallest normals
	0x7f7fffff, 0xff7fffff, 0x7f000000, // largest finite, 2^127
	0x7f800000, 0xff800000, // ±Inf
	0x7fc00000, 0xffc00000, 0x7f800001, 0x7fc12345, // NaNs
	0x3f800000, 0xbf800000, 0x3f000000, // ±1, 0.5
}

// kernelData returns n values: mostly random with exponents over the whole
// float32 range, about one in eight a special value.
func kernelData(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch rng.IntN(8) {
		case 0:
			v[i] = math.Float32frombits(kernelSpecials[rng.IntN(len(kernelSpecials))])
		case 1, 2:
			v[i] = math.Float32frombits(rng.Uint32()) // any pattern
		default:
			v[i] = float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(40)-20)))
		}
	}
	return v
}

// kernelScalars are the scalar coefficients tried: ordinary values, exact
// powers of two, values that overflow or underflow products, and the
// specials.
func kernelScalars(rng *rand.Rand) []float32 {
	s := []float32{1, 2, 0.5, -0.75, 3.7e-3, 14.6, 1e30, 1e-30, 0.0292}
	for range 4 {
		s = append(s, float32(rng.NormFloat64()))
	}
	for _, b := range kernelSpecials {
		s = append(s, math.Float32frombits(b))
	}
	return s
}

// sameBits reports whether got equals want bit for bit. Two NaNs count as
// equal: when both operands of an addition are NaN, which one x86
// propagates depends on operand order, and Go's compiler may commute the
// operands of a scalar + or *; neither torch nor Go defines that payload.
func sameBits(got, want float32) bool {
	if got != got && want != want {
		return true
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

func kernelLengths() []int {
	var ls []int
	for n := 0; n <= 70; n++ {
		ls = append(ls, n)
	}
	return append(ls, 127, 128, 129, 1000, 4*64*64, 4*64*64+13)
}

// TestKernelsAsmMatchGo checks that every dispatching kernel (assembly over
// the prefix it handles, Go over the rest) equals the plain Go loop bit for
// bit, for every length 0..70 and some large ones, with and without dst
// aliasing the first input. With -tags purego both sides are Go; on amd64
// TestKernelsEveryISA repeats it for each instruction set the CPU has.
func TestKernelsAsmMatchGo(t *testing.T) { checkKernelsMatchGo(t) }

func checkKernelsMatchGo(t *testing.T) {
	type kernel struct {
		name   string
		inputs int // slices read besides dst
		fast   func(d []float32, in [][]float32, a, b float32)
		ref    func(d []float32, in [][]float32, a, b float32)
	}
	lc := func(k int) kernel {
		coef := func(a, b float32) []float32 { return []float32{a, b, -a, b * 0.5, 3}[:k] }
		return kernel{fmt.Sprintf("addLinComb%d", k), k + 1,
			func(d []float32, in [][]float32, a, b float32) {
				ts := make([]*tensor.Tensor, k)
				for j := range ts {
					ts[j] = tensor.FromData(in[j+1], len(in[j+1]))
				}
				addLinCombSlice(d, in[0], coef(a, b), ts)
			},
			func(d []float32, in [][]float32, a, b float32) { addLinCombGo(d, in[0], coef(a, b), in[1:]) }}
	}
	kernels := []kernel{
		{"toD", 2, func(d []float32, in [][]float32, a, _ float32) { toDSlice(d, in[0], in[1], a) },
			func(d []float32, in [][]float32, a, _ float32) { toDGo(d, in[0], in[1], a) }},
		{"eulerStep", 2, func(d []float32, in [][]float32, a, b float32) { eulerStepSlice(d, in[0], in[1], a, b) },
			func(d []float32, in [][]float32, a, b float32) {
				// The definition: toD, then addScaled.
				dx := make([]float32, len(d))
				toDGo(dx, in[0], in[1], a)
				addScaledGo(d, in[0], dx, b)
			}},
		{"addScaled", 2, func(d []float32, in [][]float32, a, _ float32) { addScaledSlice(d, in[0], in[1], a) },
			func(d []float32, in [][]float32, a, _ float32) { addScaledGo(d, in[0], in[1], a) }},
		{"subScaled", 2, func(d []float32, in [][]float32, a, _ float32) { subScaledSlice(d, in[0], in[1], a) },
			func(d []float32, in [][]float32, a, _ float32) { subScaledGo(d, in[0], in[1], a) }},
		{"scale", 1, func(d []float32, in [][]float32, a, _ float32) { scaleSlice(d, in[0], a) },
			func(d []float32, in [][]float32, a, _ float32) { scaleGo(d, in[0], a) }},
		{"add", 2, func(d []float32, in [][]float32, _, _ float32) { addSlice(d, in[0], in[1]) },
			func(d []float32, in [][]float32, _, _ float32) { addGo(d, in[0], in[1]) }},
		{"sub", 2, func(d []float32, in [][]float32, _, _ float32) { subSlice(d, in[0], in[1]) },
			func(d []float32, in [][]float32, _, _ float32) { subGo(d, in[0], in[1]) }},
		{"lin2", 2, func(d []float32, in [][]float32, a, b float32) { lin2Slice(d, a, in[0], b, in[1]) },
			func(d []float32, in [][]float32, a, b float32) { lin2Go(d, a, in[0], b, in[1]) }},
		{"lin2Sub", 2, func(d []float32, in [][]float32, a, b float32) { lin2SubSlice(d, a, in[0], b, in[1]) },
			func(d []float32, in [][]float32, a, b float32) { lin2SubGo(d, a, in[0], b, in[1]) }},
		{"addScaled2", 2, func(d []float32, in [][]float32, a, b float32) { addScaled2Slice(d, in[0], in[1], a, b) },
			func(d []float32, in [][]float32, a, b float32) { addScaled2Go(d, in[0], in[1], a, b) }},
		{"div", 1, func(d []float32, in [][]float32, a, _ float32) { divSlice(d, in[0], a) },
			func(d []float32, in [][]float32, a, _ float32) { divGo(d, in[0], a) }},
		{"mean2", 2, func(d []float32, in [][]float32, _, _ float32) { mean2Slice(d, in[0], in[1]) },
			func(d []float32, in [][]float32, _, _ float32) { mean2Go(d, in[0], in[1]) }},
		lc(2), lc(3), lc(4), lc(5),
	}
	rng := rand.New(rand.NewPCG(5, 1))
	scalars := kernelScalars(rng)
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			for _, n := range kernelLengths() {
				in := make([][]float32, k.inputs)
				for j := range in {
					in[j] = kernelData(rng, n)
				}
				// A few scalar pairs per length, every scalar somewhere.
				for trial := range 3 {
					a := scalars[(n*3+trial)%len(scalars)]
					b := scalars[rng.IntN(len(scalars))]
					want := make([]float32, n)
					k.ref(want, in, a, b)
					got := kernelData(rng, n) // garbage to overwrite
					k.fast(got, in, a, b)
					if i := firstMismatch(got, want); i >= 0 {
						t.Fatalf("n=%d a=%v b=%v: element %d = %#x, Go loop gives %#x (inputs %v)",
							n, a, b, i, math.Float32bits(got[i]), math.Float32bits(want[i]), column(in, i))
					}
					// dst aliasing the first input.
					alias := append([]float32(nil), in[0]...)
					aliased := append([][]float32{alias}, in[1:]...)
					k.fast(alias, aliased, a, b)
					if i := firstMismatch(alias, want); i >= 0 {
						t.Fatalf("aliased n=%d a=%v b=%v: element %d = %#x, want %#x",
							n, a, b, i, math.Float32bits(alias[i]), math.Float32bits(want[i]))
					}
				}
			}
		})
	}
}

func firstMismatch(got, want []float32) int {
	for i := range want {
		if !sameBits(got[i], want[i]) {
			return i
		}
	}
	return -1
}

func column(in [][]float32, i int) []float32 {
	c := make([]float32, len(in))
	for j := range in {
		c[j] = in[j][i]
	}
	return c
}
