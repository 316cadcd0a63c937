#include "textflag.h"

// func sgemmKernel12x16(k int, a0, a1, b, c *float32, ldc int, pf *float32, pfStep, rows int)
// C[12][16] (row stride ldc floats) += A·B where rows 0-5 come from the
// packed strip a0 and rows 6-11 from a1 (each [k][6]) and B is a packed
// [k][16] strip: twelve AVX-512 accumulators with broadcast operands.
// Each iteration also prefetches the line at pf, advancing pf by pfStep
// bytes (a slice of the next B strip; the load ports have room for it,
// the FMAs are the limit). Only the first rows (1..12) rows of C are
// updated, so a partial last block is written in place.
TEXT ·sgemmKernel12x16(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), BX
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	MOVQ pf+48(FP), R10
	MOVQ pfStep+56(FP), R11
	MOVQ rows+64(FP), R9
	SHLQ $2, R8
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JE    store

loop:
	VMOVUPS          (DI), Z0
	PREFETCHT0       (R10)
	ADDQ             R11, R10
	VFMADD231PS.BCST (SI), Z0, Z4
	VFMADD231PS.BCST 4(SI), Z0, Z5
	VFMADD231PS.BCST 8(SI), Z0, Z6
	VFMADD231PS.BCST 12(SI), Z0, Z7
	VFMADD231PS.BCST 16(SI), Z0, Z8
	VFMADD231PS.BCST 20(SI), Z0, Z9
	VFMADD231PS.BCST (BX), Z0, Z10
	VFMADD231PS.BCST 4(BX), Z0, Z11
	VFMADD231PS.BCST 8(BX), Z0, Z12
	VFMADD231PS.BCST 12(BX), Z0, Z13
	VFMADD231PS.BCST 16(BX), Z0, Z14
	VFMADD231PS.BCST 20(BX), Z0, Z15
	ADDQ             $24, SI
	ADDQ             $24, BX
	ADDQ             $64, DI
	DECQ             CX
	JNE              loop

store:
	VADDPS  (DX), Z4, Z4
	VMOVUPS Z4, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z5, Z5
	VMOVUPS Z5, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z6, Z6
	VMOVUPS Z6, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z7, Z7
	VMOVUPS Z7, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z8, Z8
	VMOVUPS Z8, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z9, Z9
	VMOVUPS Z9, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z10, Z10
	VMOVUPS Z10, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z11, Z11
	VMOVUPS Z11, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z12, Z12
	VMOVUPS Z12, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z13, Z13
	VMOVUPS Z13, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z14, Z14
	VMOVUPS Z14, (DX)
	DECQ    R9
	JZ      done
	ADDQ    R8, DX
	VADDPS  (DX), Z15, Z15
	VMOVUPS Z15, (DX)
done:
	VZEROUPPER
	RET

// func sgemmKernel12x16Raw(k int, a *float32, lda int, b, c *float32, ldc int)
// As sgemmKernel12x16, but A is read unpacked: twelve rows of a row-major
// matrix with row stride lda floats, broadcast straight from memory.
TEXT ·sgemmKernel12x16Raw(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	SHLQ $2, R9
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R10)(R9*2), R11
	ADDQ R9, R11
	LEAQ (R11)(R9*2), R12
	ADDQ R9, R12
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JE    store

loop:
	VMOVUPS          (DI), Z0
	VFMADD231PS.BCST (SI), Z0, Z4
	VFMADD231PS.BCST (SI)(R9*1), Z0, Z5
	VFMADD231PS.BCST (SI)(R9*2), Z0, Z6
	VFMADD231PS.BCST (R10), Z0, Z7
	VFMADD231PS.BCST (R10)(R9*1), Z0, Z8
	VFMADD231PS.BCST (R10)(R9*2), Z0, Z9
	VFMADD231PS.BCST (R11), Z0, Z10
	VFMADD231PS.BCST (R11)(R9*1), Z0, Z11
	VFMADD231PS.BCST (R11)(R9*2), Z0, Z12
	VFMADD231PS.BCST (R12), Z0, Z13
	VFMADD231PS.BCST (R12)(R9*1), Z0, Z14
	VFMADD231PS.BCST (R12)(R9*2), Z0, Z15
	ADDQ             $4, SI
	ADDQ             $4, R10
	ADDQ             $4, R11
	ADDQ             $4, R12
	ADDQ             $64, DI
	DECQ             CX
	JNE              loop

store:
	VADDPS  (DX), Z4, Z4
	VMOVUPS Z4, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z5, Z5
	VMOVUPS Z5, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z6, Z6
	VMOVUPS Z6, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z7, Z7
	VMOVUPS Z7, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z8, Z8
	VMOVUPS Z8, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z9, Z9
	VMOVUPS Z9, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z10, Z10
	VMOVUPS Z10, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z11, Z11
	VMOVUPS Z11, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z12, Z12
	VMOVUPS Z12, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z13, Z13
	VMOVUPS Z13, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z14, Z14
	VMOVUPS Z14, (DX)
	ADDQ    R8, DX
	VADDPS  (DX), Z15, Z15
	VMOVUPS Z15, (DX)
	VZEROUPPER
	RET
