package sampling

import "comfyd/tensor"

// DPM-Solver++ samplers (spec 8.11-8.17), after k-diffusion's and
// ComfyUI's sample_dpmpp_* functions.
//
// BrownianTree noise: ComfyUI's dpmpp_sde, dpmpp_2m_sde, dpmpp_2m_sde_heun,
// dpmpp_3m_sde (and their _gpu twins) draw their noise from a
// torchsde.BrownianTree. That is NOT reproduced here: these samplers draw
// from r.Noise, the default noise sampler, exactly as the golden vectors do
// (spec 7.3, 12: "substitute_for_brownian_tree"). Their update formulas
// match ComfyUI; their noise, and so their images, do not yet. The _gpu
// variants differ only in where the tree lives and are the same function.

func init() {
	RegisterSampler("dpmpp_2s_ancestral", sampleDPMPP2SAncestral)
	RegisterSampler("dpmpp_2s_ancestral_cfg_pp", sampleDPMPP2SAncestralCFGPP)
	RegisterSampler("dpmpp_sde", sampleDPMPPSDE)
	RegisterSampler("dpmpp_sde_gpu", sampleDPMPPSDE)
	RegisterSampler("dpmpp_2m", sampleDPMPP2M)
	RegisterSampler("dpmpp_2m_cfg_pp", sampleDPMPP2MCFGPP)
	RegisterSampler("dpmpp_2m_sde", sampleDPMPP2MSDE)
	RegisterSampler("dpmpp_2m_sde_gpu", sampleDPMPP2MSDE)
	RegisterSampler("dpmpp_2m_sde_heun", sampleDPMPP2MSDEHeun)
	RegisterSampler("dpmpp_2m_sde_heun_gpu", sampleDPMPP2MSDEHeun)
	RegisterSampler("dpmpp_3m_sde", sampleDPMPP3MSDE)
	RegisterSampler("dpmpp_3m_sde_gpu", sampleDPMPP3MSDE)
}

// tOf is DPM-Solver's time t = -log(sigma); exp32(-t) maps back.
func tOf(sigma float32) float32 { return -log32(sigma) }

// --- dpmpp_2s_ancestral ---------------------------------------------------

func sampleDPMPP2SAncestral(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	if isRF(r) {
		return dpmpp2SAncestralRF(r, x, s)
	}
	return dpmpp2SAncestral(r, x, s, false)
}

// sampleDPMPP2SAncestralCFGPP is the CFG++ form; it has no RF variant at
// the reference commit (spec 8.12).
func sampleDPMPP2SAncestralCFGPP(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	return dpmpp2SAncestral(r, x, s, true)
}

// dpmpp2SAncestral is DPM-Solver++(2S) to sigma_down (midpoint in t), then
// ancestral noise (eta 1). With cfgPP the state the exponential integrator
// carries is x + (D - U), U the unconditional prediction of the latest
// model call, and the final jump uses U's slope.
func dpmpp2SAncestral(r *Run, x *tensor.Tensor, s []float32, cfgPP bool) (*tensor.Tensor, error) {
	den, den2, x2, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x)
	var unc, g *tensor.Tensor
	if cfgPP {
		unc, g = r.Scratch(4, x), r.Scratch(5, x)
	}
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, unc, x, s[i]); err != nil {
			return nil, err
		}
		down, up := ancestralStep(s[i], s[i+1], 1)
		switch {
		case down == 0 && cfgPP:
			toD(x2, x, unc, s[i])
			addScaled(x, den, x2, down)
		case down == 0:
			toD(x2, x, den, s[i])
			addScaled(x, x, x2, down-s[i])
		default:
			t, tn := tOf(s[i]), tOf(down)
			h := tn - t
			sm := t + float32(0.5*h)
			base := x
			if cfgPP {
				guidedState(g, x, den, unc)
				base = g
			}
			lin2Sub(x2, exp32(-sm)/exp32(-t), base, expm132(float32(-h*0.5)), den)
			if err := r.Denoise(den2, unc, x2, exp32(-sm)); err != nil {
				return nil, err
			}
			if cfgPP { // with the U of the midpoint call
				guidedState(g, x, den, unc)
			}
			lin2Sub(x, exp32(-tn)/exp32(-t), base, expm132(-h), den2)
		}
		if s[i+1] > 0 {
			r.Noise(n)
			addScaled(x, x, n, up)
		}
	}
	return x, nil
}

