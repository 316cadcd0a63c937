package sampling

import (
	"fmt"
	"math"
	"testing"

	"comfyd/tensor"
)

func TestAncestralStep(t *testing.T) {
	inf := float32(math.Inf(1))
	tests := []struct {
		name             string
		sf, st, eta      float32
		wantDown, wantUp float32
	}{
		// up = sqrt(1*(4-1)/4) = sqrt(0.75), down = sqrt(1 - 0.75) = 0.5
		{"eta1", 2, 1, 1, 0.5, float32(math.Sqrt(0.75))},
		{"eta0", 2, 1, 0, 1, 0},
		{"to zero", 3, 0, 1, 0, 0},
		// eta 2 would ask for more noise than st: up is capped at st.
		{"capped", 2, 1, 2, 0, 1},
		// An infinite sf gives a NaN candidate; Python's min keeps st.
		{"nan candidate", inf, 0.5, 1, 0, 0.5},
		{"half eta", 10, 5, 0.5, float32(math.Sqrt(25 - 0.25*25*75/100)), float32(0.5 * math.Sqrt(25*75.0/100))},
	}
	for _, tc := range tests {
		down, up := ancestralStep(tc.sf, tc.st, tc.eta)
		if !near32(down, tc.wantDown, 1e-6) || !near32(up, tc.wantUp, 1e-6) {
			t.Errorf("%s: ancestralStep(%v, %v, %v) = (%v, %v), want (%v, %v)", tc.name, tc.sf, tc.st, tc.eta, down, up, tc.wantDown, tc.wantUp)
		}
	}
}

func TestRFAncestralStep(t *testing.T) {
	// eta 1: down = sNext^2/sCur; renoise^2 = sNext^2 - down^2 (1-sNext)^2/(1-down)^2.
	sCur, sNext := 0.8, 0.4
	down := sNext * sNext / sCur
	aN, aD := 1-sNext, 1-down
	want := rfAncestral{
		Down: float32(down), AlphaNext: float32(aN), AlphaDown: float32(aD),
		AlphaRatio: float32(aN / aD),
		Renoise:    float32(math.Sqrt(sNext*sNext - down*down*aN*aN/(aD*aD))),
	}
	got := rfAncestralStep(float32(sCur), float32(sNext), 1)
	for _, p := range [][2]float32{{got.Down, want.Down}, {got.AlphaNext, want.AlphaNext}, {got.AlphaDown, want.AlphaDown},
		{got.AlphaRatio, want.AlphaRatio}, {got.Renoise, want.Renoise}} {
		if !near32(p[0], p[1], 1e-6) {
			t.Fatalf("rfAncestralStep = %+v, want %+v", got, want)
		}
	}
	// eta 0 is the deterministic step: no renoise.
	if c := rfAncestralStep(0.8, 0.4, 0); c.Down != 0.4 || c.Renoise != 0 || c.AlphaRatio != 1 {
		t.Errorf("eta 0: %+v", c)
	}
}

func TestHalfLogSNR(t *testing.T) {
	eps := NewDiscrete(ScaledLinear, EPS)
	flow := NewFlow(3, 1000)
	tests := []struct {
		ms    ModelSampling
		s     float32
		want  float64
		label string
	}{
		{eps, 2, -math.Log(2), "eps"},
		{nil, 0.5, math.Log(2), "nil sampling is EPS-like"},
		{flow, 0.25, math.Log(3), "flow: log((1-s)/s)"},
		{flow, 0.5, 0, "flow midpoint"},
	}
	for _, tc := range tests {
		l := halfLogSNR(tc.ms, tc.s)
		if !near32(l, float32(tc.want), 1e-6) {
			t.Errorf("%s: halfLogSNR(%v) = %v, want %v", tc.label, tc.s, l, tc.want)
		}
		if back := halfLogSNRToSigma(tc.ms, l); !near32(back, tc.s, 1e-6) {
			t.Errorf("%s: halfLogSNRToSigma(halfLogSNR(%v)) = %v", tc.label, tc.s, back)
		}
	}
}

