package sampling

import (
	"errors"
	"math"

	"comfyd/tensor"
)

// DPM-Solver samplers (spec 8.6, 8.7, 8.9, 8.10): k-diffusion's sample_dpm_2,
// sample_dpm_2_ancestral(_RF) and its DPMSolver class (dpm_fast,
// dpm_adaptive).

func init() {
	RegisterSampler("dpm_2", sampleDPM2)
	RegisterSampler("dpm_2_ancestral", sampleDPM2Ancestral)
	RegisterSampler("dpm_fast", sampleDPMFast)
	RegisterSampler("dpm_adaptive", sampleDPMAdaptive)
}

// logMidpoint is the geometric mean of two sigmas as the reference computes
// it: exp(lerp(log a, log b, 0.5)).
func logMidpoint(a, b float32) float32 { return exp32(lerp32(log32(a), log32(b), 0.5)) }

// dpm2Step is the DPM-Solver-2 step of sample_dpm_2 from sigma to target,
// given the slope d at sigma: a half step (in log sigma) to the midpoint,
// then the full step with the midpoint's slope. den, x2, d2 are scratch.
func dpm2Step(r *Run, x, d, den, x2, d2 *tensor.Tensor, sigma, target float32) error {
	mid := logMidpoint(sigma, target)
	if err := slopeAfterEuler(r, x2, d2, den, x, d, mid-sigma, mid); err != nil {
		return err
	}
	addScaled(x, x, d2, target-sigma)
	return nil
}

// sampleDPM2 is DPM-Solver-2 on the Karras ODE; Euler for the final step.
func sampleDPM2(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den, d, x2, d2 := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		toD(d, x, den, s[i])
		if s[i+1] == 0 {
			addScaled(x, x, d, s[i+1]-s[i])
			continue
		}
		if err := dpm2Step(r, x, d, den, x2, d2, s[i], s[i+1]); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// sampleDPM2Ancestral takes the DPM-Solver-2 step to sigma_down and adds
// noise back (eta 1); flow models use the RF renoising.
func sampleDPM2Ancestral(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	den, d, x2, d2, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x), r.Scratch(4, x)
	rf := isRF(r)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		var down, up float32
		var c rfAncestral
		if rf {
			c = rfAncestralStep(s[i], s[i+1], 1)
			down = c.Down
		} else {
			down, up = ancestralStep(s[i], s[i+1], 1)
		}
		toD(d, x, den, s[i])
		if down == 0 {
			addScaled(x, x, d, down-s[i])
			continue
		}
		if err := dpm2Step(r, x, d, den, x2, d2, s[i], down); err != nil {
			return nil, err
		}
		r.Noise(n)
		if rf {
			lin2(x, c.AlphaRatio, x, c.Renoise, n)
		} else {
			addScaled(x, x, n, up)
		}
	}
	return x, nil
}

// --- DPM-Solver (Lu et al. 2022) in t = -log(sigma) ----------------------

// dpmSolver evaluates DPM-Solver steps of orders 1-3 for one Run, with the
// per-step cache of eps predictions the reference keeps (e0 at t, e1 at
// t + r1*h) and its scratch buffers.
type dpmSolver struct {
	r          *Run
	den        *tensor.Tensor // D output, then the callback's "denoised"
	e0, e1, e2 *tensor.Tensor
	u          *tensor.Tensor // the intermediate states u1, u2
	haveE1     bool
	noise      *tensor.Tensor
}

func newDPMSolver(r *Run, x *tensor.Tensor) *dpmSolver {
	return &dpmSolver{
		r: r, den: r.Scratch(0, x), e0: r.Scratch(1, x), e1: r.Scratch(2, x), e2: r.Scratch(3, x),
		u: r.Scratch(4, x), noise: r.Scratch(5, x),
	}
}

// sg is sigma(t) = exp(-t).
func sg(t float32) float32 { return exp32(-t) }

// eps writes (x - D(x, sigma(t))) / sigma(t) into dst.
func (p *dpmSolver) eps(dst, x *tensor.Tensor, t float32) error {
	st := sg(t)
	if err := p.r.Denoise(p.den, nil, x, st); err != nil {
		return err
	}
	toD(dst, x, p.den, st)
	return nil
}

// begin starts a step at (x, t): it evaluates e0 and reports progress with
// the reference's denoised = x - sigma(t)*e0 (written into den).
func (p *dpmSolver) begin(i int, x *tensor.Tensor, t float32) error {
	p.haveE1 = false
	if err := p.eps(p.e0, x, t); err != nil {
		return err
	}
	subScaled(p.den, x, p.e0, sg(t))
	return p.r.Step(i, x, p.den)
}

