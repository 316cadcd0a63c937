package sampling

import (
	"errors"
	"math"
)

// Helpers shared by the second half of the samplers (ddpm .. sa_solver):
// torch's nan_to_num, float32 pow and a small float32 linear solver for the
// UniPC and SA-Solver coefficient systems. The conventions are
// khelpers.go's: float32 throughout, every product wrapped in float32(...)
// so that it rounds (no FMA).

// errNoSampling is returned by samplers that need the model sampling (its
// percent_to_sigma) when the Run has none.
var errNoSampling = errors.New("sampling: this sampler needs the model sampling (Run.Sampling is nil)")

// nanToNum32 is torch.nan_to_num(v, nan=0): NaN becomes 0 and the
// infinities the largest finite float32 of their sign.
func nanToNum32(v float32) float32 {
	switch {
	case v != v:
		return 0
	case math.IsInf(float64(v), 1):
		return math.MaxFloat32
	case math.IsInf(float64(v), -1):
		return -math.MaxFloat32
	}
	return v
}

// pow32 is torch's float32 pow(x, p): the exponent is a float32 and the
// result one rounding of the exact power.
func pow32(x, p float32) float32 { return float32(math.Pow(float64(x), float64(p))) }

// solve32 solves a x = b for the n x n row-major matrix a in float32 by LU
// decomposition with partial pivoting, as LAPACK's sgesv does (multipliers
// scaled by the reciprocal pivot, back substitution by division). a and b
// are overwritten; the solution is returned in b. A singular matrix gives
// infinities or NaNs, as torch.linalg.solve's would give an error: the
// systems solved here (Vandermonde-like in distinct nodes) are regular.
func solve32(a []float32, b []float32, n int) []float32 {
	for k := 0; k < n; k++ {
		p := k
		for i := k + 1; i < n; i++ {
			if abs32(a[i*n+k]) > abs32(a[p*n+k]) {
				p = i
			}
		}
		if p != k {
			for j := 0; j < n; j++ {
				a[k*n+j], a[p*n+j] = a[p*n+j], a[k*n+j]
			}
			b[k], b[p] = b[p], b[k]
		}
		inv := 1 / a[k*n+k]
		for i := k + 1; i < n; i++ {
			a[i*n+k] = float32(a[i*n+k] * inv)
		}
		for i := k + 1; i < n; i++ {
			l := a[i*n+k]
			for j := k + 1; j < n; j++ {
				a[i*n+j] -= float32(l * a[k*n+j])
			}
		}
	}
	for i := 1; i < n; i++ { // L y = b (unit lower triangle)
		for j := 0; j < i; j++ {
			b[i] -= float32(a[i*n+j] * b[j])
		}
	}
	for i := n - 1; i >= 0; i-- { // U x = y
		for j := i + 1; j < n; j++ {
			b[i] -= float32(a[i*n+j] * b[j])
		}
		b[i] /= a[i*n+i]
	}
	return b
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
