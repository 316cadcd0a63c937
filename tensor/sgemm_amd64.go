package tensor

import "golang.org/x/sys/cpu"

// haveSgemmKernel reports whether the AVX2/FMA micro-kernel can run.
var haveSgemmKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func sgemmKernel6x16(k int, a, b, c *float32, ldc int)
