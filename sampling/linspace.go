package sampling

import "math"

// LinspaceF32 is torch 1.13's CPU float32 linspace (spec 4.1), including
// the 8-lane vector blocks whose rounding differs from the scalar formula:
// schedules must match the reference to the last bit.
func LinspaceF32(a, b float32, n int) []float32 { return torchLinspace(a, b, n, 8) }

// LinspaceF64 is torch's CPU float64 linspace: the same recipe with 4-lane
// vectors in blocks of 8 (AVX2 doubles).
func LinspaceF64(a, b float64, n int) []float64 { return torchLinspace(a, b, n, 4) }

// torchLinspace is torch's CPU linspace kernel for one float type: points
// from both ends (a + i*step for the first half, b - (n-1-i)*step for the
// second, each one fused multiply-add), except that every block of
// 2*lanes points is computed as lanes-wide vectors, base + k*step.
func torchLinspace[F float32 | float64](a, b F, n, lanes int) []F {
	out := make([]F, n)
	if n <= 0 {
		return out[:0]
	}
	if n == 1 {
		out[0] = a
		return out
	}
	step := (b - a) / F(n-1)
	half := n / 2
	at := func(i int) F {
		if i < half {
			return F(math.FMA(float64(step), float64(i), float64(a)))
		}
		return F(math.FMA(-float64(step), float64(n-1-i), float64(b)))
	}
	block := 2 * lanes
	vec := block * (n / block)
	for v := 0; v < vec; v += lanes {
		base := at(v)
		for k := 0; k < lanes; k++ {
			out[v+k] = base + F(F(k)*step) // two roundings, never fused
		}
	}
	for i := vec; i < n; i++ {
		out[i] = at(i)
	}
	return out
}

// numpyLinspace is numpy.linspace(a, b, n, endpoint) in float64:
// start + i*step, with the last point forced to b when endpoint is set.
func numpyLinspace(a, b float64, n int, endpoint bool) []float64 {
	out := make([]float64, n)
	div := n
	if endpoint {
		div = n - 1
	}
	if n == 0 {
		return out
	}
	if div <= 0 {
		out[0] = a
		return out
	}
	step := (b - a) / float64(div)
	for i := range out {
		out[i] = float64(float64(i)*step) + a // numpy multiplies, then adds
	}
	if endpoint && n > 1 {
		out[n-1] = b
	}
	return out
}
