package tensor

import "math"

// SiLU applies x/(1+exp(-x)) in place, in float32 with the vectorised
// exp (as PyTorch computes it).
func SiLU(x []float32) {
	const chunk = 1 << 14
	parallelFor((len(x)+chunk-1)/chunk, chunk, func(lo, hi int) {
		siluSerial(x[lo*chunk : min(hi*chunk, len(x))])
	})
}

func siluSerial(x []float32) {
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

// QuickGELU applies x·sigmoid(1.702x) in place (CLIP's activation), in
// float32 as PyTorch's vectorised CPU kernels compute it: t = 1.702x, then
// x·(1/(1+exp(-t))) with the vectorised exp. Large inputs are split across
// cores.
func QuickGELU(x []float32) {
	const chunk = 1 << 14
	parallelFor((len(x)+chunk-1)/chunk, chunk, func(lo, hi int) {
		quickGELUSerial(x[lo*chunk : min(hi*chunk, len(x))])
	})
}

// quickGELUSerial is QuickGELU on the calling goroutine (a GEMM epilogue).
func quickGELUSerial(x []float32) {
	if haveSgemmKernel && len(x) >= 8 {
		head := len(x) &^ 7
		quickGELUAVX2(&x[0], head)
		x = x[head:]
	}
	var buf [256]float32
	for len(x) > 0 {
		n := min(len(x), len(buf))
		e := buf[:n]
		for i, v := range x[:n] {
			e[i] = -(1.702 * v)
		}
		ExpShift(e, 0)
		for i, v := range x[:n] {
			x[i] = v * (1 / (1 + e[i]))
		}
		x = x[n:]
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

// GELUInPlace applies the exact GELU x·(1+erf(x/√2))/2 in place, with
// erf evaluated as PyTorch's vectorised CPU kernel does (Abramowitz and
// Stegun 7.1.26 with the vectorised exp), in float32.
func GELUInPlace(x []float32) {
	const (
		p  = 0.3275911
		a1 = 0.254829592
		a2 = -0.284496736
		a3 = 1.421413741
		a4 = -1.453152027
		a5 = 1.061405429
	)
	var buf [256]float32
	for len(x) > 0 {
		n := min(len(x), len(buf))
		e := buf[:n]
		for i, v := range x[:n] {
			z := v * math.Sqrt2 / 2
			e[i] = -(z * z)
		}
		ExpShift(e, 0)
		for i, v := range x[:n] {
			z := v * math.Sqrt2 / 2
			az := z
			if az < 0 {
				az = -az
			}
			t := 1 / (p*az + 1)
			r := (((a5*t+a4)*t+a3)*t+a2)*t + a1
			erf := 1 - r*t*e[i]
			if z < 0 {
				erf = -erf
			}
			x[i] = v * 0.5 * (1 + erf)
		}
		x = x[n:]
	}
}