// eps1 writes the eps prediction at s1 = t + r1*h from u1 into e1, once
// per step: like the reference's eps_cache it is keyed by name, not by r1
// (dpm_adaptive's order-2 and order-3 steps share it, both with r1 = 1/3).
func (p *dpmSolver) eps1(x *tensor.Tensor, t, h, r1 float32) error {
	if p.haveE1 {
		return nil
	}
	s1 := t + float32(r1*h)
	subScaled(p.u, x, p.e0, float32(sg(s1)*expm132(float32(r1*h))))
	if err := p.eps(p.e1, p.u, s1); err != nil {
		return err
	}
	p.haveE1 = true
	return nil
}

// step1 is dpm_solver_1_step: dst = x - sigma(tn)*expm1(h)*e0.
func (p *dpmSolver) step1(dst, x *tensor.Tensor, t, tn float32) {
	h := tn - t
	subScaled(dst, x, p.e0, float32(sg(tn)*expm132(h)))
}

// step2 is dpm_solver_2_step with ratio r1 (a Python float in the
// reference, rounded to float32 where it meets a tensor).
func (p *dpmSolver) step2(dst, x *tensor.Tensor, t, tn float32, r1 float64) error {
	h := tn - t
	if err := p.eps1(x, t, h, float32(r1)); err != nil {
		return err
	}
	em := expm132(h)
	correction(dst, x, p.e0, p.e1, float32(sg(tn)*em), float32((sg(tn)/float32(2*r1))*em))
	return nil
}

// step3 is dpm_solver_3_step with r1 = 1/3, r2 = 2/3.
func (p *dpmSolver) step3(dst, x *tensor.Tensor, t, tn float32) error {
	const r1, r2 = 1.0 / 3, 2.0 / 3
	h := tn - t
	if err := p.eps1(x, t, h, float32(r1)); err != nil {
		return err
	}
	s2 := t + float32(float32(r2)*h)
	r2h := float32(float32(r2) * h)
	em2 := expm132(r2h)
	a := float32(sg(s2) * em2)
	b := float32(float32(sg(s2)*float32(r2/r1)) * (em2/r2h - 1))
	correction(p.u, x, p.e0, p.e1, a, b)
	if err := p.eps(p.e2, p.u, s2); err != nil {
		return err
	}
	em := expm132(h)
	correction(dst, x, p.e0, p.e2, float32(sg(tn)*em), float32((sg(tn)/float32(r2))*(em/h-1)))
	return nil
}

// correction is dst = (x - a*e0) - b*(e1 - e0), the shape of every
// higher-order DPM-Solver update.
func correction(dst, x, e0, e1 *tensor.Tensor, a, b float32) {
	d, xs, e0s, e1s := dst.Data, x.Data[:len(dst.Data)], e0.Data[:len(dst.Data)], e1.Data[:len(dst.Data)]
	for i := range d {
		d[i] = (xs[i] - float32(a*e0s[i])) - float32(b*(e1s[i]-e0s[i]))
	}
}

// dpmBounds is ComfyUI's wrapper around dpm_fast/dpm_adaptive (spec 7.1):
// sigma_max = s[0], sigma_min = the last non-zero sigma. ok is false when
// there is no step to take.
func dpmBounds(s []float32) (sigmaMin, sigmaMax float32, ok bool) {
	if len(s) <= 1 {
		return 0, 0, false
	}
	sigmaMin = s[len(s)-1]
	if sigmaMin == 0 {
		sigmaMin = s[len(s)-2]
	}
	return sigmaMin, s[0], true
}

// sampleDPMFast is DPM-Solver-fast: N model calls spread over steps of
// order 3 (with a 2 and/or 1 at the end), uniform in t, ending at
// sigma_min with no final jump to 0 (eta 0).
func sampleDPMFast(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	sigmaMin, sigmaMax, ok := dpmBounds(s)
	if !ok {
		return x, nil
	}
	if sigmaMin <= 0 || sigmaMax <= 0 {
		return nil, errDPMZeroSigma
	}
	if err := needNoise(r); err != nil {
		return nil, err
	}
	nfe := len(s) - 1
	m := nfe/3 + 1
	ts := LinspaceF32(-log32(sigmaMax), -log32(sigmaMin), m+1)
	orders := make([]int, 0, m+1)
	for k := 0; k < m-1; k++ {
		orders = append(orders, 3)
	}
	if nfe%3 == 0 {
		orders = append(orders[:len(orders)-1], 2, 1)
	} else {
		orders = append(orders, nfe%3)
	}
	p := newDPMSolver(r, x)
	for k, order := range orders {
		t, tn := ts[k], ts[k+1]
		if err := p.begin(k, x, t); err != nil {
			return nil, err
		}
		var err error
		switch order {
		case 1:
			p.step1(x, x, t, tn)
		case 2:
			err = p.step2(x, x, t, tn, 0.5)
		default:
			err = p.step3(x, x, t, tn)
		}
		if err != nil {
			return nil, err
		}
		addZeroTimesNoise(r, x, p.noise)
	}
	return x, nil
}

