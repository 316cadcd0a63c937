package sampling

import "comfyd/tensor"

// Heun-family samplers (spec 8.4, 8.5), after k-diffusion's sample_heun and
// ComfyUI's sample_heunpp2.

func init() {
	RegisterSampler("heun", sampleHeun)
	RegisterSampler("heunpp2", sampleHeunpp2)
}

// sampleHeun: an Euler predictor to s[i+1], corrected with the mean of the
// two slopes (Karras et al. 2022, algorithm 2 without churn); the last step
// to sigma 0 is plain Euler.
func sampleHeun(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den, d, x2, d2 := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		toD(d, x, den, s[i])
		dt := s[i+1] - s[i]
		if s[i+1] != 0 {
			if err := slopeAfterEuler(r, x2, d2, den, x, d, dt, s[i+1]); err != nil {
				return nil, err
			}
			mean2(d, d, d2)
		}
		addScaled(x, x, d, dt)
	}
	return x, nil
}

// slopeAfterEuler takes the Euler step x2 = x + d*dt and writes the slope
// d2 = to_d(x2, D(x2, sigma), sigma) there; den is scratch for D.
func slopeAfterEuler(r *Run, x2, d2, den, x, d *tensor.Tensor, dt, sigma float32) error {
	addScaled(x2, x, d, dt)
	if err := r.Denoise(den, nil, x2, sigma); err != nil {
		return err
	}
	toD(d2, x2, den, sigma)
	return nil
}

// sampleHeunpp2 (Heun++): up to two extra slopes along the schedule,
// weighted by their sigmas relative to s[0]; Euler on the last step. The
// reference also draws and discards one torch.randn_like(x) per step from
// the global generator (for churn, which is 0); nothing else in a run reads
// that generator, so skipping the draw changes no result.
func sampleHeunpp2(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den, d := r.Scratch(0, x), r.Scratch(1, x)
	x2, d2, x3, d3 := r.Scratch(2, x), r.Scratch(3, x), r.Scratch(4, x), r.Scratch(5, x)
	end := s[len(s)-1]
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		toD(d, x, den, s[i])
		dt := s[i+1] - s[i]
		switch {
		case s[i+1] == end:
			// Euler
		case s[i+2] == end:
			if err := slopeAfterEuler(r, x2, d2, den, x, d, dt, s[i+1]); err != nil {
				return nil, err
			}
			w2 := s[i+1] / float32(2*s[0])
			lin2(d, 1-w2, d, w2, d2)
		default:
			if err := slopeAfterEuler(r, x2, d2, den, x, d, dt, s[i+1]); err != nil {
				return nil, err
			}
			if err := slopeAfterEuler(r, x3, d3, den, x2, d2, s[i+2]-s[i+1], s[i+2]); err != nil {
				return nil, err
			}
			w := float32(3 * s[0])
			w2, w3 := s[i+1]/w, s[i+2]/w
			lin2(d, (1-w2)-w3, d, w2, d2)
			addScaled(d, d, d3, w3)
		}
		addScaled(x, x, d, dt)
	}
	return x, nil
}
