package tensor

import "math"

// SiLU applies x·sigmoid(x) in place.
func SiLU(x []float32) {
	for i, v := range x {
		x[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
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