// guidedState is CFG++'s x + (D - U).
func guidedState(dst, x, den, unc *tensor.Tensor) {
	subT(dst, den, unc)
	addT(dst, x, dst)
}

// dpmpp2SAncestralRF is sample_dpmpp_2s_ancestral_RF: the 2S step in the
// flow's logit time, interpolating towards the predictions, then the RF
// renoising.
func dpmpp2SAncestralRF(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den, den2, u, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		c := rfAncestralStep(s[i], s[i+1], 1)
		if s[i+1] == 0 {
			toD(u, x, den, s[i])
			addScaled(x, x, u, c.Down-s[i])
			continue
		}
		sMid := float32(0.9999)
		if s[i] != 1 {
			li, ld := log32((1-s[i])/s[i]), log32((1-c.Down)/c.Down)
			lm := li + float32(0.5*(ld-li))
			sMid = 1 / (exp32(lm) + 1)
		}
		q := sMid / s[i]
		lin2(u, q, x, 1-q, den)
		if err := r.Denoise(den2, nil, u, sMid); err != nil {
			return nil, err
		}
		qd := c.Down / s[i]
		lin2(x, qd, x, 1-qd, den2)
		r.Noise(n)
		lin2(x, c.AlphaRatio, x, c.Renoise, n)
	}
	return x, nil
}

// --- dpmpp_sde ------------------------------------------------------------

// sampleDPMPPSDE is DPM-Solver++ (stochastic), r = 1/2, eta 1, in
// half-logSNR time: an ancestral first-order step to the midpoint, then a
// second-order step to s[i+1]. Noise: see the BrownianTree note above.
func sampleDPMPPSDE(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if len(s) <= 1 {
		return x, nil
	}
	if err := needNoise(r); err != nil {
		return nil, err
	}
	const ratio, fac = 0.5, 1 / (2 * 0.5) // r and 1/(2r)
	ms := r.Sampling
	s = offsetFirstSigma(ms, s)
	den, den2, x2, dd, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x), r.Scratch(4, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
			continue
		}
		ls, lt := halfLogSNR(ms, s[i]), halfLogSNR(ms, s[i+1])
		h := lt - ls
		l1 := ls + float32(ratio*h)
		s1 := halfLogSNRToSigma(ms, l1)
		alphaS := float32(s[i] * exp32(ls))
		alpha1 := float32(s1 * exp32(l1))
		alphaT := float32(s[i+1] * exp32(lt))

		// Step 1: to the midpoint.
		down, up := ancestralStep(exp32(-ls), exp32(-l1), 1)
		hh := tOf(down) - ls
		lin2Sub(x2, float32(alpha1/alphaS*exp32(-hh)), x, float32(alpha1*expm132(-hh)), den)
		r.Noise(n)
		addScaled2(x2, x2, n, alpha1, up)
		if err := r.Denoise(den2, nil, x2, s1); err != nil {
			return nil, err
		}

		// Step 2: to s[i+1] with the blended prediction.
		down, up = ancestralStep(exp32(-ls), exp32(-lt), 1)
		hh = tOf(down) - ls
		lin2(dd, 1-fac, den, fac, den2)
		lin2Sub(x, float32(alphaT/alphaS*exp32(-hh)), x, float32(alphaT*expm132(-hh)), dd)
		r.Noise(n)
		addScaled2(x, x, n, alphaT, up)
	}
	return x, nil
}

