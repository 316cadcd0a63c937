package sampling

import "comfyd/tensor"

// odeMultistep is the state iPNDM and DEIS share: multistep solvers on the
// Karras ODE derivative d = (x - D)/sigma. The solution evolves in cur and
// the caller's x stays the input until the end, because the reference's
// progress callback reports its x, which it never reassigns (the golden
// traces record that). d[0] is the current derivative, d[1:] the previous
// ones, newest first, order of them in all.
type odeMultistep struct {
	den, cur *tensor.Tensor
	d        [odeMaxOrder]*tensor.Tensor // an array: no allocation per run
	order    int
}

// odeMaxOrder is the largest order of the solvers using odeMultistep.
const odeMaxOrder = max(ipndmMaxOrder, deisMaxOrder)

// newODEMultistep starts cur at x with room for order derivatives.
func newODEMultistep(r *Run, x *tensor.Tensor, order int) odeMultistep {
	m := odeMultistep{den: r.Scratch(0, x), cur: r.Scratch(1, x), order: order}
	copyT(m.cur, x)
	for j := range order {
		m.d[j] = r.Scratch(2+j, x)
	}
	return m
}

// derivative denoises cur at s[i], reports step i with the untouched input
// x, and sets d[0] to the derivative.
func (m *odeMultistep) derivative(r *Run, x *tensor.Tensor, s []float32, i int) error {
	if err := r.Denoise(m.den, nil, m.cur, s[i]); err != nil {
		return err
	}
	if err := r.Step(i, x, m.den); err != nil {
		return err
	}
	toD(m.d[0], m.cur, m.den, s[i])
	return nil
}

// rotate makes the current derivative the newest history entry.
func (m *odeMultistep) rotate() {
	d := m.d[:m.order]
	last := d[len(d)-1]
	copy(d[1:], d[:len(d)-1])
	d[0] = last
}
