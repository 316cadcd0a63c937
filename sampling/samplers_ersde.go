package sampling

import "comfyd/tensor"

// ER-SDE-Solver-3 (Cui et al. 2023, arXiv 2309.06169, spec 8.25): the VP
// extended reverse-time SDE in er_lambda = sigma/alpha with a noise scaler,
// up to third order from past predictions, the stage integrals by a
// 200-point Riemann sum. After k-diffusion's sample_er_sde.

func init() { RegisterSampler("er_sde", sampleERSDE) }

const (
	erSDEMaxStage = 3
	erSDEPoints   = 200
)

// erNoiseScaler is the default ER-SDE noise scaler f(z) = z*(exp(z^0.3) + 10).
func erNoiseScaler(z float32) float32 {
	return float32(z * (exp32(pow32(z, 0.3)) + 10))
}

func sampleERSDE(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if err := needNoise(r); err != nil {
		return nil, err
	}
	s = offsetFirstSigma(r.Sampling, s)
	L := make([]float32, len(s)) // er_lambda = sigma/alpha = exp(-lam)
	for i, v := range s {
		L[i] = exp32(-halfLogSNR(r.Sampling, v))
	}
	den, prev, dd, ddPrev, n := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(2, x), r.Scratch(3, x), r.Scratch(4, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		stage := min(erSDEMaxStage, i+1)
		if s[i+1] == 0 {
			copyT(x, den)
		} else {
			ls, lt := L[i], L[i+1]
			as, at := s[i]/ls, s[i+1]/lt
			ra := at / as
			fLt := erNoiseScaler(lt)
			rr := fLt / erNoiseScaler(ls)
			lin2(x, float32(ra*rr), x, float32(at*(1-rr)), den) // stage 1: Euler
			if stage >= 2 {
				dt := lt - ls
				S, Su := erSDEIntegrals(ls, lt)
				divDiff(dd, den, prev, ls-L[i-1])
				addScaled(x, x, dd, float32(at*(dt+float32(S*fLt))))
				if stage >= 3 {
					// Du = (dd - ddPrev)/((ls - L[i-2])/2), reusing ddPrev.
					divDiff(ddPrev, dd, ddPrev, (ls-L[i-2])/2)
					addScaled(x, x, ddPrev, float32(at*(float32(dt*dt)/2+float32(Su*fLt))))
				}
				dd, ddPrev = ddPrev, dd
			}
			r.Noise(n) // s_noise = 1
			c := nanToNum32(sqrt32(float32(lt*lt) - float32(float32(ls*ls)*float32(rr*rr))))
			erAddNoise(x, n, at, c)
		}
		den, prev = prev, den
	}
	return x, nil
}

// erSDEIntegrals are the stage-2 and stage-3 integrals of 1/f and
// (lambda - ls)/f over [lt, ls], as the reference's float32 Riemann sums
// at lt + k*step, step = -(lt - ls)/200 (sums accumulated in float64).
func erSDEIntegrals(ls, lt float32) (S, Su float32) {
	step := -(lt - ls) / erSDEPoints
	var s1, s2 float64
	for k := 0; k < erSDEPoints; k++ {
		pos := lt + float32(float32(k)*step)
		sp := erNoiseScaler(pos)
		s1 += float64(1 / sp)
		s2 += float64((pos - ls) / sp)
	}
	return float32(float32(s1) * step), float32(float32(s2) * step)
}

// divDiff is dst = (a - b) / c.
func divDiff(dst, a, b *tensor.Tensor, c float32) {
	d, as, bs := dst.Data, a.Data[:len(dst.Data)], b.Data[:len(dst.Data)]
	for i := range d {
		d[i] = (as[i] - bs[i]) / c
	}
}

// erAddNoise is x = x + ((a*n)*1)*c: alpha_t * noise * s_noise * coeff,
// left to right as the reference multiplies the tensors.
func erAddNoise(x, n *tensor.Tensor, a, c float32) {
	xs, ns := x.Data, n.Data[:len(x.Data)]
	for i := range xs {
		xs[i] += float32(float32(a*ns[i]) * c)
	}
}