// --- dpmpp_2m and dpmpp_2m_cfg_pp -------------------------------------------

// sampleDPMPP2M is DPM-Solver++(2M): a multistep second-order exponential
// integrator in t = -log(sigma) that extrapolates the prediction from the
// previous one; first-order on the first and last step.
func sampleDPMPP2M(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	bufs := [2]*tensor.Tensor{r.Scratch(0, x), r.Scratch(1, x)}
	dd := r.Scratch(2, x)
	var prev *tensor.Tensor
	for i := 0; i < len(s)-1; i++ {
		den := bufs[i%2]
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		t, tn := tOf(s[i]), tOf(s[i+1])
		h := tn - t
		target := den
		if prev != nil && s[i+1] != 0 {
			c := 1 / float32(2*dpmppRatio(s, i, h))
			lin2Sub(dd, 1+c, den, c, prev)
			target = dd
		}
		lin2Sub(x, exp32(-tn)/exp32(-t), x, expm132(-h), target)
		prev = den
	}
	return x, nil
}

// dpmppRatio is r = h_last / h of the 2M samplers, with
// h_last = t(s[i]) - t(s[i-1]).
func dpmppRatio(s []float32, i int, h float32) float32 {
	return (tOf(s[i]) - tOf(s[i-1])) / h
}

// sampleDPMPP2MCFGPP is DPM-Solver++(2M) with CFG++: the state is carried
// by the unconditional prediction U and the guided one is added back.
func sampleDPMPP2MCFGPP(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den, mix := r.Scratch(0, x), r.Scratch(1, x)
	uncs := [2]*tensor.Tensor{r.Scratch(2, x), r.Scratch(3, x)}
	var prevU *tensor.Tensor
	for i := 0; i < len(s)-1; i++ {
		unc := uncs[i%2]
		if err := denoiseStep(r, i, den, unc, x, s[i]); err != nil {
			return nil, err
		}
		h := tOf(s[i+1]) - tOf(s[i])
		e := exp32(-h)
		if prevU == nil || s[i+1] == 0 {
			scaleT(mix, unc, -e)
		} else {
			c := float32(expm132(-h) * (1 / float32(2*dpmppRatio(s, i, h))))
			subT(mix, den, prevU)
			lin2Sub(mix, -e, unc, c, mix)
		}
		addT(mix, den, mix)
		addScaled(x, mix, x, e)
		prevU = unc
	}
	return x, nil
}

// --- dpmpp_2m_sde and dpmpp_3m_sde ------------------------------------------

func sampleDPMPP2MSDE(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return dpmpp2MSDE(r, x, s, false)
}

func sampleDPMPP2MSDEHeun(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return dpmpp2MSDE(r, x, s, true)
}

// sdeStep holds the per-step scalars shared by the multistep SDE solvers
// (eta 1) in half-logSNR time.
type sdeStep struct {
	h, hEta, alphaT float32
	negEm           float32 // -expm1(-h_eta)
}

// sdeFirstOrder computes the step's scalars and does the first-order SDE
// update x = (s[i+1]/s[i] * exp(-h*eta)) * x + (alpha_t * -expm1(-h_eta)) * D.
func sdeFirstOrder(ms ModelSampling, x, den *tensor.Tensor, sCur, sNext float32) sdeStep {
	const eta = 1
	ls, lt := halfLogSNR(ms, sCur), halfLogSNR(ms, sNext)
	st := sdeStep{h: lt - ls}
	st.hEta = st.h * (eta + 1)
	st.alphaT = float32(sNext * exp32(lt))
	st.negEm = -expm132(-st.hEta)
	lin2(x, float32(sNext/sCur*exp32(float32(-st.h*eta))), x, float32(st.alphaT*st.negEm), den)
	return st
}

