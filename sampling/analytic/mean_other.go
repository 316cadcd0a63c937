//go:build !amd64 || purego

package analytic

// useAVX2 is false without the assembly kernel.
var useAVX2 = false

// meanBlock writes the posterior means for y into m.
func meanBlock(m, y, mu0, mu1 []float64, k *meanConsts) { meanBlockGo(m, y, mu0, mu1, k) }
