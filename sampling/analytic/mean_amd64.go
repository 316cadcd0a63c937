//go:build amd64 && !purego

package analytic

import "golang.org/x/sys/cpu"

// useAVX2 selects the vector posterior kernel (tests turn it off to
// compare with the Go path).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// meanAVX2 computes n (a multiple of 4) posterior means, four per
// iteration, with the same formula as meanScalar (fused multiply-adds and
// a polynomial exp: results agree to a few float64 ulp).
//
//go:noescape
func meanAVX2(m, y, mu0, mu1 *float64, n int, k *meanConsts)

// meanBlock writes the posterior means for y into m.
func meanBlock(m, y, mu0, mu1 []float64, k *meanConsts) {
	n4 := 0
	if useAVX2 {
		n4 = len(m) &^ 3
		if n4 > 0 {
			meanAVX2(&m[0], &y[0], &mu0[0], &mu1[0], n4, k)
		}
	}
	meanBlockGo(m[n4:], y[n4:], mu0[n4:], mu1[n4:], k)
}
