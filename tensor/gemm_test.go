package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGemmAllLayouts checks every transpose combination, alpha/beta and
// leading dimensions wider than the matrix against a float64 reference,
// with sizes that cross the kernel's 6×16 tiles and 256-deep panels.
func TestGemmAllLayouts(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, sz := range [][3]int{{1, 1, 1}, {7, 17, 3}, {13, 33, 300}, {100, 40, 513}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				t.Run(fmt.Sprintf("%dx%dx%d/%v%v", m, n, k, ta, tb), func(t *testing.T) {
					lda, ldb, ldc := k+3, n+2, n+5
					ar, br := m, k
					if ta {
						lda, ar = m+3, k
					}
					if tb {
						ldb, br = k+2, n
					}
					a, b := randSlice(r, ar*lda), randSlice(r, br*ldb)
					c := randSlice(r, m*ldc)
					alpha, beta := float32(0.5), float32(-1.5)
					want := make([]float64, m*ldc)
					for i := range m {
						for j := range n {
							s := 0.0
							for p := range k {
								var av, bv float32
								if ta {
									av = a[p*lda+i]
								} else {
									av = a[i*lda+p]
								}
								if tb {
									bv = b[j*ldb+p]
								} else {
									bv = b[p*ldb+j]
								}
								s += float64(av) * float64(bv)
							}
							want[i*ldc+j] = float64(alpha)*s + float64(beta)*float64(c[i*ldc+j])
						}
						for j := n; j < ldc; j++ {
							want[i*ldc+j] = float64(c[i*ldc+j]) // untouched
						}
					}
					Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					closeTo(t, "gemm", c, want, 1e-4)
				})
			}
		}
	}
}
