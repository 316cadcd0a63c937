package sampling

import "comfyd/tensor"

// RES multistep (Zhang et al. 2023, arXiv 2308.02157, spec 8.23) with its
// ancestral and CFG++ variants, and gradient estimation (Permenter & Yuan
// 2024, spec 8.24). After k-diffusion's res_multistep and
// sample_gradient_estimation.

func init() {
	RegisterSampler("res_multistep", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return resMultistep(r, x, s, 0, false)
	})
	RegisterSampler("res_multistep_cfg_pp", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return resMultistep(r, x, s, 0, true)
	})
	RegisterSampler("res_multistep_ancestral", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return resMultistep(r, x, s, 1, false)
	})
	RegisterSampler("res_multistep_ancestral_cfg_pp", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return resMultistep(r, x, s, 1, true)
	})
	RegisterSampler("gradient_estimation", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return gradientEstimation(r, x, s, geGamma, false)
	})
	RegisterSampler("gradient_estimation_cfg_pp", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return gradientEstimation(r, x, s, geGamma, true)
	})
}

// resMultistep is the second-order RES multistep exponential integrator in
// t = -log(sigma): an Euler step first (and at sigma_down 0), then steps
// that combine the current and previous predictions with phi-function
// weights. eta > 0 steps to sigma_down and renoises; cfgPP uses the
// unconditional prediction U for the trajectory (CFG++).
func resMultistep(r *Run, x *tensor.Tensor, s []float32, eta float32, cfgPP bool) (*tensor.Tensor, error) {
	if eta > 0 {
		if err := needNoise(r); err != nil {
			return nil, err
		}
	}
	den, old, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x)
	var unc *tensor.Tensor
	if cfgPP {
		unc = r.Scratch(3, x)
	}
	var oldDown float32
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, unc, x, s[i]); err != nil {
			return nil, err
		}
		down, up := ancestralStep(s[i], s[i+1], eta)
		switch {
		case down == 0 || i == 0: // Euler
			if cfgPP {
				resEulerCFGPP(x, den, unc, s[i], down)
			} else {
				resEuler(x, den, s[i], down-s[i])
			}
		default:
			t, tNext, tPrev, tOld := -log32(s[i]), -log32(down), -log32(s[i-1]), -log32(oldDown)
			h := tNext - t
			c2 := (tPrev - tOld) / h
			phi1 := expm132(-h) / -h
			phi2 := (phi1 - 1) / -h
			b1 := nanToNum32(phi1 - phi2/c2)
			b2 := nanToNum32(phi2 / c2)
			e := exp32(-h)
			if cfgPP {
				addDiff(x, den, unc) // x + (D - U): the guidance moves x first
				lin2Add(x, e, x, h, b1, unc, b2, old)
			} else {
				lin2Add(x, e, x, h, b1, den, b2, old)
			}
		}
		// The reference draws noise whenever s[i+1] > 0; with eta 0 it is
		// multiplied by sigma_up = 0, so no draw is needed to match it.
		if s[i+1] > 0 && eta > 0 {
			r.Noise(n)
			addScaled(x, x, n, up) // n * s_noise * up, s_noise = 1
		}
		if cfgPP {
			copyT(old, unc)
		} else {
			copyT(old, den)
		}
		oldDown = down
	}
	return x, nil
}

// addDiff is x = x + (a - b).
func addDiff(x, a, b *tensor.Tensor) {
	xs, as, bs := x.Data, a.Data[:len(x.Data)], b.Data[:len(x.Data)]
	for i := range xs {
		xs[i] += as[i] - bs[i]
	}
}

// resEuler is x = x + ((x - D)/s) * dt.
func resEuler(x, den *tensor.Tensor, s, dt float32) {
	xs, ds := x.Data, den.Data[:len(x.Data)]
	for i := range xs {
		xs[i] += float32(((xs[i] - ds[i]) / s) * dt)
	}
}

// resEulerCFGPP is x = D + ((x - U)/s) * down.
func resEulerCFGPP(x, den, unc *tensor.Tensor, s, down float32) {
	xs, ds, us := x.Data, den.Data[:len(x.Data)], unc.Data[:len(x.Data)]
	for i := range xs {
		xs[i] = ds[i] + float32(((xs[i]-us[i])/s)*down)
	}
}

const geGamma = 2

// gradientEstimation is Euler with the derivative extrapolated from the
// previous one: x += dt*d + (gamma-1)*(d - d_prev)*dt. cfgPP takes d from
// the unconditional prediction and the step from the guided one.
func gradientEstimation(r *Run, x *tensor.Tensor, s []float32, gamma float32, cfgPP bool) (*tensor.Tensor, error) {
	den, d, dOld := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x)
	var unc *tensor.Tensor
	if cfgPP {
		unc = r.Scratch(3, x)
	}
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, unc, x, s[i]); err != nil {
			return nil, err
		}
		if cfgPP {
			toD(d, x, unc, s[i])
		} else {
			toD(d, x, den, s[i])
		}
		dt := s[i+1] - s[i]
		switch {
		case s[i+1] == 0:
			copyT(x, den)
		case cfgPP:
			lin2(x, 1, den, s[i+1], d) // D + d*s[i+1]
		default:
			addScaled(x, x, d, dt)
		}
		if s[i+1] != 0 && i >= 1 {
			geCorrect(x, d, dOld, gamma-1, dt)
		}
		d, dOld = dOld, d
	}
	return x, nil
}

// geCorrect is x = x + ((g * (d - dOld)) * dt).
func geCorrect(x, d, dOld *tensor.Tensor, g, dt float32) {
	xs, ds, os := x.Data, d.Data[:len(x.Data)], dOld.Data[:len(x.Data)]
	for i := range xs {
		xs[i] += float32(float32(g*(ds[i]-os[i])) * dt)
	}
}

// lin2Add is dst = a*x + s*(b*y + c*z), the RES update
// "exp(-h)*x + h*(b1*D + b2*D_old)": the inner sum is rounded, then scaled.
func lin2Add(dst *tensor.Tensor, a float32, x *tensor.Tensor, s, b float32, y *tensor.Tensor, c float32, z *tensor.Tensor) {
	d, xs, ys, zs := dst.Data, x.Data[:len(dst.Data)], y.Data[:len(dst.Data)], z.Data[:len(dst.Data)]
	for i := range d {
		d[i] = float32(a*xs[i]) + float32(s*(float32(b*ys[i])+float32(c*zs[i])))
	}
}
