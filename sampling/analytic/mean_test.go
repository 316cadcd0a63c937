package analytic

import (
	"math"
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

// The vector kernel (FMA, polynomial exp) and the Go path differ only in
// float64 rounding: after the final float32 rounding at most 1 ulp apart,
// almost always identical.
func TestVectorKernelMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2/FMA on this machine: only the Go path exists")
	}
	xc := tensor.New(2, 4, 16, 37)
	for i := range xc.Data {
		xc.Data[i] = float32(math.Sin(float64(i)*0.37)) * 3
	}
	apply := func(kind sampling.Parameterization, p Prior, sig []float32) *tensor.Tensor {
		dst := tensor.New(xc.Shape...)
		c := Cond(p)
		if err := New(kind).Apply(t.Context(), dst, xc, sig, sig, &c); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	total, differ := 0, 0
	for _, kind := range []sampling.Parameterization{sampling.EPS, sampling.VPrediction, sampling.Const} {
		for _, sigmas := range [][]float32{{0.0292, 14.6}, {0.5, 0.999}, {3, 1}} {
			for _, p := range []Prior{Positive, Negative} {
				useAVX2 = false
				want := apply(kind, p, sigmas)
				useAVX2 = true
				got := apply(kind, p, sigmas)
				for i := range got.Data {
					total++
					if got.Data[i] == want.Data[i] {
						continue
					}
					differ++
					if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 2e-7*math.Max(1, math.Abs(float64(want.Data[i]))) {
						t.Fatalf("kind %v sigma %v: element %d: vector %v, Go %v", kind, sigmas, i, got.Data[i], want.Data[i])
					}
				}
			}
		}
	}
	if differ*1000 > total {
		t.Fatalf("%d of %d outputs differ in the last bit", differ, total)
	}
	t.Logf("%d of %d outputs differ by one float32 rounding", differ, total)
}