// addZeroTimesNoise is the reference's "x + su * s_noise * noise" with
// su = 0 (eta 0): the draw keeps the internal noise stream in step with
// ComfyUI, and 0*n leaves x unchanged (except -0 becoming +0, kept here).
func addZeroTimesNoise(r *Run, x, n *tensor.Tensor) {
	r.Noise(n)
	addScaled(x, x, n, 0)
}

var (
	errDPMZeroSigma   = errors.New("sampling: dpm_fast/dpm_adaptive need sigma_min and sigma_max > 0")
	errDPMAdaptiveNaN = errors.New("sampling: dpm_adaptive: the denoiser produced NaN, no step size can be chosen")
)

// pidController is k-diffusion's PIDStepSizeController for dpm_adaptive's
// defaults (p = 0, i = 1, d = 0, order 3): factor = (1/err)^(1/3), limited
// by 1 + atan(factor - 1). Only the integral term has a non-zero exponent,
// so the error history the reference keeps does not change the result.
type pidController struct {
	h            float64
	b1           float64
	acceptSafety float64
}

// propose updates h from the scaled error and reports acceptance.
func (c *pidController) propose(err float32) bool {
	inv := 1 / (float64(err) + 1e-8)
	factor := math.Pow(inv, c.b1)
	factor = 1 + math.Atan(factor-1)
	c.h *= factor
	return factor >= c.acceptSafety
}

// sampleDPMAdaptive is DPM-Solver-23 with adaptive steps: an order-2 and an
// order-3 solution per attempt; the scaled difference drives the step size.
func sampleDPMAdaptive(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	sigmaMin, sigmaMax, ok := dpmBounds(s)
	if !ok {
		return x, nil
	}
	if sigmaMin <= 0 || sigmaMax <= 0 {
		return nil, errDPMZeroSigma
	}
	if err := needNoise(r); err != nil {
		return nil, err
	}
	const (
		rtol = float32(0.05)
		atol = float32(0.0078)
	)
	tStart, tEnd := -log32(sigmaMax), -log32(sigmaMin)
	p := newDPMSolver(r, x)
	xLow, xHigh, xPrev := r.Scratch(6, x), r.Scratch(7, x), r.Scratch(8, x)
	copyT(xPrev, x)
	pid := pidController{h: 0.05, b1: 1.0 / 3, acceptSafety: 0.81}
	sqrtN := float32(math.Sqrt(float64(x.Numel())))
	cur := tStart
	for step := 0; cur < tEnd-float32(1e-5); step++ {
		t := cur + float32(pid.h)
		if tEnd < t {
			t = tEnd
		}
		// eps at cur and the denoised for the callback; the callback runs
		// after the attempt, with the updated state, as in the reference.
		p.haveE1 = false
		if err := p.eps(p.e0, x, cur); err != nil {
			return nil, err
		}
		if err := p.step2(xLow, x, cur, t, 1.0/3); err != nil {
			return nil, err
		}
		if err := p.step3(xHigh, x, cur, t); err != nil {
			return nil, err
		}
		errNorm := scaledErrorNorm(xLow, xHigh, xPrev, atol, rtol) / sqrtN
		if math.IsNaN(float64(errNorm)) {
			// The reference would reject forever (NaN step size).
			return nil, errDPMAdaptiveNaN
		}
		subScaled(p.den, x, p.e0, sg(cur))
		if pid.propose(errNorm) {
			copyT(xPrev, xLow)
			r.Noise(p.noise)
			addScaled(x, xHigh, p.noise, 0)
			cur = t
		}
		if err := r.Step(step, x, p.den); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// scaledErrorNorm is torch.linalg.norm((low - high) / delta) with
// delta = max(atol, rtol*max(|low|, |prev|)), in float32 the way torch's
// AVX2 CPU kernel reduces a contiguous float32 tensor: eight lane sums of
// q*q (multiply, then add), folded left to right, the n % 8 tail added with
// a fused multiply-add, then sqrt. Step acceptance hinges on this value, so
// it follows the reference's summation order rather than a more accurate one.
func scaledErrorNorm(low, high, prev *tensor.Tensor, atol, rtol float32) float32 {
	quot := func(i int) float32 {
		l := low.Data[i]
		m := float32(math.Max(math.Abs(float64(l)), math.Abs(float64(prev.Data[i]))))
		return (l - high.Data[i]) / max(atol, rtol*m)
	}
	const lanes = 8
	n := len(low.Data)
	var acc [lanes]float32
	d := 0
	for ; d < n-n%lanes; d += lanes {
		for j := range acc {
			q := quot(d + j)
			acc[j] += float32(q * q)
		}
	}
	sum := acc[0]
	for _, a := range acc[1:] {
		sum += a
	}
	for ; d < n; d++ {
		q := quot(d)
		sum = float32(math.FMA(float64(q), float64(q), float64(sum)))
	}
	return sqrt32(sum)
}
