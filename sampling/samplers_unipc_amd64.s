//go:build amd64 && !purego

#include "textflag.h"

// UniPC's loops on 8 float32 lanes (see samplers_unipc_amd64.go). Go
// assembler operand order: VSUBPS b, a, dst computes dst = a - b.
// n is a positive multiple of 8.

// func uniPCModelAVX2(d, y, xin, den *float32, n int, c *[3]float32)
// d = (y - std*((xin - den)/v))/alpha, c = {v, std, alpha}.
TEXT ·uniPCModelAVX2(SB), NOSPLIT, $0-48
	MOVQ d+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ xin+16(FP), R8
	MOVQ den+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), DX
	VBROADCASTSS 0(DX), Y13 // v
	VBROADCASTSS 4(DX), Y14 // std
	VBROADCASTSS 8(DX), Y15 // alpha
	XORQ AX, AX

model_loop:
	VMOVUPS (R8)(AX*4), Y0
	VSUBPS  (R9)(AX*4), Y0, Y0 // xin - den
	VDIVPS  Y13, Y0, Y0        // eps = (xin - den)/v
	VMULPS  Y14, Y0, Y0        // std*eps
	VMOVUPS (SI)(AX*4), Y1
	VSUBPS  Y0, Y1, Y1         // y - std*eps
	VDIVPS  Y15, Y1, Y1        // / alpha
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     model_loop
	VZEROUPPER
	RET

// func uniPCPredictAVX2(y, yb, m0, p0, p1 *float32, n int, c *[7]float32)
// b = aS*y - aPhi*m; yb = b; y = b - aB*(r0*((p0-m)/k0) + r1*((p1-m)/k1)),
// c = {aS, aPhi, aB, r0, k0, r1, k1}.
TEXT ·uniPCPredictAVX2(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ yb+8(FP), SI
	MOVQ m0+16(FP), R8
	MOVQ p0+24(FP), R9
	MOVQ p1+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ c+48(FP), DX
	VBROADCASTSS 0(DX), Y9  // aS
	VBROADCASTSS 4(DX), Y10 // aPhi
	VBROADCASTSS 8(DX), Y11 // aB
	VBROADCASTSS 12(DX), Y12 // r0
	VBROADCASTSS 16(DX), Y13 // k0
	VBROADCASTSS 20(DX), Y14 // r1
	VBROADCASTSS 24(DX), Y15 // k1
	XORQ AX, AX

predict_loop:
	VMOVUPS (R8)(AX*4), Y0     // m
	VMULPS  (DI)(AX*4), Y9, Y1 // aS*y
	VMULPS  Y0, Y10, Y2        // aPhi*m
	VSUBPS  Y2, Y1, Y1         // b
	VMOVUPS Y1, (SI)(AX*4)     // yb = b
	VMOVUPS (R9)(AX*4), Y3
	VSUBPS  Y0, Y3, Y3         // p0 - m
	VDIVPS  Y13, Y3, Y3        // / k0
	VMULPS  Y3, Y12, Y3        // r0*...
	VMOVUPS (R10)(AX*4), Y4
	VSUBPS  Y0, Y4, Y4         // p1 - m
	VDIVPS  Y15, Y4, Y4        // / k1
	VMULPS  Y4, Y14, Y4        // r1*...
	VADDPS  Y4, Y3, Y3         // acc
	VMULPS  Y3, Y11, Y3        // aB*acc
	VSUBPS  Y3, Y1, Y1         // b - aB*acc
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     predict_loop
	VZEROUPPER
	RET

// func uniPCCorrectAVX2(y, yb, m0, p0, p1, mt *float32, n int, c *[6]float32)
// y = yb - aB*((r0*((p0-m)/k0) + r1*((p1-m)/k1)) + rT*(mt - m)),
// c = {aB, r0, k0, r1, k1, rT}.
TEXT ·uniPCCorrectAVX2(SB), NOSPLIT, $0-64
	MOVQ y+0(FP), DI
	MOVQ yb+8(FP), SI
	MOVQ m0+16(FP), R8
	MOVQ p0+24(FP), R9
	MOVQ p1+32(FP), R10
	MOVQ mt+40(FP), R11
	MOVQ n+48(FP), CX
	MOVQ c+56(FP), DX
	VBROADCASTSS 0(DX), Y10  // aB
	VBROADCASTSS 4(DX), Y11  // r0
	VBROADCASTSS 8(DX), Y12  // k0
	VBROADCASTSS 12(DX), Y13 // r1
	VBROADCASTSS 16(DX), Y14 // k1
	VBROADCASTSS 20(DX), Y15 // rT
	XORQ AX, AX

correct_loop:
	VMOVUPS (R8)(AX*4), Y0 // m
	VMOVUPS (R9)(AX*4), Y3
	VSUBPS  Y0, Y3, Y3     // p0 - m
	VDIVPS  Y12, Y3, Y3    // / k0
	VMULPS  Y3, Y11, Y3    // r0*...
	VMOVUPS (R10)(AX*4), Y4
	VSUBPS  Y0, Y4, Y4     // p1 - m
	VDIVPS  Y14, Y4, Y4    // / k1
	VMULPS  Y4, Y13, Y4    // r1*...
	VADDPS  Y4, Y3, Y3     // sum of the previous terms
	VMOVUPS (R11)(AX*4), Y5
	VSUBPS  Y0, Y5, Y5     // mt - m
	VMULPS  Y5, Y15, Y5    // rT*(mt - m)
	VADDPS  Y5, Y3, Y3     // acc
	VMULPS  Y3, Y10, Y3    // aB*acc
	VMOVUPS (SI)(AX*4), Y1
	VSUBPS  Y3, Y1, Y1     // yb - aB*acc
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     correct_loop
	VZEROUPPER
	RET
