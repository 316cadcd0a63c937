package tensor

import "math"

// ExpShift replaces x[i] by exp(x[i] - shift) and returns the sum, using
// SLEEF's expf algorithm (PyTorch's CPU exp): eight lanes at a time with
// AVX2/FMA, the same steps in scalar code otherwise. Arguments below -87
// (including -Inf) give 0, above 88.72 +Inf (so 1/(1+exp(-x)) is 0 for
// very negative x, as in PyTorch).
func ExpShift(x []float32, shift float32) float32 {
	var sum float32
	head := 0
	if haveSgemmKernel && len(x) >= 8 {
		head = len(x) &^ 7
		sum = expShiftAVX2(&x[0], head, shift)
	}
	for i := head; i < len(x); i++ {
		e := expf(x[i] - shift)
		x[i] = e
		sum += e
	}
	return sum
}

func fmaf(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }

// Exp32 is e^d in float32 the way PyTorch's vectorised CPU exp computes it
// (SLEEF's xexpf u10 with FMA: Cody-Waite reduction by ln 2 and a degree-6
// polynomial); results below e^-87 flush to 0.
func Exp32(d float32) float32 { return expf(d) }

// expf is the scalar form of the AVX2 kernel.
func expf(d float32) float32 {
	const (
		log2e = float32(1.442695040888963407359924681001892137426645954152985934135449406931)
		l2u   = float32(0.693145751953125)
		l2l   = float32(1.428606765330187045e-06)
	)
	if !(d >= -87) {
		return 0
	}
	if d > 88.72283935546875 {
		return float32(math.Inf(1)) // overflow, as SLEEF
	}
	q := float32(math.RoundToEven(float64(d * log2e)))
	s := fmaf(-q, l2u, d)
	s = fmaf(-q, l2l, s)
	u := float32(0.000198527617612853646278381)
	u = fmaf(u, s, 0.00139304355252534151077271)
	u = fmaf(u, s, 0.00833336077630519866943359)
	u = fmaf(u, s, 0.0416664853692054748535156)
	u = fmaf(u, s, 0.166666671633720397949219)
	u = fmaf(u, s, 0.5)
	u = fmaf(s*s, u, s+1)
	return u * math.Float32frombits(uint32(int32(q)+127)<<23)
}

// maxOf returns the largest element of a non-empty x.
func maxOf(x []float32) float32 {
	m := x[0]
	head := 0
	if haveSgemmKernel && len(x) >= 8 {
		head = len(x) &^ 7
		m = maxAVX2(&x[0], head)
	}
	for _, v := range x[head:] {
		m = max(m, v)
	}
	return m
}

// scale multiplies x by s in place.
func scale(x []float32, s float32) {
	head := 0
	if haveSgemmKernel && len(x) >= 8 {
		head = len(x) &^ 7
		scaleAVX2(&x[0], head, s)
	}
	for i := head; i < len(x); i++ {
		x[i] *= s
	}
}
