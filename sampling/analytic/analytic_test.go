package analytic

import (
	"math"
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

// referenceOutput is spec 9 written out literally for one element.
func referenceOutput(kind sampling.Parameterization, p Prior, xc, s float64, c, h, w int) float64 {
	u := float64((3*h+5*w+7*c)%11)/10 - 0.5
	v := float64((2*h+3*w+c)%7)/6 - 0.5
	type comp struct{ wt, mean, sd float64 }
	comps := [2][2]comp{
		Positive: {{0.6, 0.8 + 0.4*u, 0.5}, {0.4, -0.4 + 0.4*v, 0.6}},
		Negative: {{0.5, 0.3 - 0.3*v, 0.7}, {0.5, -0.3 + 0.3*u, 0.6}},
	}[p]
	m := func(y, q float64) float64 {
		var logit [2]float64
		for k, cp := range comps {
			vr := cp.sd*cp.sd + q*q
			logit[k] = math.Log(cp.wt) - 0.5*math.Log(vr) - (y-cp.mean)*(y-cp.mean)/(2*vr)
		}
		mx := math.Max(logit[0], logit[1])
		e0, e1 := math.Exp(logit[0]-mx), math.Exp(logit[1]-mx)
		var out float64
		for k, cp := range comps {
			vr := cp.sd*cp.sd + q*q
			out += []float64{e0, e1}[k] / (e0 + e1) * (cp.mean + cp.sd*cp.sd/vr*(y-cp.mean))
		}
		return out
	}
	switch kind {
	case sampling.Const:
		if 1-s > 0 {
			return (xc - m(xc/(1-s), s/(1-s))) / s
		}
		return (xc - (comps[0].wt*comps[0].mean + comps[1].wt*comps[1].mean)) / s
	case sampling.VPrediction:
		xi := xc * math.Sqrt(s*s+1)
		return (xi/(s*s+1) - m(xi, s)) * math.Sqrt(s*s+1) / s
	}
	xi := xc * math.Sqrt(s*s+1)
	return (xi - m(xi, s)) / s
}

func TestApplyMatchesSpec(t *testing.T) {
	const B, C, H, W = 2, 4, 5, 13
	xc := tensor.New(B, C, H, W)
	for i := range xc.Data {
		xc.Data[i] = float32(math.Sin(float64(i))) * 1.7
	}
	for _, kind := range []sampling.Parameterization{sampling.EPS, sampling.VPrediction, sampling.Const} {
		for _, p := range []Prior{Positive, Negative} {
			sig := []float32{0.43, 1}
			if kind != sampling.Const {
				sig[1] = 9.5
			}
			dst := tensor.New(xc.Shape...)
			c := Cond(p)
			if err := New(kind).Apply(t.Context(), dst, xc, sig, sig, &c); err != nil {
				t.Fatal(err)
			}
			i := 0
			for b := range B {
				for ch := range C {
					for h := range H {
						for w := range W {
							want := float32(referenceOutput(kind, p, float64(xc.Data[i]), float64(sig[b]), ch, h, w))
							if got := dst.Data[i]; math.Abs(float64(got-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
								t.Fatalf("kind %v prior %v [%d,%d,%d,%d]: %v, want %v", kind, p, b, ch, h, w, got, want)
							}
							i++
						}
					}
				}
			}
		}
	}
}

func TestApplyErrors(t *testing.T) {
	m := New(sampling.EPS)
	x := tensor.New(1, 4, 2, 2)
	if err := m.Apply(t.Context(), tensor.New(1, 4, 2, 2), x, []float32{1}, []float32{1}, &sampling.Cond{}); err == nil {
		t.Error("cond without prior accepted")
	}
	c := Cond(Positive)
	if err := m.Apply(t.Context(), tensor.New(1, 4, 2, 3), x, []float32{1}, []float32{1}, &c); err == nil {
		t.Error("shape mismatch accepted")
	}
	if _, err := NewModel("sdxl"); err == nil {
		t.Error("unknown configuration accepted")
	}
}
