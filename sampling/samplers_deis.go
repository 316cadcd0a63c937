package sampling

import "comfyd/tensor"

// DEIS (Zhang & Chen 2023, "tAB" variant, spec 8.21): exponential-integrator
// multistep on the Karras ODE derivative, with coefficients integrated
// numerically over a VP time variable. After k-diffusion's sample_deis and
// deis.py.

func init() { RegisterSampler("deis", sampleDEIS) }

const deisMaxOrder = 3

func sampleDEIS(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	if len(s) < 2 {
		return x, nil
	}
	coeffs := deisCoeffs(s, deisMaxOrder)
	m := newODEMultistep(r, x, deisMaxOrder)
	for i := 0; i < len(s)-1; i++ {
		if err := m.derivative(r, x, s, i); err != nil {
			return nil, err
		}
		if k := deisOrder(s, i, deisMaxOrder); k == 1 {
			addScaled(m.cur, m.cur, m.d[0], s[i+1]-s[i]) // Euler step
		} else {
			addEach(m.cur, coeffs[i], m.d[:k])
		}
		m.rotate()
	}
	copyT(x, m.cur)
	return x, nil
}

// deisOrder is the order used at step i: min(i+1, maxOrder), 1 at sigma 0.
func deisOrder(s []float32, i, maxOrder int) int {
	if s[i+1] <= 0 {
		return 1
	}
	return min(i+1, maxOrder)
}

// addEach is x = ((x + c0*t0) + c1*t1) + ..., each term added in turn.
func addEach(x *tensor.Tensor, c []float32, t []*tensor.Tensor) {
	xs := x.Data
	for i := range xs {
		v := xs[i]
		for j, tj := range t {
			v += float32(c[j] * tj.Data[i])
		}
		xs[i] = v
	}
}

// DEIS's VP schedule is fixed (EDM's range), independent of the model.
const (
	deisSigmaMin = 0.002
	deisSigmaMax = 80
	deisEpsS     = 1e-3
	deisPoints   = 10000 // quadrature points per step
)

// deisCoeffs returns, for every step i of order >= 2, the coefficients of
// (d_i, d_{i-1}, ...): the integral over the step in VP time of the
// exponential-integrator weight times each Lagrange basis polynomial on the
// past VP times, by a left Riemann sum on a float32 linspace as the
// reference does (float32 everywhere, sums in float64).
func deisCoeffs(s []float32, maxOrder int) [][]float32 {
	b0, b1, t := deisVPTimes(s)
	out := make([][]float32, len(s)-1)
	integrand := make([]float32, deisPoints)
	for i := range out {
		k := deisOrder(s, i, maxOrder)
		if k == 1 {
			continue
		}
		taus := LinspaceF32(t[i], t[i+1], deisPoints)
		dtau := (t[i+1] - t[i]) / deisPoints
		for m, tau := range taus {
			integrand[m] = deisIntegrand(b0, b1, tau)
		}
		nodes := make([]float32, k) // t_i, t_{i-1}, ...
		for j := range nodes {
			nodes[j] = t[i-j]
		}
		c := make([]float32, k)
		for j := range c {
			var sum float64
			for m, tau := range taus {
				sum += float64(float32(integrand[m] * lagrangeBasis32(nodes, j, tau)))
			}
			c[j] = float32(float32(sum) * dtau)
		}
		out[i] = c
	}
	return out
}

// deisVPTimes maps sigmas to the VP time of deis.py's edm2t (float32, with
// beta_d and beta_min from the fixed EDM range); it returns beta_0, beta_1
// and the times.
func deisVPTimes(s []float32) (beta0, beta1 float32, t []float32) {
	const smin, smax float32 = deisSigmaMin, deisSigmaMax
	logMin := log32(float32(smin*smin) + 1)
	logMax := log32(float32(smax*smax) + 1)
	betaD := float32(2*(logMin/deisEpsS-logMax)) / (deisEpsS - 1)
	betaMin := logMax - float32(0.5*betaD)
	t = make([]float32, len(s))
	for i, v := range s {
		disc := float32(betaMin*betaMin) + float32(float32(2*betaD)*log32(float32(v*v)+1))
		t[i] = (sqrt32(disc) - betaMin) / betaD
	}
	return betaMin, betaD + betaMin, t
}

// deisIntegrand is -0.5 * dlog(alpha)/dtau / sqrt(alpha(1-alpha)) with
// alpha(tau) = exp(-0.5 tau^2 (b1-b0) - tau b0); the derivative follows the
// chain autograd evaluates in the reference (log, then exp, then the
// polynomial), which is -tau(b1-b0) - b0 up to rounding.
func deisIntegrand(b0, b1, tau float32) float32 {
	db := b1 - b0
	alpha := exp32(float32(float32(-0.5*float32(tau*tau))*db) - float32(tau*b0))
	g := float32((1 / alpha) * alpha) // d log(alpha) / d exponent
	dlog := float32(float32(float32(g*db)*-0.5)*float32(2*tau)) + float32(-g*b0)
	return float32(-0.5*dlog) / sqrt32(float32(alpha*(1-alpha)))
}

// lagrangeBasis32 is the j-th Lagrange basis polynomial on nodes at tau:
// prod over k != j of (tau - n_k)/(n_j - n_k), float32 in that order.
func lagrangeBasis32(nodes []float32, j int, tau float32) float32 {
	p := float32(1)
	for k, nk := range nodes {
		if k != j {
			p = float32(p * ((tau - nk) / (nodes[j] - nk)))
		}
	}
	return p
}
