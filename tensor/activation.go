package tensor

import "math"

// SiLU applies x/(1+exp(-x)) in place, in float32 with the vectorised
// exp (as PyTorch computes it).
func SiLU(x []float32) {
	var buf [256]float32
	for len(x) > 0 {
		n := min(len(x), len(buf))
		e := buf[:n]
		for i, v := range x[:n] {
			e[i] = -v
		}
		ExpShift(e, 0)
		for i, v := range x[:n] {
			x[i] = v / (1 + e[i])
		}
		x = x[n:]
	}
}

// QuickGELU applies x·sigmoid(1.702x) in place (CLIP's activation).
func QuickGELU(x []float32) {
	for i, v := range x {
		x[i] = float32(float64(v) / (1 + math.Exp(-1.702*float64(v))))
	}
}

// GELU is the exact (erf) GELU of v.
func GELU(v float32) float32 {
	return float32(0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2)))
}

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}
