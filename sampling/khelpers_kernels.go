package sampling

import "comfyd/tensor"

// The elementwise kernels of khelpers.go on slices. Each runs the assembly
// form over the longest prefix it handles (khelpers_amd64.s; none with
// -tags purego or on other architectures) and the Go loop over the rest.
// The Go loops are the definition: the assembly performs the same float32
// operations in the same order, so the split point never changes a bit
// (TestKernelsAsmMatchGo).
//
// All slices are cut to len(d) first; dst may alias any input.

func toDSlice(d, x, den []float32, s float32) {
	x, den = x[:len(d)], den[:len(d)]
	k := toDAsm(d, x, den, s)
	toDGo(d[k:], x[k:], den[k:], s)
}

func toDGo(d, x, den []float32, s float32) {
	x, den = x[:len(d)], den[:len(d)]
	for i := range d {
		d[i] = (x[i] - den[i]) / s
	}
}

func eulerStepSlice(d, x, den []float32, s, dt float32) {
	x, den = x[:len(d)], den[:len(d)]
	k := eulerStepAsm(d, x, den, s, dt)
	eulerStepGo(d[k:], x[k:], den[k:], s, dt)
}

// eulerStepGo is toD followed by addScaled, without storing the
// derivative: the same two roundings per operation, one pass over memory.
func eulerStepGo(d, x, den []float32, s, dt float32) {
	x, den = x[:len(d)], den[:len(d)]
	for i := range d {
		dx := (x[i] - den[i]) / s
		d[i] = x[i] + float32(dx*dt)
	}
}

func addScaledSlice(d, x, y []float32, a float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := addScaledAsm(d, x, y, a)
	addScaledGo(d[k:], x[k:], y[k:], a)
}

func addScaledGo(d, x, y []float32, a float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = x[i] + float32(y[i]*a)
	}
}

func subScaledSlice(d, x, y []float32, a float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := subScaledAsm(d, x, y, a)
	subScaledGo(d[k:], x[k:], y[k:], a)
}

func subScaledGo(d, x, y []float32, a float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = x[i] - float32(y[i]*a)
	}
}

func scaleSlice(d, x []float32, a float32) {
	x = x[:len(d)]
	k := scaleAsm(d, x, a)
	scaleGo(d[k:], x[k:], a)
}

func scaleGo(d, x []float32, a float32) {
	x = x[:len(d)]
	for i := range d {
		d[i] = x[i] * a
	}
}

func addSlice(d, x, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := addAsm(d, x, y)
	addGo(d[k:], x[k:], y[k:])
}

func addGo(d, x, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = x[i] + y[i]
	}
}

func subSlice(d, x, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := subAsm(d, x, y)
	subGo(d[k:], x[k:], y[k:])
}

func subGo(d, x, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = x[i] - y[i]
	}
}

func lin2Slice(d []float32, a float32, x []float32, b float32, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := lin2Asm(d, a, x, b, y)
	lin2Go(d[k:], a, x[k:], b, y[k:])
}

func lin2Go(d []float32, a float32, x []float32, b float32, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = float32(a*x[i]) + float32(b*y[i])
	}
}

func lin2SubSlice(d []float32, a float32, x []float32, b float32, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := lin2SubAsm(d, a, x, b, y)
	lin2SubGo(d[k:], a, x[k:], b, y[k:])
}

func lin2SubGo(d []float32, a float32, x []float32, b float32, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = float32(a*x[i]) - float32(b*y[i])
	}
}

func addScaled2Slice(d, x, y []float32, a, b float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := addScaled2Asm(d, x, y, a, b)
	addScaled2Go(d[k:], x[k:], y[k:], a, b)
}

func addScaled2Go(d, x, y []float32, a, b float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = x[i] + float32(float32(y[i]*a)*b)
	}
}

func divSlice(d, x []float32, a float32) {
	x = x[:len(d)]
	k := divAsm(d, x, a)
	divGo(d[k:], x[k:], a)
}

func divGo(d, x []float32, a float32) {
	x = x[:len(d)]
	for i := range d {
		d[i] = x[i] / a
	}
}

func mean2Slice(d, x, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	k := mean2Asm(d, x, y)
	mean2Go(d[k:], x[k:], y[k:])
}

func mean2Go(d, x, y []float32) {
	x, y = x[:len(d)], y[:len(d)]
	for i := range d {
		d[i] = (x[i] + y[i]) / 2
	}
}

// addLinCombSlice is d = x + (((c[0]*t[0] + c[1]*t[1]) + c[2]*t[2]) + ...),
// summed left to right; len(t) == len(c) >= 1. Two to four terms (lms's
// orders) run in one pass, in assembly where available.
func addLinCombSlice(d, x []float32, c []float32, t []*tensor.Tensor) {
	n := len(d)
	x = x[:n]
	if len(t) == 1 {
		addScaledSlice(d, x, t[0].Data, c[0])
		return
	}
	if len(t) > 4 {
		ts := make([][]float32, len(t))
		for j, tj := range t {
			ts[j] = tj.Data[:n]
		}
		addLinCombGo(d, x, c, ts)
		return
	}
	var arr [4][]float32
	ts := arr[:len(t)]
	for j, tj := range t {
		ts[j] = tj.Data[:n]
	}
	k := addLinCombAsm(d, x, c, ts)
	for j := range ts {
		ts[j] = ts[j][k:]
	}
	addLinCombGo(d[k:], x[k:], c, ts)
}

// addLinCombGo is addLinCombSlice's Go loop; two to four terms run
// unrolled.
func addLinCombGo(d, x []float32, c []float32, t [][]float32) {
	n := len(d)
	x = x[:n]
	switch len(t) {
	case 1:
		addScaledGo(d, x, t[0], c[0])
	case 2:
		t0, t1 := t[0][:n], t[1][:n]
		for i := range d {
			d[i] = x[i] + (float32(c[0]*t0[i]) + float32(c[1]*t1[i]))
		}
	case 3:
		t0, t1, t2 := t[0][:n], t[1][:n], t[2][:n]
		for i := range d {
			d[i] = x[i] + ((float32(c[0]*t0[i]) + float32(c[1]*t1[i])) + float32(c[2]*t2[i]))
		}
	case 4:
		t0, t1, t2, t3 := t[0][:n], t[1][:n], t[2][:n], t[3][:n]
		for i := range d {
			d[i] = x[i] + (((float32(c[0]*t0[i]) + float32(c[1]*t1[i])) + float32(c[2]*t2[i])) + float32(c[3]*t3[i]))
		}
	default:
		for i := range d {
			var acc float32
			for j, tj := range t {
				p := float32(c[j] * tj[i])
				if j == 0 {
					acc = p
				} else {
					acc += p
				}
			}
			d[i] = x[i] + acc
		}
	}
}
