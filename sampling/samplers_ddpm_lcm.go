package sampling

import "comfyd/tensor"

// DDPM ancestral sampling and LCM (spec 8.18, 8.19), after k-diffusion's
// generic_step_sampler with DDPMSampler_step, and sample_lcm.

func init() {
	RegisterSampler("ddpm", sampleDDPM)
	RegisterSampler("lcm", sampleLCM)
}

// sampleDDPM runs the DDPM posterior step (Ho et al. 2020, eq. 11) in the
// variance-preserving space: scale x to x/sqrt(1+s^2), step from alpha-bar
// at s[i] to alpha-bar at s[i+1] with fresh noise, scale back.
func sampleDDPM(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	den, n := r.Scratch(0, x), r.Scratch(1, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		sc, sn := s[i], s[i+1]
		ab := 1 / (float32(sc*sc) + 1) // alpha-bar at s[i]
		abPrev := 1 / (float32(sn*sn) + 1)
		a := ab / abPrev
		c := ddpmCoeffs{
			vpIn:   sqrt32(1 + float32(sc*sc)),
			sigma:  sc,
			oneMA:  1 - a,
			epsDiv: sqrt32(1 - ab),
			mean:   sqrt32(1 / a),
		}
		var fresh *tensor.Tensor
		if sn > 0 {
			r.Noise(n)
			fresh = n
			c.noise = sqrt32(float32(float32(1-a)*(1-abPrev)) / (1 - ab))
		}
		if sn != 0 {
			c.vpOut = sqrt32(1 + float32(sn*sn))
		}
		c.step(x, den, fresh)
	}
	return x, nil
}

// ddpmCoeffs are one DDPM step's scalars, in the reference's names:
// x_in = x/vpIn, eps = (x - D)/sigma,
// mu = mean*(x_in - oneMA*eps/epsDiv) [+ noise*n], x = mu*vpOut (if vpOut != 0).
type ddpmCoeffs struct {
	vpIn, sigma, oneMA, epsDiv, mean, noise, vpOut float32
}

// step applies the DDPM step to x in place; n is nil when no noise is added.
func (c ddpmCoeffs) step(x, den, n *tensor.Tensor) {
	xs, ds := x.Data, den.Data[:len(x.Data)]
	for i := range xs {
		xin := xs[i] / c.vpIn
		eps := (xs[i] - ds[i]) / c.sigma
		mu := float32(c.mean * (xin - float32(c.oneMA*eps)/c.epsDiv))
		if n != nil {
			mu += float32(c.noise * n.Data[i])
		}
		if c.vpOut != 0 {
			mu = float32(mu * c.vpOut)
		}
		xs[i] = mu
	}
}

// sampleLCM is the latent consistency model sampler: jump to the denoised
// prediction, then renoise it to the next sigma with fresh noise.
func sampleLCM(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	den, n := r.Scratch(0, x), r.Scratch(1, x)
	kind := EPS
	if r.Sampling != nil {
		kind = r.Sampling.Kind()
	}
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] > 0 {
			r.Noise(n)
			NoiseScaling(x, n, den, s[i+1], false, kind)
		} else {
			copyT(x, den)
		}
	}
	return x, nil
}
