//go:build !amd64 || purego

package sampling

// Without the amd64 kernels the Go loops of samplers_unipc.go do all the
// work: these report 0 elements done.

func uniPCModelAsm(d, y, xin, den []float32, v, std, alpha float32) int { return 0 }

func uniPCPredictAsm(y, yb, m0 []float32, t uniPCTerms, aS, aPhi, aB float32) int { return 0 }

func uniPCCorrectAsm(y, yb, m0 []float32, t uniPCTerms, mt []float32, rhoT, aB float32) int {
	return 0
}