// addSDENoise is x += n * s[i+1] * sqrt(-expm1(-2*h*eta)) (s_noise 1).
func addSDENoise(r *Run, x, n *tensor.Tensor, sNext, h float32) {
	const eta = 1
	r.Noise(n)
	addScaled2(x, x, n, sNext, sqrt32(-expm132(float32(float32(-2*h)*eta))))
}

// dpmpp2MSDE is DPM-Solver++(2M) SDE (eta 1) with the midpoint or heun
// correction from the previous prediction. Noise: see the BrownianTree note.
func dpmpp2MSDE(r *Run, x *tensor.Tensor, s []float32, heun bool) (*tensor.Tensor, error) {
	if len(s) <= 1 {
		return x, nil
	}
	if err := needNoise(r); err != nil {
		return nil, err
	}
	s = offsetFirstSigma(r.Sampling, s)
	bufs := [2]*tensor.Tensor{r.Scratch(0, x), r.Scratch(1, x)}
	diff, n := r.Scratch(2, x), r.Scratch(3, x)
	var prev *tensor.Tensor
	var h, hLast float32
	for i := 0; i < len(s)-1; i++ {
		den := bufs[i%2]
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
		} else {
			st := sdeFirstOrder(r.Sampling, x, den, s[i], s[i+1])
			h = st.h
			if prev != nil {
				invR := 1 / (hLast / h)
				var c float32
				if heun {
					c = float32(float32(st.alphaT*(st.negEm/(-st.hEta)+1)) * invR)
				} else {
					c = float32(float32(float32(0.5*st.alphaT)*st.negEm) * invR)
				}
				subT(diff, den, prev)
				addScaled(x, x, diff, c)
			}
			addSDENoise(r, x, n, s[i+1], h)
		}
		prev, hLast = den, h
	}
	return x, nil
}

// sampleDPMPP3MSDE is DPM-Solver++(3M) SDE (eta 1): second- and third-order
// corrections from the two previous predictions. Noise: see the
// BrownianTree note.
func sampleDPMPP3MSDE(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if len(s) <= 1 {
		return x, nil
	}
	if err := needNoise(r); err != nil {
		return nil, err
	}
	s = offsetFirstSigma(r.Sampling, s)
	bufs := [3]*tensor.Tensor{r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x)}
	d10, d11, tmp, n := r.Scratch(3, x), r.Scratch(4, x), r.Scratch(5, x), r.Scratch(6, x)
	var den1, den2 *tensor.Tensor // previous two predictions
	var h, h1, h2 float32
	var have, have1, have2 bool // h, h1, h2 exist (Python None otherwise)
	for i := 0; i < len(s)-1; i++ {
		den := bufs[i%3]
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
		} else {
			st := sdeFirstOrder(r.Sampling, x, den, s[i], s[i+1])
			h, have = st.h, true
			he := st.hEta
			phi2 := expm132(-he)/he + 1
			switch {
			case have2:
				r0, r1 := h1/h, h2/h
				subT(d10, den, den1)
				divT(d10, d10, r0)
				subT(d11, den1, den2)
				divT(d11, d11, r1)
				// g1 = d10 + (d10 - d11) * r0 / (r0 + r1) into tmp,
				// g2 = (d10 - d11) / (r0 + r1) into d11.
				subT(d11, d10, d11)
				scaleT(tmp, d11, r0)
				divT(tmp, tmp, r0+r1)
				addT(tmp, d10, tmp)
				divT(d11, d11, r0+r1)
				phi3 := phi2/he - 0.5
				addScaled(x, x, tmp, float32(st.alphaT*phi2))
				subScaled(x, x, d11, float32(st.alphaT*phi3))
			case have1:
				subT(d10, den, den1)
				divT(d10, d10, h1/h)
				addScaled(x, x, d10, float32(st.alphaT*phi2))
			}
			addSDENoise(r, x, n, s[i+1], h)
		}
		den1, den2 = den, den1
		h1, h2, have1, have2 = h, h1, have, have1
	}
	return x, nil
}
