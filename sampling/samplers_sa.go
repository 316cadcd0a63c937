package sampling

import (
	"math"

	"comfyd/tensor"
)

// SA-Solver (Xue et al. 2023, arXiv 2309.05019, spec 8.28): stochastic
// Adams predictor (order 3) and corrector (order 4) in data prediction and
// half-logSNR time, stochastic (tau = 1) only between percent 0.2 and 0.8
// of the schedule. sa_solver_pece re-evaluates the model after each
// correction. After k-diffusion's sample_sa_solver and sa_solver.py.

func init() {
	RegisterSampler("sa_solver", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return saSolver(r, x, s, false)
	})
	RegisterSampler("sa_solver_pece", func(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
		return saSolver(r, x, s, true)
	})
}

const (
	saPredictorOrder = 3
	saCorrectorOrder = 4
	saMaxOrder       = max(saPredictorOrder, saCorrectorOrder)
)

func saSolver(r *Run, x *tensor.Tensor, s []float32, pece bool) (*tensor.Tensor, error) {
	if len(s) <= 1 {
		return x, nil
	}
	if r.Sampling == nil {
		return nil, errNoSampling
	}
	if err := needNoise(r); err != nil {
		return nil, err
	}
	s = offsetFirstSigma(r.Sampling, s)
	lam := make([]float32, len(s))
	for i, v := range s {
		lam[i] = halfLogSNR(r.Sampling, v)
	}
	tauStart, tauEnd := r.Sampling.PercentToSigma(0.2), r.Sampling.PercentToSigma(0.8)
	tau := func(v float32) float32 { // eta = 1 inside [end, start], ODE outside
		if tauStart >= float64(v) && float64(v) >= tauEnd {
			return 1
		}
		return 0
	}

	N := len(s) - 1
	lower := s[N] == 0 // lower the orders near the end
	xp, noise := r.Scratch(0, x), r.Scratch(1, x)
	copyT(xp, x)
	// P holds the last saMaxOrder predictions, oldest first; the buffers
	// rotate through pool.
	var pool, P [saMaxOrder + 1]*tensor.Tensor
	for j := range pool {
		pool[j] = r.Scratch(2+j, x)
	}
	nP := 0
	var h, tauT float32
	var b [saMaxOrder]float32
	for i := 0; i < N; i++ {
		// Evaluation into the oldest free buffer.
		den := pool[i%len(pool)]
		if err := denoiseStep(r, i, den, nil, xp, s[i]); err != nil {
			return nil, err
		}
		if nP == saMaxOrder {
			copy(P[:], P[1:nP])
			nP--
		}
		P[nP] = den
		nP++
		po := min(saPredictorOrder, nP)
		co := min(saCorrectorOrder, nP)
		if i == 0 || (s[i+1] == 0 && !pece) {
			co = 0
		}
		if lower {
			po = min(po, N-1-i)
			co = min(co, N-i)
		}

		// Corrector.
		if co == 0 {
			copyT(x, xp)
		} else {
			saCoeffs(b[:co], s[i], lam[i-co+1:i+1], lam[i-1], lam[i], tauT)
			ratio := float32((s[i] / s[i-1]) * exp32(float32(-(tauT*tauT)*h)))
			saCombine(x, ratio, x, b[:co], P[nP-co:nP])
			if tauT > 0 {
				addT(x, x, noise) // the previous predictor's noise
			}
			if pece {
				if err := r.Denoise(den, nil, x, s[i]); err != nil {
					return nil, err
				}
			}
		}

		// Predictor.
		if s[i+1] == 0 {
			copyT(xp, den)
			continue
		}
		tauT = tau(s[i+1])
		saCoeffs(b[:po], s[i+1], lam[i-po+1:i+1], lam[i], lam[i+1], tauT)
		h = lam[i+1] - lam[i]
		ratio := float32((s[i+1] / s[i]) * exp32(float32(-(tauT*tauT)*h)))
		saCombine(xp, ratio, x, b[:po], P[nP-po:nP])
		if tauT > 0 { // s_noise = 1
			r.Noise(noise)
			c := sqrt32(-expm132(float32(float32(-2*tauT*tauT) * h)))
			saScaleNoise(noise, s[i+1], c)
			addT(xp, xp, noise)
		}
	}
	return xp, nil
}

// saCombine is dst = ratio*x + tensordot(P, b): the prediction terms summed
// oldest first, then added to the decayed state.
func saCombine(dst *tensor.Tensor, ratio float32, x *tensor.Tensor, b []float32, P []*tensor.Tensor) {
	d, xs := dst.Data, x.Data[:len(dst.Data)]
	for i := range d {
		acc := float32(P[0].Data[i] * b[0])
		for k := 1; k < len(P); k++ {
			acc += float32(P[k].Data[i] * b[k])
		}
		d[i] = float32(ratio*xs[i]) + acc
	}
}

// saScaleNoise is n = (n*sigma)*c (times s_noise = 1).
func saScaleNoise(n *tensor.Tensor, sigma, c float32) {
	for i, v := range n.Data {
		n.Data[i] = float32(float32(v*sigma) * c)
	}
}

// saCoeffs writes into b the stochastic Adams coefficients for the
// Lagrange basis on the half-logSNR nodes lams (len(b) of them) over the
// step [la, lb] with stochasticity tau (compute_stochastic_adams_b_coeffs):
// the exponential integrals E_p = lb^p - la^p e^{-(1+tau^2)h} folded by the
// integration-by-parts matrix W, then V c = W E with V[p][j] = lams[j]^p,
// scaled by alpha at lb = vNext*exp(lb). float32 throughout.
func saCoeffs(b []float32, vNext float32, lams []float32, la, lb, tau float32) {
	K := len(b)
	m := 1 + tau*tau
	h := lb - la
	decay := exp32(float32(-m * h))
	var E, c [saMaxOrder]float32
	for p := 0; p < K; p++ {
		E[p] = pow32(lb, float32(p)) - float32(pow32(la, float32(p))*decay)
	}
	logM := float32(math.Log(float64(m)))
	for p := 0; p < K; p++ { // c = W @ E, W lower triangular
		var acc float32
		for q := 0; q <= p; q++ {
			lw := lgamma32(float32(p+1)) - lgamma32(float32(q+1))
			if tau > 0 {
				lw -= float32(float32(p-q) * logM)
			}
			w := exp32(lw)
			if (p-q)%2 != 0 {
				w = -w
			}
			acc += float32(w * E[q])
		}
		c[p] = acc
	}
	var V [saMaxOrder * saMaxOrder]float32
	for j, l := range lams { // vander(lams, increasing).T: powers by repeated products
		v := float32(1)
		for p := 0; p < K; p++ {
			V[p*K+j] = v
			v = float32(v * l)
		}
	}
	solve32(V[:K*K], c[:K], K)
	alpha := float32(vNext * exp32(lb))
	for p := range b {
		b[p] = float32(alpha * c[p])
	}
}

// lgamma32 is torch's float32 lgamma.
func lgamma32(v float32) float32 {
	l, _ := math.Lgamma(float64(v))
	return float32(l)
}