func TestOffsetFirstSigma(t *testing.T) {
	flow := NewFlow(3, 1000)
	s := []float32{1, 0.5, 0}
	got := offsetFirstSigma(flow, s)
	if want := float32(flow.PercentToSigma(1e-4)); got[0] != want || got[0] >= 1 {
		t.Errorf("flow s[0] = %v, want percent_to_sigma(1e-4) = %v", got[0], want)
	}
	if s[0] != 1 {
		t.Errorf("input modified: %v", s)
	}
	eps := NewDiscrete(ScaledLinear, EPS)
	if got := offsetFirstSigma(eps, []float32{14.6, 0}); got[0] != 14.6 {
		t.Errorf("EPS schedule changed: %v", got)
	}
	if got := offsetFirstSigma(flow, []float32{0.9, 0}); got[0] != 0.9 {
		t.Errorf("flow schedule below 1 changed: %v", got)
	}
	if got := offsetFirstSigma(flow, []float32{1}); got[0] != 1 {
		t.Errorf("single sigma changed: %v", got)
	}
}

func TestLerp32(t *testing.T) {
	// torch's two-sided formula: exact at both ends, b - (b-a)*0.5 at 0.5.
	for _, tc := range []struct{ a, b, w, want float32 }{
		{1, 3, 0, 1}, {1, 3, 1, 3}, {1, 3, 0.5, 2}, {1, 3, 0.25, 1.5}, {-2, 2, 0.75, 1},
	} {
		if got := lerp32(tc.a, tc.b, tc.w); got != tc.want {
			t.Errorf("lerp32(%v, %v, %v) = %v, want %v", tc.a, tc.b, tc.w, got, tc.want)
		}
	}
}

func TestPhi(t *testing.T) {
	for _, h := range []float32{-2, -0.1, 0.3} {
		e := math.Expm1(float64(h))
		if got := phi1h(h); !near32(got, float32(e), 1e-6) {
			t.Errorf("phi1h(%v) = %v, want %v", h, got, e)
		}
		if got := phi2h(h); !near32(got, float32((e-float64(h))/float64(h)), 1e-5) {
			t.Errorf("phi2h(%v) = %v", h, got)
		}
	}
}

func TestKernels(t *testing.T) {
	x := tensor.FromData([]float32{1, 2, 3}, 3)
	y := tensor.FromData([]float32{4, -1, 0.5}, 3)
	dst := tensor.New(3)
	check := func(name string, want ...float32) {
		t.Helper()
		for i := range want {
			if dst.Data[i] != want[i] {
				t.Errorf("%s = %v, want %v", name, dst.Data, want)
				return
			}
		}
	}
	toD(dst, x, y, 2)
	check("toD", -1.5, 1.5, 1.25)
	addScaled(dst, x, y, 2)
	check("addScaled", 9, 0, 4)
	subScaled(dst, x, y, 2)
	check("subScaled", -7, 4, 2)
	lin2(dst, 2, x, 3, y)
	check("lin2", 14, 1, 7.5)
	lin2Sub(dst, 2, x, 3, y)
	check("lin2Sub", -10, 7, 4.5)
	addScaled2(dst, x, y, 2, 0.5)
	check("addScaled2", 5, 1, 3.5)
	mean2(dst, x, y)
	check("mean2", 2.5, 0.5, 1.75)
	addLinComb(dst, x, []float32{1, 2}, []*tensor.Tensor{x, y})
	check("addLinComb 2", 10, 2, 7)
	// Every term count (the unrolled 1-4 and the generic loop) gives
	// x + sum_j c_j t_j.
	for k := 1; k <= 5; k++ {
		c := []float32{1, 2, -1, 0.5, 3}[:k]
		ts := []*tensor.Tensor{x, y, x, y, x}[:k]
		want := make([]float32, 3)
		for i := range want {
			var acc float32
			for j := range k {
				acc += c[j] * ts[j].Data[i]
			}
			want[i] = x.Data[i] + acc
		}
		addLinComb(dst, x, c, ts)
		check(fmt.Sprintf("addLinComb %d", k), want...)
	}
	// dst may alias an input.
	copyT(dst, x)
	addScaled(dst, dst, dst, 1)
	check("aliased addScaled", 2, 4, 6)
}

// near32 compares with a relative tolerance (absolute near zero).
func near32(got, want float32, rel float64) bool {
	return math.Abs(float64(got)-float64(want)) <= rel*math.Max(1, math.Abs(float64(want)))
}
