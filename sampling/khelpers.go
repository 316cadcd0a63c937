package sampling

import (
	"errors"
	"math"

	"comfyd/tensor"
)

// Shared helpers of the k-diffusion samplers (spec section 8, "Helpers").
//
// The reference does its scalar arithmetic on float32 0-d tensors and every
// tensor operation rounds once, so everything here is float32 and each
// product is wrapped in an explicit float32(...) conversion: the Go spec
// lets the compiler fuse a*b+c into one FMA unless the product is converted,
// and a fused result would differ from torch in the last bit.
//
// The elementwise kernels take a destination first (gonum style); dst may
// alias any input, inputs must share dst's length. Names say the expression
// they evaluate, in the reference's order of operations.

// Float32 transcendental functions: float32 of the float64 result (torch's
// own float32 kernels are within about 1 ulp of this, spec 11).

func exp32(v float32) float32   { return float32(math.Exp(float64(v))) }
func log32(v float32) float32   { return float32(math.Log(float64(v))) }
func expm132(v float32) float32 { return float32(math.Expm1(float64(v))) }

// sqrt32 is correctly rounded: the float64 square root of a float32 rounds
// to the same float32 as an exact one.
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// isRF reports whether the model is rectified flow (CONST), where several
// samplers switch to their _RF variant.
func isRF(r *Run) bool { return r.Sampling != nil && r.Sampling.Kind() == Const }

// lerp32 is torch's float32 lerp(a, b, w), whose formula switches at w = 0.5
// to stay exact at both ends: a + w*(b-a) below, b - (b-a)*(1-w) from 0.5 on.
func lerp32(a, b, w float32) float32 {
	if w < 0.5 {
		return a + float32(w*(b-a))
	}
	return b - float32((b-a)*(1-w))
}

// errNoNoise is returned by samplers that need internal noise when the Run
// has no noise source.
var errNoNoise = errors.New("sampling: this sampler needs a noise source (Run.Noise is nil)")

// needNoise checks that r can draw internal noise.
func needNoise(r *Run) error {
	if r.Noise == nil {
		return errNoNoise
	}
	return nil
}

// denoiseStep is the opening of every k-diffusion loop body: den = D(x, s)
// (and the uncond prediction into unc when it is not nil, for CFG++), then
// the progress callback with the state before the update, as the reference
// calls it; it returns the denoiser's error or the Run's cancellation.
func denoiseStep(r *Run, i int, den, unc, x *tensor.Tensor, sigma float32) error {
	if err := r.Denoise(den, unc, x, sigma); err != nil {
		return err
	}
	return r.Step(i, x, den)
}

// ancestralStep is k-diffusion's get_ancestral_step (spec "anc"): the sigma
// to step down to and the noise to add back so that the marginal at st is
// right. eta == 0 gives (st, 0).
func ancestralStep(sf, st, eta float32) (down, up float32) {
	if eta == 0 {
		return st, 0
	}
	st2 := float32(st * st)
	sf2 := float32(sf * sf)
	v := float32(st2*float32(sf2-st2)) / sf2
	// Python's min(st, v) returns v only when v < st: a NaN v (from an
	// infinite sf, e.g. CFG++ on a flow model at sigma 1) yields st.
	up = st
	if v := float32(eta * sqrt32(v)); v < st {
		up = v
	}
	down = sqrt32(st2 - float32(up*up))
	return down, up
}

// rfAncestral holds the coefficients of the rectified-flow ancestral step
// (sample_euler_ancestral_RF and friends): step the ODE to Down, then scale
// by AlphaRatio and add Renoise * n.
type rfAncestral struct {
	Down, AlphaNext, AlphaDown, AlphaRatio, Renoise float32
}

// rfAncestralStep computes the RF ancestral coefficients for the step
// sCur -> sNext with noise strength eta, in the reference's order:
// ratio = 1 + (sNext/sCur - 1)*eta, down = sNext*ratio,
// renoise = sqrt(sNext^2 - down^2*aNext^2/aDown^2).
func rfAncestralStep(sCur, sNext, eta float32) rfAncestral {
	ratio := 1 + float32((sNext/sCur-1)*eta)
	down := float32(sNext * ratio)
	aNext := 1 - sNext
	aDown := 1 - down
	v := float32(float32(down*down)*float32(aNext*aNext)) / float32(aDown*aDown)
	return rfAncestral{
		Down:       down,
		AlphaNext:  aNext,
		AlphaDown:  aDown,
		AlphaRatio: aNext / aDown,
		Renoise:    sqrt32(float32(sNext*sNext) - v),
	}
}

