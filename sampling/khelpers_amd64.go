//go:build amd64 && !purego

package sampling

import "golang.org/x/sys/cpu"

//go:generate go run khelpers_amd64_gen.go

// AVX2 and AVX-512 forms of the elementwise kernels (khelpers_amd64.s).
// Each wrapper runs the assembly over the largest multiple of the lane
// count (16 with AVX-512F, else 8 with AVX2) and returns that count; khelpers_kernels.go's Go loop finishes the tail. The bounds
// checks on the last element handled keep the assembly inside the slices.

var (
	haveKernelAVX2   = cpu.X86.HasAVX2
	haveKernelAVX512 = cpu.X86.HasAVX512F
)

//go:noescape
func toDAVX2(d, x, den *float32, n int, s float32)

//go:noescape
func toDAVX512(d, x, den *float32, n int, s float32)

//go:noescape
func addScaledAVX2(d, x, y *float32, n int, a float32)

//go:noescape
func addScaledAVX512(d, x, y *float32, n int, a float32)

//go:noescape
func subScaledAVX2(d, x, y *float32, n int, a float32)

//go:noescape
func subScaledAVX512(d, x, y *float32, n int, a float32)

//go:noescape
func scaleAVX2(d, x *float32, n int, a float32)

//go:noescape
func scaleAVX512(d, x *float32, n int, a float32)

//go:noescape
func addAVX2(d, x, y *float32, n int)

//go:noescape
func addAVX512(d, x, y *float32, n int)

//go:noescape
func subAVX2(d, x, y *float32, n int)

//go:noescape
func subAVX512(d, x, y *float32, n int)

//go:noescape
func lin2AVX2(d, x, y *float32, n int, a, b float32)

//go:noescape
func lin2AVX512(d, x, y *float32, n int, a, b float32)

//go:noescape
func lin2SubAVX2(d, x, y *float32, n int, a, b float32)

//go:noescape
func lin2SubAVX512(d, x, y *float32, n int, a, b float32)

//go:noescape
func addScaled2AVX2(d, x, y *float32, n int, a, b float32)

//go:noescape
func addScaled2AVX512(d, x, y *float32, n int, a, b float32)

//go:noescape
func divAVX2(d, x *float32, n int, a float32)

//go:noescape
func divAVX512(d, x *float32, n int, a float32)

//go:noescape
func mean2AVX2(d, x, y *float32, n int)

//go:noescape
func mean2AVX512(d, x, y *float32, n int)

//go:noescape
func addLinComb2AVX2(d, x, t0, t1 *float32, n int, c *[4]float32)

//go:noescape
func addLinComb2AVX512(d, x, t0, t1 *float32, n int, c *[4]float32)

//go:noescape
func addLinComb3AVX2(d, x, t0, t1, t2 *float32, n int, c *[4]float32)

//go:noescape
func addLinComb3AVX512(d, x, t0, t1, t2 *float32, n int, c *[4]float32)

//go:noescape
func addLinComb4AVX2(d, x, t0, t1, t2, t3 *float32, n int, c *[4]float32)

//go:noescape
func addLinComb4AVX512(d, x, t0, t1, t2, t3 *float32, n int, c *[4]float32)

// vecLen is the element count the assembly handles for slices of length
// n: the largest multiple of the lane count, or 0 without AVX2. AVX-512
// runs the divisions of toD about a third faster (VDIVPS on 16 lanes).
func vecLen(n int) int {
	switch {
	case haveKernelAVX512:
		return n &^ 15
	case haveKernelAVX2:
		return n &^ 7
	}
	return 0
}

func toDAsm(d, x, den []float32, s float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], den[n-1]
	if haveKernelAVX512 {
		toDAVX512(&d[0], &x[0], &den[0], n, s)
	} else {
		toDAVX2(&d[0], &x[0], &den[0], n, s)
	}
	return n
}

