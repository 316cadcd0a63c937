package sampling

import "comfyd/tensor"

// UniPC (Zhao et al. 2023, spec 8.22): a multistep predictor-corrector in
// data prediction on the variance-preserving trajectory, as ComfyUI's
// comfy/extra_samplers/uni_pc.py runs it (variant bh1 or bh2, order up to
// 3, lower order at the end, no corrector on the final update).

func init() {
	RegisterSampler("uni_pc", sampleUniPC)
	RegisterSampler("uni_pc_bh2", sampleUniPCBH2)
}

func sampleUniPC(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return uniPC(r, x, s, false)
}

func sampleUniPCBH2(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return uniPC(r, x, s, true)
}

// uniPCFinalSigma replaces a final sigma of 0, where the VP quantities
// are singular.
const uniPCFinalSigma = 0.001

// vpSigma holds the VP quantities of a sigma v: alpha = 1/sqrt(1+v^2),
// std = v*alpha and the half-logSNR lam = log(alpha/std), computed as the
// reference's SigmaConvert does (through log alpha).
type vpSigma struct{ alpha, std, lam float32 }

func vpOf(v float32) vpSigma {
	la := float32(0.5 * log32(1/(float32(v*v)+1)))
	e := exp32(float32(2 * la))
	return vpSigma{
		alpha: exp32(la),
		std:   sqrt32(1 - e),
		lam:   la - float32(0.5*log32(1-e)),
	}
}

// uniPCRun is the solver state: the model (data) predictions M with their
// sigmas T, oldest first, and a pool of free prediction buffers.
type uniPCRun struct {
	r        *Run
	bh2      bool
	xin, den *tensor.Tensor // model evaluation buffers
	yb       *tensor.Tensor // the exponential-integrator base x_t_
	M        []*tensor.Tensor
	T        []float32
	free     []*tensor.Tensor
}

// uniPC runs the multistep loop on y = x/sqrt(1+s0^2). s[N] == 0 is
// replaced by 0.001 in place: the caller's sigmas change, as in the
// reference, and its inverse noise scaling uses the new value (spec 7).
func uniPC(r *Run, x *tensor.Tensor, s []float32, bh2 bool) (*tensor.Tensor, error) {
	if len(s) == 0 {
		return x, nil
	}
	N := len(s) - 1
	if s[N] == 0 {
		s[N] = uniPCFinalSigma
	}
	y := x // the VP state, updated in place
	divT(y, x, sqrt32(1+float32(s[0]*s[0])))
	if N < 1 {
		divT(x, y, vpOf(s[N]).alpha)
		return x, nil
	}
	order := min(3, N-1)
	u := &uniPCRun{r: r, bh2: bh2, xin: r.Scratch(0, x), den: r.Scratch(1, x), yb: r.Scratch(2, x)}
	for j := 0; j < max(order, 1)+1; j++ {
		u.free = append(u.free, r.Scratch(3+j, x))
	}
	u.M, u.T = make([]*tensor.Tensor, 0, order+1), make([]float32, 0, order+1)

	m := u.take()
	if err := u.model(m, y, s[0]); err != nil {
		return nil, err
	}
	u.M, u.T = append(u.M, m), append(u.T, s[0])
	if err := r.Step(0, y, m); err != nil {
		return nil, err
	}
	for k := 1; k < N; k++ {
		if k < order { // warm-up: order k, always corrected
			m, err := u.update(y, s[k], k, true)
			if err != nil {
				return nil, err
			}
			u.M, u.T = append(u.M, m), append(u.T, s[k])
		} else {
			last := k
			if k == N-1 {
				last = N // the final update to s[N] runs in the same step
			}
			for j := k; j <= last; j++ {
				m, err := u.update(y, s[j], min(order, N+1-j), j != N)
				if err != nil {
					return nil, err
				}
				u.shift(m, s[j])
			}
		}
		if err := r.Step(k, y, u.M[len(u.M)-1]); err != nil {
			return nil, err
		}
	}
	divT(x, y, vpOf(s[N]).alpha)
	return x, nil
}

func (u *uniPCRun) take() *tensor.Tensor {
	t := u.free[len(u.free)-1]
	u.free = u.free[:len(u.free)-1]
	return t
}

// shift drops the oldest prediction and records sigma t as the newest; m
// replaces the newest prediction, or, when nil (the final update, which
// evaluates no model), the newest one is kept, as the reference's list
// shift leaves it.
func (u *uniPCRun) shift(m *tensor.Tensor, t float32) {
	n := len(u.M)
	if m != nil {
		u.free = append(u.free, u.M[0])
	} else {
		m = u.M[n-1]
	}
	copy(u.M, u.M[1:])
	copy(u.T, u.T[1:])
	u.M[n-1], u.T[n-1] = m, t
}

