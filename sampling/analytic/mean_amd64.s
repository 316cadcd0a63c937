//go:build amd64 && !purego

#include "textflag.h"

// Offsets into meanConsts.
#define LOGC0 0
#define LOGC1 8
#define INV2V0 16
#define INV2V1 24
#define GAIN0 32
#define GAIN1 40
#define ONE 48
#define MINARG 56
#define LOG2E 64
#define LN2HI 72
#define LN2LO 80
#define MAGIC 88
#define BIAS 96
#define MAGICBITS 104
#define POLY 112

// Horner step: Y4 = Y4*r + poly[i].
#define HORNER(i) VBROADCASTSD (POLY+8*i)(AX), Y5; VFMADD213PD Y5, Y3, Y4

// func meanAVX2(m, y, mu0, mu1 *float64, n int, k *meanConsts)
TEXT ·meanAVX2(SB), NOSPLIT, $0-48
	MOVQ m+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ mu0+16(FP), R8
	MOVQ mu1+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), AX
	VBROADCASTSD LOGC0(AX), Y10
	VBROADCASTSD LOGC1(AX), Y11
	VBROADCASTSD INV2V0(AX), Y12
	VBROADCASTSD INV2V1(AX), Y13
	VBROADCASTSD GAIN0(AX), Y14
	VBROADCASTSD GAIN1(AX), Y15

loop:
	CMPQ CX, $4
	JLT  done
	VMOVUPD (SI), Y0 // y
	VMOVUPD (R8), Y1 // mu0
	VMOVUPD (R9), Y2 // mu1
	VSUBPD  Y1, Y0, Y3 // d0 = y - mu0
	VSUBPD  Y2, Y0, Y4 // d1 = y - mu1

	// Logits l0 = logc0 - d0*d0*inv2V0 (Y5), l1 likewise (Y6).
	VMULPD Y3, Y3, Y5
	VMULPD Y12, Y5, Y5
	VSUBPD Y5, Y10, Y5
	VMULPD Y4, Y4, Y6
	VMULPD Y13, Y6, Y6
	VSUBPD Y6, Y11, Y6

	// Component posterior means m0 = mu0 + gain0*d0 (Y1), m1 (Y2).
	VFMADD231PD Y14, Y3, Y1
	VFMADD231PD Y15, Y4, Y2

	// Y7 = l0 >= l1; Y8 = -|l0 - l1| = min(l0-l1, l1-l0), clamped.
	VCMPPD       $0x1D, Y6, Y5, Y7
	VSUBPD       Y6, Y5, Y8
	VSUBPD       Y5, Y6, Y9
	VMINPD       Y9, Y8, Y8
	VBROADCASTSD MINARG(AX), Y5
	VMAXPD       Y5, Y8, Y8

	// e = exp(Y8): kf = round(x*log2e) (Y0), r = x - kf*ln2 (Y3).
	VBROADCASTSD LOG2E(AX), Y5
	VMULPD       Y5, Y8, Y0
	VROUNDPD     $0, Y0, Y0
	VMOVAPD      Y8, Y3
	VBROADCASTSD LN2HI(AX), Y5
	VFNMADD231PD Y5, Y0, Y3
	VBROADCASTSD LN2LO(AX), Y5
	VFNMADD231PD Y5, Y0, Y3

	// e^r by Horner (Y4).
	VBROADCASTSD (POLY)(AX), Y4
	HORNER(1)
	HORNER(2)
	HORNER(3)
	HORNER(4)
	HORNER(5)
	HORNER(6)
	HORNER(7)
	HORNER(8)
	HORNER(9)
	HORNER(10)
	HORNER(11)
	HORNER(12)
	HORNER(13)

	// 2^kf: the integer left in the low bits by adding 1.5*2^52, biased
	// and moved into the exponent field.
	VBROADCASTSD MAGIC(AX), Y5
	VADDPD       Y5, Y0, Y0
	VPBROADCASTQ MAGICBITS(AX), Y5
	VPSUBQ       Y5, Y0, Y0
	VPBROADCASTQ BIAS(AX), Y5
	VPADDQ       Y5, Y0, Y0
	VPSLLQ       $52, Y0, Y0
	VMULPD       Y0, Y4, Y9 // e

	// Softmax-weighted mean: (m0 + e*m1)/(1+e) when l0 >= l1, else
	// (e*m0 + m1)/(e+1).
	VMOVAPD      Y1, Y3
	VFMADD231PD  Y9, Y2, Y3
	VMOVAPD      Y2, Y4
	VFMADD231PD  Y9, Y1, Y4
	VBLENDVPD    Y7, Y3, Y4, Y5
	VBROADCASTSD ONE(AX), Y6
	VADDPD       Y6, Y9, Y6
	VDIVPD       Y6, Y5, Y5
	VMOVUPD      Y5, (DI)

	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  loop

done:
	VZEROUPPER
	RET
