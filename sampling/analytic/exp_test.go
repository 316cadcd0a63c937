package analytic

import (
	"math"
	"testing"
)

func TestExpNonPos(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 1000000; i++ {
		x := -float64(i) * 708 / 1000000
		got, want := expNonPos(x), math.Exp(x)
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	// A few ulp (2.2e-16 each); the result is later rounded to float32.
	if worst > 1e-15 {
		t.Fatalf("max relative error %g", worst)
	}
	if expNonPos(0) != 1 || expNonPos(-1000) != 0 {
		t.Fatal("edge values wrong")
	}
}