// model writes the data prediction at sigma v for the VP state y into dst:
// x = y*sqrt(v^2+1), eps = (x - D(x, v))/v, x0 = (y - std*eps)/alpha.
func (u *uniPCRun) model(dst, y *tensor.Tensor, v float32) error {
	scaleT(u.xin, y, sqrt32(float32(v*v)+1))
	if err := u.r.Denoise(u.den, nil, u.xin, v); err != nil {
		return err
	}
	vp := vpOf(v)
	n := len(dst.Data)
	uniPCModel(dst.Data, y.Data[:n], u.xin.Data[:n], u.den.Data[:n], v, vp.std, vp.alpha)
	return nil
}

// update is multistep_uni_pc_bh_update in data prediction: a predictor of
// order p from the last p predictions moves y to sigma t in place; with
// the corrector the model is evaluated there and y is recomputed with that
// prediction included. It returns the new prediction (nil without the
// corrector).
func (u *uniPCRun) update(y *tensor.Tensor, t float32, p int, useCorrector bool) (*tensor.Tensor, error) {
	n := len(u.M)
	m0, t0 := u.M[n-1], u.T[n-1]
	vt, v0 := vpOf(t), vpOf(t0)
	var c uniPCCoef
	c.solve(u.T[n-p:], vt.lam-v0.lam, p, u.bh2)

	aS, aPhi, aB := vt.std/v0.std, float32(vt.alpha*c.hPhi1), float32(vt.alpha*c.B)
	nt := len(y.Data)
	ys, bs, ms := y.Data, u.yb.Data[:nt], m0.Data[:nt]
	// D1_q = (M[-2-q] - m0)/rk[q] for q < p-1; absent terms add exact zeros.
	pred := uniPCTerms{p0: ms, p1: ms, k0: 1, k1: 1}
	if p >= 2 {
		pred.p0, pred.k0, pred.r0 = u.M[n-2].Data[:nt], c.rk[0], c.rhoP[0]
	}
	if p >= 3 {
		pred.p1, pred.k1, pred.r1 = u.M[n-3].Data[:nt], c.rk[1], c.rhoP[1]
	}
	uniPCPredict(ys, bs, ms, pred, aS, aPhi, aB)
	if !useCorrector {
		return nil, nil
	}
	mt := u.take()
	if err := u.model(mt, y, t); err != nil {
		return nil, err
	}
	corr := pred // same terms, corrector weights
	if p >= 2 {
		corr.r0 = c.rhoC[0]
	}
	if p >= 3 {
		corr.r1 = c.rhoC[1]
	}
	uniPCCorrect(ys, bs, ms, corr, mt.Data[:nt], c.rhoC[p-1], aB)
	return mt, nil
}

const uniPCMaxOrder = 3

// uniPCCoef are one update's scalars: h*phi_1 = expm1(-h), B(h), the
// logSNR ratios rk of the previous predictions and the predictor and
// corrector weights (the first p-1, resp. p, entries are used).
type uniPCCoef struct {
	hPhi1, B float32
	rk       [uniPCMaxOrder - 1]float32
	rhoP     [uniPCMaxOrder - 1]float32
	rhoC     [uniPCMaxOrder]float32
}

// solve builds, for order p and step h in logSNR from the sigmas T (oldest
// first, T[p-1] the current one), R with rows rks^(q-1) and b with entries
// phi_q(h) q! / B(h), and solves for the weights; orders 1 (corrector) and
// 2 (predictor) use the fixed weight 1/2, as the reference does.
func (c *uniPCCoef) solve(T []float32, h float32, p int, bh2 bool) {
	l0 := vpOf(T[p-1]).lam
	var rks [uniPCMaxOrder]float32
	for q := 1; q < p; q++ {
		rks[q-1] = (vpOf(T[p-1-q]).lam - l0) / h
		c.rk[q-1] = rks[q-1]
	}
	rks[p-1] = 1
	hh := -h
	c.hPhi1, c.B = expm132(hh), hh
	if bh2 {
		c.B = c.hPhi1
	}
	var R [uniPCMaxOrder * uniPCMaxOrder]float32
	var b [uniPCMaxOrder]float32
	hPhiK := c.hPhi1/hh - 1
	fact := 1
	for q := 1; q <= p; q++ {
		for j := 0; j < p; j++ {
			R[(q-1)*p+j] = pow32(rks[j], float32(q-1)) // rks^0 = 1, rks^2 = rks*rks
		}
		b[q-1] = float32(hPhiK*float32(fact)) / c.B
		fact *= q + 1
		hPhiK = hPhiK/hh - float32(1/float64(fact))
	}
	if p == 2 {
		c.rhoP[0] = 0.5
	} else if p > 2 {
		var sub [(uniPCMaxOrder - 1) * (uniPCMaxOrder - 1)]float32
		for i := 0; i < p-1; i++ {
			copy(sub[i*(p-1):], R[i*p:i*p+p-1])
		}
		copy(c.rhoP[:], b[:p-1])
		solve32(sub[:(p-1)*(p-1)], c.rhoP[:p-1], p-1)
	}
	if p == 1 {
		c.rhoC[0] = 0.5
	} else {
		copy(c.rhoC[:], b[:p])
		solve32(R[:p*p], c.rhoC[:p], p)
	}
}

