package sampling

import "comfyd/tensor"

// SEEDS (Gonzalez et al. 2023, arXiv 2305.14267, spec 8.26, 8.27):
// stochastic explicit exponential solvers in data prediction and logSNR
// time, with two (seeds_2, exponential Heun) or three stages, and the
// stage noises correlated along the step. After k-diffusion's
// sample_seeds_2, sample_exp_heun_2_x0(_sde) and sample_seeds_3.

func init() {
	RegisterSampler("seeds_2", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return seeds2(r, x, s, seeds2Opts{eta: 1, sNoise: 1, r: 0.5, phi2: false})
	})
	RegisterSampler("exp_heun_2_x0", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return seeds2(r, x, s, seeds2Opts{eta: 0, sNoise: 0, r: 1, phi2: true})
	})
	RegisterSampler("exp_heun_2_x0_sde", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return seeds2(r, x, s, seeds2Opts{eta: 1, sNoise: 1, r: 1, phi2: true})
	})
	RegisterSampler("seeds_3", sampleSEEDS3)
}

// seeds2Opts: eta scales the SDE part, r places the intermediate point in
// logSNR, phi2 selects the second-order phi_2 combination (else phi_1 with
// the lerped prediction).
type seeds2Opts struct {
	eta, sNoise float64
	r           float64
	phi2        bool
}

// seedsStep holds one step's logSNR geometry: lambda at both ends, the
// step h and h*(eta+1), and the sigma at a fraction of the step with its
// alpha.
type seedsStep struct {
	ms     ModelSampling
	s, sn  float32 // s[i], s[i+1]
	ls, lt float32
	h, he  float32
	at     float32 // alpha at s[i+1]
}

func newSeedsStep(ms ModelSampling, s, sn float32, eta float64) seedsStep {
	st := seedsStep{ms: ms, s: s, sn: sn, ls: halfLogSNR(ms, s), lt: halfLogSNR(ms, sn)}
	st.h = st.lt - st.ls
	st.he = float32(st.h * float32(eta+1))
	st.at = float32(sn * exp32(st.lt))
	return st
}

// point returns the sigma at the fraction r of the step (in logSNR) and its alpha.
func (st seedsStep) point(r float64) (sigma, alpha float32) {
	l := lerp32(st.ls, st.lt, float32(r))
	sigma = halfLogSNRToSigma(st.ms, l)
	return sigma, float32(sigma * exp32(l))
}

// decay is exp(c*h*eta) with the Python scalar c*eta folded as the
// reference writes it: (c * h) * eta.
func (st seedsStep) decay(c, eta float64) float32 {
	return exp32(float32(float32(float32(c)*st.h) * float32(eta)))
}

// seedsNoise is the stochastic part shared by the stages: z, the noise
// accumulated along the step, and the draws that extend it.
type seedsNoise struct {
	r    *Run
	on   bool
	z, n *tensor.Tensor
}

// start sets z = sqrt(-expm1(g2)) * n for the first stage, g2 = (-2r*h)*eta.
func (sn *seedsNoise) start(g2 float32) {
	sn.r.Noise(sn.n)
	scaleT(sn.z, sn.n, sqrt32(-expm132(g2)))
}

// extend continues z over a later segment with factor g = (r_a - r_b)*h*eta:
// z = z*exp(g) + sqrt(-expm1(2g)) * n.
func (sn *seedsNoise) extend(g float32) {
	sn.r.Noise(sn.n)
	lin2(sn.z, exp32(g), sn.z, sqrt32(-expm132(float32(g*2))), sn.n)
}

// add is x = x + (z*sigma)*s_noise.
func (sn *seedsNoise) add(x *tensor.Tensor, sigma float32, sNoise float64) {
	addScaled2(x, x, sn.z, sigma, float32(sNoise))
}

