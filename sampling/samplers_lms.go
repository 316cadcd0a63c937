package sampling

import "comfyd/tensor"

// lms (spec 8.8): k-diffusion's sample_lms, a linear multistep method of
// order 4 in sigma.

func init() {
	RegisterSampler("lms", sampleLMS)
}

const lmsOrder = 4

// sampleLMS integrates the Lagrange polynomial through the last (up to 4)
// slopes over [s[i], s[i+1]]; the last step to 0 jumps to the prediction.
func sampleLMS(r *Run, x *tensor.Tensor, s []float32) (*tensor.Tensor, error) {
	den := r.Scratch(0, x)
	// ring owns the slope buffers; hist orders the last ones newest first,
	// as reversed(ds) in the reference.
	var ring [lmsOrder]*tensor.Tensor
	for j := range ring {
		ring[j] = r.Scratch(1+j, x)
	}
	var hist [lmsOrder]*tensor.Tensor
	n := 0
	coeffs := make([]float32, 0, lmsOrder)
	for i := 0; i < len(s)-1; i++ {
		if err := denoiseStep(r, i, den, nil, x, s[i]); err != nil {
			return nil, err
		}
		d := ring[i%lmsOrder]
		toD(d, x, den, s[i])
		copy(hist[1:], hist[:lmsOrder-1])
		hist[0] = d
		n = min(n+1, lmsOrder)
		ds := hist[:n]
		if s[i+1] == 0 {
			copyT(x, den)
			continue
		}
		coeffs = coeffs[:0]
		for j := range ds {
			coeffs = append(coeffs, float32(lmsCoeff(len(ds), s, i, j)))
		}
		addLinComb(x, x, coeffs, ds)
	}
	return x, nil
}

// lmsCoeff is linear_multistep_coeff: the integral over [s[i], s[i+1]] of
// the Lagrange basis polynomial of node s[i-j] among the nodes
// s[i], ..., s[i-order+1], in float64 from the float32 sigmas.
//
// The reference integrates with scipy's adaptive quadrature (epsrel 1e-4);
// the integrand is a polynomial of degree <= 3, which two-point
// Gauss-Legendre integrates exactly, so this agrees with it up to rounding
// (~1e-15 relative, spec 12).
func lmsCoeff(order int, s []float32, i, j int) float64 {
	basis := func(tau float64) float64 {
		prod := 1.0
		for k := 0; k < order; k++ {
			if k == j {
				continue
			}
			prod *= (tau - float64(s[i-k])) / (float64(s[i-j]) - float64(s[i-k]))
		}
		return prod
	}
	a, b := float64(s[i]), float64(s[i+1])
	mid, half := (a+b)/2, (b-a)/2
	const node = 0.57735026918962576451 // 1/sqrt(3)
	return half * (basis(mid-half*node) + basis(mid+half*node))
}
