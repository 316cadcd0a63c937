//go:build !amd64

package tensor

const haveSgemmKernel = false

func sgemmKernel6x16(k int, a, b, c *float32, ldc int, pf *float32, pfStep, rows int) {
	panic("unreachable")
}

const haveAVX512Kernel = false

func sgemmKernel12x16(k int, a0, a1, b, c *float32, ldc int, pf *float32, pfStep, rows int) {
	panic("unreachable")
}

func sgemmKernel12x16Raw(k int, a *float32, lda int, b, c *float32, ldc int) { panic("unreachable") }
