package sampling

import "comfyd/tensor"

// Improved PNDM (Zhang & Chen 2023, spec 8.20): Adams-Bashforth multistep on
// the Karras ODE derivative with up to three past derivatives, with fixed
// (ipndm) or variable step-size (ipndm_v) coefficients. After k-diffusion's
// sample_ipndm and sample_ipndm_v.

func init() {
	RegisterSampler("ipndm", sampleIPNDM)
	RegisterSampler("ipndm_v", sampleIPNDMV)
}

const ipndmMaxOrder = 4

func sampleIPNDM(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return ipndm(r, x, s, ipndmFixedCoeffs)
}

func sampleIPNDMV(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	return ipndm(r, x, s, ipndmVariableCoeffs)
}

// ipndmCoeffs returns, for step i of order k, the weights w of
// (d, d_prev1, ..., d_prev(k-1)) and the divisor den of the update
// x += (dt * sum_j w_j d_j) / den.
type ipndmCoeffs func(s []float32, i, k int) (w [ipndmMaxOrder]float32, den float32)

// ipndm is the shared multistep loop: derivative d = (x - D)/s[i], an
// Adams-Bashforth step of order min(4, i+1), and a jump to D at sigma 0.
func ipndm(r *Run, x *tensor.Tensor, s []float32, coeffs ipndmCoeffs) (*tensor.Tensor, error) {
	m := newODEMultistep(r, x, ipndmMaxOrder)
	for i := 0; i < len(s)-1; i++ {
		if err := m.derivative(r, x, s, i); err != nil {
			return nil, err
		}
		if s[i+1] == 0 {
			copyT(m.cur, m.den)
		} else {
			k := min(ipndmMaxOrder, i+1)
			w, div := coeffs(s, i, k)
			multistepUpdate(m.cur, s[i+1]-s[i], div, w[:k], m.d[:k])
		}
		m.rotate()
	}
	copyT(x, m.cur)
	return x, nil
}

// multistepUpdate is x += (dt * (((w0*t0 + w1*t1) + w2*t2) + ...)) / den.
func multistepUpdate(x *tensor.Tensor, dt, den float32, w []float32, t []*tensor.Tensor) {
	xs := x.Data
	for i := range xs {
		acc := float32(w[0] * t[0].Data[i])
		for j := 1; j < len(t); j++ {
			acc += float32(w[j] * t[j].Data[i])
		}
		xs[i] += float32(dt*acc) / den
	}
}

// ipndmFixed holds the Adams-Bashforth weights for equal steps, by order.
var ipndmFixed = [ipndmMaxOrder + 1]struct {
	w   [ipndmMaxOrder]float32
	den float32
}{
	1: {[ipndmMaxOrder]float32{1}, 1},
	2: {[ipndmMaxOrder]float32{3, -1}, 2},
	3: {[ipndmMaxOrder]float32{23, -16, 5}, 12},
	4: {[ipndmMaxOrder]float32{55, -59, 37, -9}, 24},
}

func ipndmFixedCoeffs(_ []float32, _, k int) ([ipndmMaxOrder]float32, float32) {
	return ipndmFixed[k].w, ipndmFixed[k].den
}

// ipndmVariableCoeffs are the variable-step Adams-Bashforth weights of
// ipndm_v, from the step sizes hn = s[i+1]-s[i], h1 = s[i]-s[i-1], ...,
// evaluated in float32 in the reference's order. (On equal steps the
// orders 2 and 3 reduce to ipndm's weights; order 4 does not: the
// reference's formula gives 19/8, -65/24, 43/24, -11/24 there.)
func ipndmVariableCoeffs(s []float32, i, k int) ([ipndmMaxOrder]float32, float32) {
	hn := s[i+1] - s[i]
	switch k {
	case 1:
		return [ipndmMaxOrder]float32{1}, 1
	case 2:
		h1 := s[i] - s[i-1]
		return [ipndmMaxOrder]float32{(2 + hn/h1) / 2, -(hn / h1) / 2}, 1
	}
	h1, h2 := s[i]-s[i-1], s[i-1]-s[i-2]
	t1 := ipndmT1(hn, h1, h2)
	if k == 3 {
		return [ipndmMaxOrder]float32{
			(2+hn/h1)/2 + t1,
			-(hn/h1)/2 - float32((1+h1/h2)*t1),
			float32(t1*h1) / h2,
		}, 1
	}
	h3 := s[i-2] - s[i-3]
	hn1, h12 := hn+h1, h1+h2
	p := (1 - hn/float32(3*hn1)) / 2
	q := float32((1-hn/float32(2*hn1))*hn) / float32(6*(hn1+h2))
	num := float32(float32(hn*hn1) * (hn1 + h2))
	dnm := float32(float32(h1*h12) * (h12 + h3))
	t2 := float32((p+q)*num) / dnm
	g := float32(h1*h12) / float32(h2*(h2+h3))
	return [ipndmMaxOrder]float32{
		(2+hn/h1)/2 + t1 + t2,
		-(hn/h1)/2 - float32((1+h1/h2)*t1) - float32(((1+h1/h2)+g)*t2),
		float32(t1*h1)/h2 + float32((h1/h2+float32(g*(1+h2/h3)))*t2),
		float32(float32(float32(-t2*g)*h1) / h2),
	}, 1
}

// ipndmT1 is the order-3 correction term of ipndm_v:
// (1 - hn/(3(hn+h1)) * (hn(hn+h1)) / (h1(h1+h2))) / 2.
func ipndmT1(hn, h1, h2 float32) float32 {
	hn1 := hn + h1
	v := float32(float32(hn/float32(3*hn1))*float32(hn*hn1)) / float32(h1*(h1+h2))
	return (1 - v) / 2
}
