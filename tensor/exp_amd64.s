#include "textflag.h"

// Constants of SLEEF's expf (u10): Cody-Waite split of ln 2 and the
// degree-6 polynomial, as in models/sd1's scalar expf.
DATA expc<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+4(SB)/4, $0x3f317200  // ln2 high  0.693145751953125
DATA expc<>+8(SB)/4, $0x35bfbe8e  // ln2 low   1.428606765330187045e-06
DATA expc<>+12(SB)/4, $0x39502b2c // 0.000198527617612853646278381
DATA expc<>+16(SB)/4, $0x3ab6966e // 0.00139304355252534151077271
DATA expc<>+20(SB)/4, $0x3c088908 // 0.00833336077630519866943359
DATA expc<>+24(SB)/4, $0x3d2aa9c1 // 0.0416664853692054748535156
DATA expc<>+28(SB)/4, $0x3e2aaaab // 0.166666671633720397949219
DATA expc<>+32(SB)/4, $0x3f000000 // 0.5
DATA expc<>+36(SB)/4, $0x3f800000 // 1.0
DATA expc<>+40(SB)/4, $0xc2ae0000 // -87 (below: result flushed to 0)
DATA expc<>+44(SB)/4, $0x0000007f // 127
DATA expc<>+48(SB)/4, $0x42b17218 // 88.72283935546875 (above: +Inf, as SLEEF)
DATA expc<>+52(SB)/4, $0x7f800000 // +Inf
GLOBL expc<>(SB), RODATA|NOPTR, $56

// func expShiftAVX2(x *float32, n int, shift float32) float32
// x[i] = exp(x[i] - shift) for n (a multiple of 8) elements; returns the
// sum of the results. Arguments below -87 give 0 (and -Inf gives 0),
// arguments above 88.72 give +Inf (sigmoid-style callers pass -x).
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS shift+16(FP), Y15
	VBROADCASTSS expc<>+0(SB), Y14
	VBROADCASTSS expc<>+4(SB), Y13
	VBROADCASTSS expc<>+8(SB), Y12
	VBROADCASTSS expc<>+40(SB), Y11
	VPBROADCASTD expc<>+44(SB), Y10
	VBROADCASTSS expc<>+36(SB), Y9
	VXORPS       Y8, Y8, Y8       // running sum
	SHRQ         $3, CX
	JZ           done

