//go:build !amd64 || purego

package sampling

// Without the amd64 kernels the Go loops of khelpers_kernels.go do all the
// work: these report 0 elements done.

func toDAsm(d, x, den []float32, s float32) int                                  { return 0 }
func eulerStepAsm(d, x, den []float32, s, dt float32) int                        { return 0 }
func addScaledAsm(d, x, y []float32, a float32) int                              { return 0 }
func subScaledAsm(d, x, y []float32, a float32) int                              { return 0 }
func scaleAsm(d, x []float32, a float32) int                                     { return 0 }
func addAsm(d, x, y []float32) int                                               { return 0 }
func subAsm(d, x, y []float32) int                                               { return 0 }
func lin2Asm(d []float32, a float32, x []float32, b float32, y []float32) int    { return 0 }
func lin2SubAsm(d []float32, a float32, x []float32, b float32, y []float32) int { return 0 }
func addScaled2Asm(d, x, y []float32, a, b float32) int                          { return 0 }
func divAsm(d, x []float32, a float32) int                                       { return 0 }
func mean2Asm(d, x, y []float32) int                                             { return 0 }
func addLinCombAsm(d, x []float32, c []float32, t [][]float32) int               { return 0 }
