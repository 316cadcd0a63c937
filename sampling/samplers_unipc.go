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
	d, ys, xs, ds := dst.Data, y.Data[:len(dst.Data)], u.xin.Data[:len(dst.Data)], u.den.Data[:len(dst.Data)]
	for i := range d {
		eps := (xs[i] - ds[i]) / v
		d[i] = (ys[i] - float32(vp.std*eps)) / vp.alpha
	}
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
	var buf [uniPCMaxOrder - 1]*tensor.Tensor
	prev := buf[:p-1] // M[-2], M[-3], ...: D1_q = (prev[q] - m0)/rk[q]
	for q := range prev {
		prev[q] = u.M[n-2-q]
	}
	uniPCPredict(y, u.yb, m0, prev, c.rk[:p-1], c.rhoP[:p-1], aS, aPhi, aB)
	if !useCorrector {
		return nil, nil
	}
	mt := u.take()
	if err := u.model(mt, y, t); err != nil {
		return nil, err
	}
	uniPCCorrect(y, u.yb, m0, prev, c.rk[:p-1], c.rhoC[:p-1], aB, mt, c.rhoC[p-1])
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

// uniPCPredict is the predictor: yb = aS*y - aPhi*m0 (the exponential-
// integrator base, kept for the corrector) and y = yb - aB*sum_q rho[q]*D1_q
// with D1_q = (prev[q] - m0)/rk[q], summed in order; y = yb without
// previous predictions. Specialised by their number (UniPC's hot loops).
func uniPCPredict(y, yb, m0 *tensor.Tensor, prev []*tensor.Tensor, rk, rho []float32, aS, aPhi, aB float32) {
	n := len(y.Data)
	ys, bs, ms := y.Data[:n], yb.Data[:n], m0.Data[:n]
	switch len(prev) {
	case 0:
		for i := range ys {
			b := float32(aS*ys[i]) - float32(aPhi*ms[i])
			bs[i], ys[i] = b, b
		}
	case 1:
		p0, r0, k0 := prev[0].Data[:n], rho[0], rk[0]
		for i := range ys {
			m := ms[i]
			b := float32(aS*ys[i]) - float32(aPhi*m)
			bs[i] = b
			ys[i] = b - float32(aB*float32(r0*((p0[i]-m)/k0)))
		}
	default:
		p0, p1, r0, r1, k0, k1 := prev[0].Data[:n], prev[1].Data[:n], rho[0], rho[1], rk[0], rk[1]
		for i := range ys {
			m := ms[i]
			b := float32(aS*ys[i]) - float32(aPhi*m)
			bs[i] = b
			acc := float32(r0*((p0[i]-m)/k0)) + float32(r1*((p1[i]-m)/k1))
			ys[i] = b - float32(aB*acc)
		}
	}
}

// uniPCCorrect is the corrector: y = yb - aB*(sum_q rho[q]*D1_q +
// rhoT*(mt - m0)), the sum formed in order before the new term is added.
func uniPCCorrect(y, yb, m0 *tensor.Tensor, prev []*tensor.Tensor, rk, rho []float32, aB float32, mt *tensor.Tensor, rhoT float32) {
	n := len(y.Data)
	ys, bs, ms, ts := y.Data[:n], yb.Data[:n], m0.Data[:n], mt.Data[:n]
	switch len(prev) {
	case 0:
		for i := range ys {
			ys[i] = bs[i] - float32(aB*float32(rhoT*(ts[i]-ms[i])))
		}
	case 1:
		p0, r0, k0 := prev[0].Data[:n], rho[0], rk[0]
		for i := range ys {
			m := ms[i]
			acc := float32(r0*((p0[i]-m)/k0)) + float32(rhoT*(ts[i]-m))
			ys[i] = bs[i] - float32(aB*acc)
		}
	default:
		p0, p1, r0, r1, k0, k1 := prev[0].Data[:n], prev[1].Data[:n], rho[0], rho[1], rk[0], rk[1]
		for i := range ys {
			m := ms[i]
			acc := float32(r0*((p0[i]-m)/k0)) + float32(r1*((p1[i]-m)/k1))
			acc += float32(rhoT * (ts[i] - m))
			ys[i] = bs[i] - float32(aB*acc)
		}
	}
}
