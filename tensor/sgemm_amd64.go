package tensor

import "golang.org/x/sys/cpu"

// haveSgemmKernel reports whether the AVX2/FMA micro-kernel can run.
var haveSgemmKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func sgemmKernel6x16(k int, a, b, c *float32, ldc int, pf *float32, pfStep, rows int)

// haveAVX512Kernel reports whether the 12×16 AVX-512 kernel can run.
var haveAVX512Kernel = haveSgemmKernel && cpu.X86.HasAVX512F

//go:noescape
func sgemmKernel12x16(k int, a0, a1, b, c *float32, ldc int, pf *float32, pfStep, rows int)

//go:noescape
func sgemmKernel12x16Raw(k int, a *float32, lda int, b, c *float32, ldc int)
