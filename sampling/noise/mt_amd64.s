//go:build amd64 && !purego

#include "textflag.h"

DATA mtconst<>+0(SB)/4, $0x80000000
DATA mtconst<>+4(SB)/4, $0x9908b0df
DATA mtconst<>+8(SB)/4, $0x9d2c5680
DATA mtconst<>+12(SB)/4, $0xefc60000
DATA mtconst<>+16(SB)/4, $0x00ffffff
DATA mtconst<>+20(SB)/4, $0x33800000 // float32 2^-24
GLOBL mtconst<>(SB), RODATA|NOPTR, $24

// func mtTwist8AVX2(dst, cur, far *uint32, n8 int)
// For k in [0, 8*n8): y = cur[k]&upper | cur[k+1]&lower;
// dst[k] = far[k] ^ y>>1 ^ (0x9908b0df if y odd). dst may equal cur: each
// 8-word chunk is read before it is written and chunks advance forward.
TEXT ·mtTwist8AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ cur+8(FP), SI
	MOVQ far+16(FP), DX
	MOVQ n8+24(FP), CX
	TESTQ CX, CX
	JLE twistdone
	VPBROADCASTD mtconst<>+0(SB), Y14 // upper mask
	VPBROADCASTD mtconst<>+4(SB), Y15 // matrix A

twistloop:
	VMOVDQU (SI), Y0           // cur[k..k+7]
	VMOVDQU 4(SI), Y1          // cur[k+1..k+8]
	VPAND Y14, Y0, Y0          // cur & upper
	VPANDN Y1, Y14, Y2         // next & lower  (~upper & next)
	VPOR Y2, Y0, Y0            // y
	VPSLLD $31, Y0, Y3
	VPSRAD $31, Y3, Y3         // all ones where y is odd
	VPAND Y15, Y3, Y3          // mag
	VPSRLD $1, Y0, Y0          // y >> 1
	VPXOR (DX), Y0, Y0
	VPXOR Y3, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ twistloop
	VZEROUPPER

twistdone:
	RET

// func mtTemperUniformAVX2(dst *float32, src *uint32, n8 int)
// dst[k] = (temper(src[k]) & 0xffffff) * 2^-24 for k in [0, 8*n8).
TEXT ·mtTemperUniformAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n8+16(FP), CX
	TESTQ CX, CX
	JLE temperdone
	VPBROADCASTD mtconst<>+8(SB), Y12  // 0x9d2c5680
	VPBROADCASTD mtconst<>+12(SB), Y13 // 0xefc60000
	VPBROADCASTD mtconst<>+16(SB), Y14 // 0xffffff
	VBROADCASTSS mtconst<>+20(SB), Y15 // 2^-24

temperloop:
	VMOVDQU (SI), Y0
	VPSRLD $11, Y0, Y1
	VPXOR Y1, Y0, Y0
	VPSLLD $7, Y0, Y1
	VPAND Y12, Y1, Y1
	VPXOR Y1, Y0, Y0
	VPSLLD $15, Y0, Y1
	VPAND Y13, Y1, Y1
	VPXOR Y1, Y0, Y0
	VPSRLD $18, Y0, Y1
	VPXOR Y1, Y0, Y0
	VPAND Y14, Y0, Y0
	VCVTDQ2PS Y0, Y0           // exact: < 2^24
	VMULPS Y15, Y0, Y0         // exact: power of two
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ temperloop
	VZEROUPPER

temperdone:
	RET
