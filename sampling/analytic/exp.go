package analytic

import "math"

// expTable holds 2^(j/64), j = 0..63.
var expTable = func() (t [64]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 64)
	}
	return t
}()

// expNonPos is exp(x) for x <= 0, within a few ulp of math.Exp and about
// twice as fast: the posterior's softmax needs one exp per latent element
// per model call, half of the denoiser's time with math.Exp. It splits
// x = (64e + j) ln2/64 + r, |r| <= ln2/128, so exp(x) = 2^e 2^(j/64) e^r
// with a degree-5 polynomial for e^r (truncation below 4e-17).
func expNonPos(x float64) float64 {
	const (
		invStep = 64 / math.Ln2
		stepHi  = 0x1.62e42fcp-7 // ln2/64 to 27 bits: kf*stepHi is exact
		minArg  = -708.0         // below, 2^e leaves the normal range
	)
	const stepLo = math.Ln2/64 - stepHi // exact constant arithmetic, rounded once
	if x < minArg {
		return 0
	}
	kf := math.Floor(x*invStep + 0.5)
	r := (x - kf*stepHi) - kf*stepLo
	k := int64(kf)
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	return expTable[k&63] * p * math.Float64frombits(uint64(k>>6+1023)<<52)
}
