package tensor

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Gemm computes c = alpha·op(a)·op(b) + beta·c for row-major matrices, where
// op(a) is m×k and op(b) is k×n (BLAS sgemm). On AVX2/FMA machines it runs
// comfyd's packed micro-kernel on all cores; elsewhere gonum's blocked Go
// implementation.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if haveSgemmKernel {
		sgemmPacked(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	blas32.Implementation().Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Linear computes dst[m,n] = x[m,k]·wᵀ + bias for a PyTorch Linear weight w
// stored [n,k]; bias may be nil.
func Linear(dst, x []float32, m, k int, w []float32, n int, bias []float32) {
	if bias != nil {
		for i := range m {
			copy(dst[i*n:(i+1)*n], bias)
		}
		Gemm(false, true, m, n, k, 1, x, k, w, k, 1, dst, n)
		return
	}
	Gemm(false, true, m, n, k, 1, x, k, w, k, 0, dst, n)
}
