package sd1

import "math"

// TimestepEmbedding is ComfyUI's sinusoidal embedding [cos | sin] with
// freqs exp(-ln(10000)·i/half), computed with float32 arithmetic like
// ComfyUI (which does so even when the network runs in float64).
//
// PyTorch's CPU exp is SLEEF's expf (1-ulp, not correctly rounded); one
// frequency of SD1's table rounds differently from a correctly rounded exp,
// which moves sin/cos of large timesteps by 1.7e-6. expf below follows
// SLEEF's algorithm so the frequencies are bit-identical; sin and cos are
// correctly rounded here and within 1 ulp in PyTorch.
func TimestepEmbedding(timesteps []float32, dim int) []float32 {
	half := dim / 2
	out := make([]float32, len(timesteps)*dim)
	negLog := float32(-math.Log(10000))
	for i := range half {
		freq := expf(negLog * float32(i) / float32(half))
		for b, t := range timesteps {
			arg := float64(t * freq)
			out[b*dim+i] = float32(math.Cos(arg))
			out[b*dim+half+i] = float32(math.Sin(arg))
		}
	}
	return out
}

// fmaf is a float32 fused multiply-add.
func fmaf(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }

// expf is SLEEF's xexpf (u10) with FMA, as PyTorch's vectorised CPU exp
// computes it: Cody-Waite reduction by ln 2 and a degree-6 polynomial.
func expf(d float32) float32 {
	const (
		rln2 = float32(1.442695040888963407359924681001892137426645954152985934135449406931)
		l2u  = float32(0.693145751953125)
		l2l  = float32(1.428606765330187045e-06)
	)
	if d < -104 {
		return 0
	}
	if d > 100 {
		return float32(math.Inf(1))
	}
	q := float32(math.RoundToEven(float64(d * rln2)))
	s := fmaf(q, -l2u, d)
	s = fmaf(q, -l2l, s)
	u := float32(0.000198527617612853646278381)
	u = fmaf(u, s, 0.00139304355252534151077271)
	u = fmaf(u, s, 0.00833336077630519866943359)
	u = fmaf(u, s, 0.0416664853692054748535156)
	u = fmaf(u, s, 0.166666671633720397949219)
	u = fmaf(u, s, 0.5)
	u = fmaf(s*s, u, s+1)
	return float32(math.Ldexp(float64(u), int(q)))
}