// seeds2 is SEEDS-2: a stage to lambda_s + r*h, then the full step with
// the phi_1 (lerped predictions) or phi_2 weights.
func seeds2(r *Run, x *tensor.Tensor, s []float32, o seeds2Opts) (*tensor.Tensor, error) {
	noise := seedsNoise{r: r, on: o.eta > 0 && o.sNoise > 0}
	if noise.on {
		if err := needNoise(r); err != nil {
			return nil, err
		}
		noise.z, noise.n = r.Scratch(2, x), r.Scratch(3, x)
	}
	s = offsetFirstSigma(r.Sampling, s)
	den, x2, den2 := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(4, x)
	fac := float32(1 / (2 * o.r))
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
			continue
		}
		st := newSeedsStep(r.Sampling, s[i], s[i+1], o.eta)
		s1, a1 := st.point(o.r)

		// Stage 1 to s1.
		lin2Sub(x2, float32((s1/s[i])*st.decay(-o.r, o.eta)), x, float32(a1*phi1h(float32(float32(-o.r)*st.he))), den)
		if noise.on {
			noise.start(float32(float32(float32(-2*o.r)*st.h) * float32(o.eta)))
			noise.add(x2, s1, o.sNoise)
		}
		if err := r.Denoise(den2, nil, x2, s1); err != nil {
			return nil, err
		}

		// Full step to s[i+1].
		ratio := float32((s[i+1] / s[i]) * st.decay(-1, o.eta))
		if o.phi2 {
			b2 := phi2h(-st.he) / float32(o.r)
			b1 := phi1h(-st.he) - b2
			lin2SubPair(x, ratio, x, st.at, b1, den, b2, den2)
		} else {
			lerpT(den2, den, den2, fac)
			lin2Sub(x, ratio, x, float32(st.at*phi1h(-st.he)), den2)
		}
		if noise.on {
			noise.extend(float32(float32(float32(o.r-1)*st.h) * float32(o.eta)))
			noise.add(x, s[i+1], o.sNoise)
		}
	}
	return x, nil
}

// SEEDS-3 defaults.
const (
	seeds3Eta, seeds3SNoise = 1.0, 1.0
	seeds3R1, seeds3R2      = 1.0 / 3, 2.0 / 3
)

// sampleSEEDS3 is SEEDS-3: stages at r1 and r2 of the step, the second
// and the final one combining predictions with phi_2 weights.
func sampleSEEDS3(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	const eta, sNoise, r1, r2 = seeds3Eta, seeds3SNoise, seeds3R1, seeds3R2
	if err := needNoise(r); err != nil {
		return nil, err
	}
	noise := seedsNoise{r: r, on: true, z: r.Scratch(2, x), n: r.Scratch(3, x)}
	s = offsetFirstSigma(r.Sampling, s)
	den, xs, den2, den3 := r.Scratch(0, x), r.Scratch(1, x), r.Scratch(4, x), r.Scratch(5, x)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(x, den)
			continue
		}
		st := newSeedsStep(r.Sampling, s[i], s[i+1], eta)
		s1, a1 := st.point(r1)
		s2, a2 := st.point(r2)

		// Stage 1 to s1.
		lin2Sub(xs, float32((s1/s[i])*st.decay(-r1, eta)), x, float32(a1*phi1h(float32(float32(-r1)*st.he))), den)
		noise.start(float32(float32(float32(-2*r1)*st.h) * eta))
		noise.add(xs, s1, sNoise)
		if err := r.Denoise(den2, nil, xs, s1); err != nil {
			return nil, err
		}

		// Stage 2 to s2.
		he2 := float32(float32(-r2) * st.he)
		q2 := float32(float32(r2/r1) * phi2h(he2))
		q1 := phi1h(he2) - q2
		lin2SubPair(xs, float32((s2/s[i])*st.decay(-r2, eta)), x, a2, q1, den, q2, den2)
		noise.extend(float32(float32(float32(r1-r2)*st.h) * eta))
		noise.add(xs, s2, sNoise)
		if err := r.Denoise(den3, nil, xs, s2); err != nil {
			return nil, err
		}

		// Full step to s[i+1].
		b3 := phi2h(-st.he) / float32(r2)
		b1 := phi1h(-st.he) - b3
		lin2SubPair(x, float32((s[i+1]/s[i])*st.decay(-1, eta)), x, st.at, b1, den, b3, den3)
		noise.extend(float32(float32(float32(r2-1)*st.h) * eta))
		noise.add(x, s[i+1], sNoise)
	}
	return x, nil
}

// lerpT is torch.lerp(a, b, w) elementwise: a + w*(b-a) for |w| < 0.5,
// else b - (b-a)*(1-w).
func lerpT(dst, a, b *tensor.Tensor, w float32) {
	d, as, bs := dst.Data, a.Data[:len(dst.Data)], b.Data[:len(dst.Data)]
	for i := range d {
		d[i] = lerp32(as[i], bs[i], w)
	}
}

// lin2SubPair is dst = a*x - s*(b*y + c*z), the exponential-integrator update
// "ratio*x - alpha_t*(b1*D1 + b2*D2)" of the SEEDS and exponential Heun
// solvers.
func lin2SubPair(dst *tensor.Tensor, a float32, x *tensor.Tensor, s, b float32, y *tensor.Tensor, c float32, z *tensor.Tensor) {
	d, xs, ys, zs := dst.Data, x.Data[:len(dst.Data)], y.Data[:len(dst.Data)], z.Data[:len(dst.Data)]
	for i := range d {
		d[i] = float32(a*xs[i]) - float32(s*(float32(b*ys[i])+float32(c*zs[i])))
	}
}