// halfLogSNR is the spec's lam(s) = log(alpha/sigma): -log s for EPS and V
// models, -logit(s) for CONST models (torch: log(s/(1-s)) negated).
func halfLogSNR(ms ModelSampling, s float32) float32 {
	if ms != nil && ms.Kind() == Const {
		return -log32(s / (1 - s))
	}
	return -log32(s)
}

// halfLogSNRToSigma is the spec's sig(l), the inverse of halfLogSNR:
// exp(-l) for EPS and V, sigmoid(-l) = 1/(1 + exp(l)) for CONST.
func halfLogSNRToSigma(ms ModelSampling, l float32) float32 {
	if ms != nil && ms.Kind() == Const {
		return 1 / (1 + exp32(l))
	}
	return exp32(-l)
}

// offsetFirstSigma is offset_first_sigma_for_snr: for CONST models whose
// schedule starts at s >= 1 (infinite negative logSNR) it returns a copy
// with s[0] = percent_to_sigma(1e-4); otherwise s itself.
func offsetFirstSigma(ms ModelSampling, s []float32) []float32 {
	if len(s) <= 1 || ms == nil || ms.Kind() != Const || s[0] < 1 {
		return s
	}
	out := append([]float32(nil), s...)
	out[0] = float32(ms.PercentToSigma(1e-4))
	return out
}

// phi1h is h*phi_1(h) = expm1(h) of exponential integrators.
func phi1h(h float32) float32 { return expm132(h) }

// phi2h is h*phi_2(h) = (expm1(h) - h)/h.
func phi2h(h float32) float32 { return (expm132(h) - h) / h }

// --- elementwise kernels -------------------------------------------------

// eulerStep is an Euler step x + to_d(x, den, s)*dt into dst, with the
// roundings of toD followed by addScaled but one pass over memory.
func eulerStep(dst, x, den *tensor.Tensor, s, dt float32) {
	eulerStepSlice(dst.Data, x.Data, den.Data, s, dt)
}

// toD is k-diffusion's to_d: dst = (x - den) / s.
func toD(dst, x, den *tensor.Tensor, s float32) { toDSlice(dst.Data, x.Data, den.Data, s) }

// copyT is dst = src.
func copyT(dst, src *tensor.Tensor) { copy(dst.Data, src.Data) }

// addScaled is dst = x + y*a (the product rounded first).
func addScaled(dst, x, y *tensor.Tensor, a float32) { addScaledSlice(dst.Data, x.Data, y.Data, a) }

// subScaled is dst = x - y*a (the product rounded first).
func subScaled(dst, x, y *tensor.Tensor, a float32) { subScaledSlice(dst.Data, x.Data, y.Data, a) }

// scaleT is dst = x*a.
func scaleT(dst, x *tensor.Tensor, a float32) { scaleSlice(dst.Data, x.Data, a) }

// addT is dst = x + y.
func addT(dst, x, y *tensor.Tensor) { addSlice(dst.Data, x.Data, y.Data) }

// subT is dst = x - y.
func subT(dst, x, y *tensor.Tensor) { subSlice(dst.Data, x.Data, y.Data) }

// lin2 is dst = a*x + b*y (each product rounded, then added).
func lin2(dst *tensor.Tensor, a float32, x *tensor.Tensor, b float32, y *tensor.Tensor) {
	lin2Slice(dst.Data, a, x.Data, b, y.Data)
}

// lin2Sub is dst = a*x - b*y (each product rounded, then subtracted), the
// shape of every exponential-integrator update "ratio*x - expm1(-h)*D".
func lin2Sub(dst *tensor.Tensor, a float32, x *tensor.Tensor, b float32, y *tensor.Tensor) {
	lin2SubSlice(dst.Data, a, x.Data, b, y.Data)
}

// addScaled2 is dst = x + (y*a)*b (two roundings, as torch evaluates
// "x + alpha * noise * su").
func addScaled2(dst, x, y *tensor.Tensor, a, b float32) {
	addScaled2Slice(dst.Data, x.Data, y.Data, a, b)
}

// divT is dst = x / a.
func divT(dst, x *tensor.Tensor, a float32) { divSlice(dst.Data, x.Data, a) }

// mean2 is dst = (x + y) / 2.
func mean2(dst, x, y *tensor.Tensor) { mean2Slice(dst.Data, x.Data, y.Data) }

// addLinComb is dst = x + (((c[0]*t[0] + c[1]*t[1]) + c[2]*t[2]) + ...), the
// multistep update "x + sum(c_j * d_j)" summed left to right. Up to four
// terms (lms's order) run in one unrolled pass.
func addLinComb(dst, x *tensor.Tensor, c []float32, t []*tensor.Tensor) {
	addLinCombSlice(dst.Data, x.Data, c, t)
}
