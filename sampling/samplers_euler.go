package sampling

import "comfyd/tensor"

// Euler-family samplers (spec 8.1-8.3), after k-diffusion's sample_euler,
// sample_euler_ancestral(_RF) and sample_euler_ancestral_cfg_pp.

func init() {
	RegisterSampler("euler", sampleEuler)
	// ddim is euler: its only difference (random inpainting noise) applies
	// to masked sampling, which is out of scope (spec 7.1).
	RegisterSampler("ddim", sampleEuler)
	RegisterSampler("euler_ancestral", sampleEulerAncestral)
	RegisterSampler("euler_cfg_pp", sampleEulerCFGPP)
	RegisterSampler("euler_ancestral_cfg_pp", sampleEulerAncestralCFGPP)
}

// sampleEuler: x += d * (s[i+1] - s[i]) (Karras et al. 2022, algorithm 2
// without churn).
func sampleEuler(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den := r.Scratch(0, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		eulerStep(x, x, den, s[i], s[i+1]-s[i])
	}
	return x, nil
}

// sampleEulerAncestral steps to sigma_down with Euler, then adds fresh noise
// of size sigma_up (eta 1). Flow models use the RF variant.
func sampleEulerAncestral(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	if isRF(r) {
		return eulerAncestralRF(r, x, s, 1, 1)
	}
	den, n := r.Scratch(0, x), r.Scratch(2, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		down, up := ancestralStep(s[i], s[i+1], 1)
		if down == 0 {
			copyT(x, den)
			continue
		}
		eulerStep(x, x, den, s[i], down-s[i])
		r.Noise(n)
		addScaled(x, x, n, up) // n * s_noise * up with s_noise = 1
	}
	return x, nil
}

// eulerAncestralRF is sample_euler_ancestral_RF: interpolate towards the
// prediction down to sigma_down, then rescale and renoise to s[i+1].
func eulerAncestralRF(r *Run, x *tensor.Tensor, s []float32, eta, sNoise float32) (*tensor.Tensor, error) {
	den, n := r.Scratch(0, x), r.Scratch(2, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
			continue
		}
		c := rfAncestralStep(s[i], s[i+1], eta)
		q := c.Down / s[i]
		lin2(x, q, x, 1-q, den)
		if eta > 0 {
			r.Noise(n)
			lin2(x, c.AlphaRatio, x, float32(sNoise*c.Renoise), n)
		}
	}
	return x, nil
}

// sampleEulerCFGPP is euler_ancestral_cfg_pp without noise (eta 0).
func sampleEulerCFGPP(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return eulerAncestralCFGPP(r, x, s, 0, 0)
}

// sampleEulerAncestralCFGPP is the CFG++ ancestral Euler sampler (eta 1).
func sampleEulerAncestralCFGPP(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	return eulerAncestralCFGPP(r, x, s, 1, 1)
}

// eulerAncestralCFGPP (CFG++, Chung et al. 2024): the noise direction comes
// from the unconditional prediction U, the clean part from the guided one:
// x = alpha_t*D + sigma_down*(x - alpha_s*U)/s[i], then renoise.
func eulerAncestralCFGPP(r *Run, x *tensor.Tensor, s []float32, eta, sNoise float32) (*tensor.Tensor, error) {
	den, unc, d, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, unc, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
			continue
		}
		alphaS := float32(s[i] * exp32(halfLogSNR(r.Sampling, s[i])))
		alphaT := float32(s[i+1] * exp32(halfLogSNR(r.Sampling, s[i+1])))
		scaleT(d, unc, alphaS)
		toD(d, x, d, s[i])
		down, up := ancestralStep(s[i]/alphaS, s[i+1]/alphaT, eta)
		down = alphaT * down
		lin2(x, alphaT, den, down, d)
		if eta > 0 && sNoise > 0 {
			r.Noise(n)
			addScaled2(x, x, n, alphaT, float32(sNoise*up))
		}
	}
	return x, nil
}
