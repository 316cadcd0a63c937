package noise

import (
	"math"
	"math/rand/v2"
	"testing"
)

// log64 and sin64 must be within one ulp of the correctly rounded result over
// the inputs the CUDA model feeds them (checked against math/big-free
// references: math.Log/math.Sin are themselves within 1 ulp, so allow 2).
func TestLog64Sin64Accuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ulps := func(a, b float64) float64 {
		return math.Abs(a-b) / math.Abs(math.Nextafter(b, math.Inf(1))-b)
	}
	for i := 0; i < 1_000_000; i++ {
		w := r.Uint32()
		u := float64(float64(w)*twoPow32Inv) + twoPow32InvHalf
		if d := ulps(log64(u), math.Log(u)); d > 2 {
			t.Fatalf("log64(%v) = %v, math.Log %v (%v ulp)", u, log64(u), math.Log(u), d)
		}
		v := float64(float64(w)*twoPow32Inv2Pi) + twoPow32Inv2PiH
		if d := math.Abs(sin64(v) - math.Sin(v)); d > 2*0x1p-53 {
			t.Fatalf("sin64(%v) = %v, math.Sin %v (diff %v)", v, sin64(v), math.Sin(v), d)
		}
	}
	for _, u := range []float64{twoPow32InvHalf, 0.5, math.Sqrt2 / 2, 1 - twoPow32InvHalf, 1} {
		if d := ulps(log64(u), math.Log(u)); d > 2 && math.Log(u) != 0 {
			t.Fatalf("log64(%v) = %v, math.Log %v", u, log64(u), math.Log(u))
		}
	}
	if log64(1) != 0 {
		t.Fatalf("log64(1) = %v", log64(1))
	}
}