loop:
	VMOVUPS      (SI), Y0
	VSUBPS       Y15, Y0, Y0      // d = x - shift
	VCMPPS       $5, Y11, Y0, Y7  // keep = !(d < -87)
	VBROADCASTSS expc<>+48(SB), Y6
	VCMPPS       $0x1e, Y6, Y0, Y6 // over = d > 88.72
	VMAXPS       Y11, Y0, Y0
	VMULPS       Y14, Y0, Y1
	VROUNDPS     $0, Y1, Y1       // q = rint(d*log2e)
	VFNMADD231PS Y13, Y1, Y0      // s = d - q*ln2hi
	VFNMADD231PS Y12, Y1, Y0      // s -= q*ln2lo
	VBROADCASTSS expc<>+12(SB), Y2
	VBROADCASTSS expc<>+16(SB), Y3
	VFMADD213PS  Y3, Y0, Y2       // u = u*s + c
	VBROADCASTSS expc<>+20(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VBROADCASTSS expc<>+24(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VBROADCASTSS expc<>+28(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VBROADCASTSS expc<>+32(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VMULPS       Y0, Y0, Y4       // s*s
	VADDPS       Y9, Y0, Y5       // s+1
	VFMADD213PS  Y5, Y4, Y2       // u = s*s*u + (s+1)
	VCVTPS2DQ    Y1, Y1
	VPADDD       Y10, Y1, Y1
	VPSLLD       $23, Y1, Y1      // 2^q
	VMULPS       Y1, Y2, Y2
	VANDPS       Y7, Y2, Y2
	VBROADCASTSS expc<>+52(SB), Y3
	VBLENDVPS    Y6, Y3, Y2, Y2   // +Inf where over
	VMOVUPS      Y2, (SI)
	VADDPS       Y2, Y8, Y8
	ADDQ         $32, SI
	DECQ         CX
	JNZ          loop

done:
	VEXTRACTF128 $1, Y8, X1
	VADDPS       X1, X8, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	MOVSS        X0, ret+24(FP)
	VZEROUPPER
	RET

DATA qgelc<>+0(SB)/4, $0x3fd9db23 // 1.702
DATA qgelc<>+4(SB)/4, $0x80000000 // sign bit
GLOBL qgelc<>(SB), RODATA|NOPTR, $8

// func quickGELUAVX2(x *float32, n int)
// x[i] = x[i]·(1/(1+exp(-(1.702·x[i])))) for n (a multiple of 8) elements:
// the steps of quickGELUSerial (float32 product, expShiftAVX2's exp,
// reciprocal, product) in one pass.
TEXT ·quickGELUAVX2(SB), NOSPLIT, $0-16
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS expc<>+0(SB), Y14
	VBROADCASTSS expc<>+4(SB), Y13
	VBROADCASTSS expc<>+8(SB), Y12
	VBROADCASTSS expc<>+40(SB), Y11
	VPBROADCASTD expc<>+44(SB), Y10
	VBROADCASTSS expc<>+36(SB), Y9
	VBROADCASTSS qgelc<>+0(SB), Y15
	VBROADCASTSS qgelc<>+4(SB), Y8
	SHRQ         $3, CX
	JZ           qdone

qloop:
	VMOVUPS      (SI), Y0
	VMULPS       Y15, Y0, Y0      // t = 1.702x
	VXORPS       Y8, Y0, Y0       // d = -t
	VCMPPS       $5, Y11, Y0, Y7  // keep = !(d < -87)
	VBROADCASTSS expc<>+48(SB), Y6
	VCMPPS       $0x1e, Y6, Y0, Y6 // over = d > 88.72
	VMAXPS       Y11, Y0, Y0
	VMULPS       Y14, Y0, Y1
	VROUNDPS     $0, Y1, Y1       // q = rint(d*log2e)
	VFNMADD231PS Y13, Y1, Y0      // s = d - q*ln2hi
	VFNMADD231PS Y12, Y1, Y0      // s -= q*ln2lo
	VBROADCASTSS expc<>+12(SB), Y2
	VBROADCASTSS expc<>+16(SB), Y3
	VFMADD213PS  Y3, Y0, Y2       // u = u*s + c
	VBROADCASTSS expc<>+20(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VBROADCASTSS expc<>+24(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VBROADCASTSS expc<>+28(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VBROADCASTSS expc<>+32(SB), Y3
	VFMADD213PS  Y3, Y0, Y2
	VMULPS       Y0, Y0, Y4       // s*s
	VADDPS       Y9, Y0, Y5       // s+1
	VFMADD213PS  Y5, Y4, Y2       // u = s*s*u + (s+1)
	VCVTPS2DQ    Y1, Y1
	VPADDD       Y10, Y1, Y1
	VPSLLD       $23, Y1, Y1      // 2^q
	VMULPS       Y1, Y2, Y2
	VANDPS       Y7, Y2, Y2
	VBROADCASTSS expc<>+52(SB), Y3
	VBLENDVPS    Y6, Y3, Y2, Y2   // e = exp(d), +Inf where over
	VADDPS       Y9, Y2, Y2       // 1 + e
	VDIVPS       Y2, Y9, Y2       // 1/(1+e)
	VMOVUPS      (SI), Y0
	VMULPS       Y2, Y0, Y0       // x·sigmoid(1.702x)
	VMOVUPS      Y0, (SI)
	ADDQ         $32, SI
	DECQ         CX
	JNZ          qloop

qdone:
	VZEROUPPER
	RET