// uniPCTerms are the previous-prediction terms of an update,
// rho_q * (P_q - m0)/rk_q for q = 0, 1. An absent term has P = m0 and
// weight 0, so it adds an exact zero: one kernel serves every order.
type uniPCTerms struct {
	p0, p1         []float32
	r0, k0, r1, k1 float32
}

// UniPC's hot loops. Each is written once in Go (the reference for the
// rounding: every operation on float32, in the reference's order) and, on
// amd64 with AVX2, also as an 8-lane assembly kernel that performs the
// same IEEE single-precision operations lane by lane, so both give
// bit-identical results (TestUniPCKernelsMatchGo).

// uniPCModel is the data prediction d = (y - std*((xin - den)/v))/alpha.
func uniPCModel(d, y, xin, den []float32, v, std, alpha float32) {
	k := uniPCModelAsm(d, y, xin, den, v, std, alpha)
	uniPCModelGo(d[k:], y[k:], xin[k:], den[k:], v, std, alpha)
}

func uniPCModelGo(d, y, xin, den []float32, v, std, alpha float32) {
	y, xin, den = y[:len(d)], xin[:len(d)], den[:len(d)]
	for i := range d {
		eps := (xin[i] - den[i]) / v
		d[i] = (y[i] - float32(std*eps)) / alpha
	}
}

// uniPCPredict is the predictor: yb = aS*y - aPhi*m0 (the exponential-
// integrator base, kept for the corrector), then
// y = yb - aB*(rho_0*D1_0 + rho_1*D1_1).
func uniPCPredict(y, yb, m0 []float32, t uniPCTerms, aS, aPhi, aB float32) {
	k := uniPCPredictAsm(y, yb, m0, t, aS, aPhi, aB)
	uniPCPredictGo(y[k:], yb[k:], m0[k:], t.from(k), aS, aPhi, aB)
}

func uniPCPredictGo(y, yb, m0 []float32, t uniPCTerms, aS, aPhi, aB float32) {
	n := len(y)
	yb, m0, p0, p1 := yb[:n], m0[:n], t.p0[:n], t.p1[:n]
	for i := range y {
		m := m0[i]
		b := float32(aS*y[i]) - float32(aPhi*m)
		yb[i] = b
		acc := float32(t.r0*((p0[i]-m)/t.k0)) + float32(t.r1*((p1[i]-m)/t.k1))
		y[i] = b - float32(aB*acc)
	}
}

// uniPCCorrect is the corrector with the new prediction mt:
// y = yb - aB*((rho_0*D1_0 + rho_1*D1_1) + rhoT*(mt - m0)).
func uniPCCorrect(y, yb, m0 []float32, t uniPCTerms, mt []float32, rhoT, aB float32) {
	k := uniPCCorrectAsm(y, yb, m0, t, mt, rhoT, aB)
	uniPCCorrectGo(y[k:], yb[k:], m0[k:], t.from(k), mt[k:], rhoT, aB)
}

func uniPCCorrectGo(y, yb, m0 []float32, t uniPCTerms, mt []float32, rhoT, aB float32) {
	n := len(y)
	yb, m0, p0, p1, mt := yb[:n], m0[:n], t.p0[:n], t.p1[:n], mt[:n]
	for i := range y {
		m := m0[i]
		acc := float32(t.r0*((p0[i]-m)/t.k0)) + float32(t.r1*((p1[i]-m)/t.k1))
		acc += float32(rhoT * (mt[i] - m))
		y[i] = yb[i] - float32(aB*acc)
	}
}

// from is t with its tensors starting at element k.
func (t uniPCTerms) from(k int) uniPCTerms {
	t.p0, t.p1 = t.p0[k:], t.p1[k:]
	return t
}