func addScaledAsm(d, x, y []float32, a float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		addScaledAVX512(&d[0], &x[0], &y[0], n, a)
	} else {
		addScaledAVX2(&d[0], &x[0], &y[0], n, a)
	}
	return n
}

func subScaledAsm(d, x, y []float32, a float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		subScaledAVX512(&d[0], &x[0], &y[0], n, a)
	} else {
		subScaledAVX2(&d[0], &x[0], &y[0], n, a)
	}
	return n
}

func scaleAsm(d, x []float32, a float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_ = x[n-1]
	if haveKernelAVX512 {
		scaleAVX512(&d[0], &x[0], n, a)
	} else {
		scaleAVX2(&d[0], &x[0], n, a)
	}
	return n
}

func addAsm(d, x, y []float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		addAVX512(&d[0], &x[0], &y[0], n)
	} else {
		addAVX2(&d[0], &x[0], &y[0], n)
	}
	return n
}

func subAsm(d, x, y []float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		subAVX512(&d[0], &x[0], &y[0], n)
	} else {
		subAVX2(&d[0], &x[0], &y[0], n)
	}
	return n
}

func lin2Asm(d []float32, a float32, x []float32, b float32, y []float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		lin2AVX512(&d[0], &x[0], &y[0], n, a, b)
	} else {
		lin2AVX2(&d[0], &x[0], &y[0], n, a, b)
	}
	return n
}

func lin2SubAsm(d []float32, a float32, x []float32, b float32, y []float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		lin2SubAVX512(&d[0], &x[0], &y[0], n, a, b)
	} else {
		lin2SubAVX2(&d[0], &x[0], &y[0], n, a, b)
	}
	return n
}

func addScaled2Asm(d, x, y []float32, a, b float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		addScaled2AVX512(&d[0], &x[0], &y[0], n, a, b)
	} else {
		addScaled2AVX2(&d[0], &x[0], &y[0], n, a, b)
	}
	return n
}

func divAsm(d, x []float32, a float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_ = x[n-1]
	if haveKernelAVX512 {
		divAVX512(&d[0], &x[0], n, a)
	} else {
		divAVX2(&d[0], &x[0], n, a)
	}
	return n
}

func mean2Asm(d, x, y []float32) int {
	n := vecLen(len(d))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], y[n-1]
	if haveKernelAVX512 {
		mean2AVX512(&d[0], &x[0], &y[0], n)
	} else {
		mean2AVX2(&d[0], &x[0], &y[0], n)
	}
	return n
}

// addLinCombAsm handles two to four terms; other counts report 0.
func addLinCombAsm(d, x []float32, c []float32, t [][]float32) int {
	n := vecLen(len(d))
	if n == 0 || len(t) < 2 || len(t) > 4 {
		return 0
	}
	_ = x[n-1]
	var cc [4]float32
	copy(cc[:], c[:len(t)])
	for _, tj := range t {
		_ = tj[n-1]
	}
	switch len(t) {
	case 2:
		if haveKernelAVX512 {
			addLinComb2AVX512(&d[0], &x[0], &t[0][0], &t[1][0], n, &cc)
		} else {
			addLinComb2AVX2(&d[0], &x[0], &t[0][0], &t[1][0], n, &cc)
		}
	case 3:
		if haveKernelAVX512 {
			addLinComb3AVX512(&d[0], &x[0], &t[0][0], &t[1][0], &t[2][0], n, &cc)
		} else {
			addLinComb3AVX2(&d[0], &x[0], &t[0][0], &t[1][0], &t[2][0], n, &cc)
		}
	default:
		if haveKernelAVX512 {
			addLinComb4AVX512(&d[0], &x[0], &t[0][0], &t[1][0], &t[2][0], &t[3][0], n, &cc)
		} else {
			addLinComb4AVX2(&d[0], &x[0], &t[0][0], &t[1][0], &t[2][0], &t[3][0], n, &cc)
		}
	}
	return n
}
