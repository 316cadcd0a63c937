//go:build amd64 && !purego

package sampling

import "golang.org/x/sys/cpu"

// AVX2 versions of UniPC's loops (samplers_unipc_amd64.s): 8 float32
// lanes, the same single-precision operations in the same order as the Go
// loops, no FMA. Each handles the largest multiple of 8 elements and
// returns that count; the Go loop finishes the tail.

var haveUniPCAVX2 = cpu.X86.HasAVX2

//go:noescape
func uniPCModelAVX2(d, y, xin, den *float32, n int, c *[3]float32)

//go:noescape
func uniPCPredictAVX2(y, yb, m0, p0, p1 *float32, n int, c *[7]float32)

//go:noescape
func uniPCCorrectAVX2(y, yb, m0, p0, p1, mt *float32, n int, c *[6]float32)

func uniPCModelAsm(d, y, xin, den []float32, v, std, alpha float32) int {
	n := len(d) &^ 7
	if !haveUniPCAVX2 || n == 0 {
		return 0
	}
	_, _, _ = y[n-1], xin[n-1], den[n-1]
	c := [3]float32{v, std, alpha}
	uniPCModelAVX2(&d[0], &y[0], &xin[0], &den[0], n, &c)
	return n
}

func uniPCPredictAsm(y, yb, m0 []float32, t uniPCTerms, aS, aPhi, aB float32) int {
	n := len(y) &^ 7
	if !haveUniPCAVX2 || n == 0 {
		return 0
	}
	_, _, _, _ = yb[n-1], m0[n-1], t.p0[n-1], t.p1[n-1]
	c := [7]float32{aS, aPhi, aB, t.r0, t.k0, t.r1, t.k1}
	uniPCPredictAVX2(&y[0], &yb[0], &m0[0], &t.p0[0], &t.p1[0], n, &c)
	return n
}

func uniPCCorrectAsm(y, yb, m0 []float32, t uniPCTerms, mt []float32, rhoT, aB float32) int {
	n := len(y) &^ 7
	if !haveUniPCAVX2 || n == 0 {
		return 0
	}
	_, _, _, _, _ = yb[n-1], m0[n-1], t.p0[n-1], t.p1[n-1], mt[n-1]
	c := [6]float32{aB, t.r0, t.k0, t.r1, t.k1, rhoT}
	uniPCCorrectAVX2(&y[0], &yb[0], &m0[0], &t.p0[0], &t.p1[0], &mt[0], n, &c)
	return n
}
