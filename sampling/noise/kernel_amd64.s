//go:build amd64 && !purego

#include "textflag.h"

// boxMuller16AVX2 is torch 1.13's normal_fill_16_AVX2 (log256_ps and
// sincos256_ps of avx_mathfun.h, compiled with FMA contraction; spec 2.1)
// applied to nblocks consecutive 16-float blocks in place, mean 0, std 1.
// Each instruction is the one torch's compiled kernel executes, so the
// results are bit-identical; kernel_test.go checks it against the pure-Go
// description for every possible input.

#define K_ONE kconst<>+0(SB)
#define K_MINNORM kconst<>+32(SB)
#define K_INVMANT kconst<>+64(SB)
#define K_HALF kconst<>+96(SB)
#define K_X7F kconst<>+128(SB)
#define K_SQRTHF kconst<>+160(SB)
#define K_P0 kconst<>+192(SB)
#define K_P1 kconst<>+224(SB)
#define K_P2 kconst<>+256(SB)
#define K_P3 kconst<>+288(SB)
#define K_P4 kconst<>+320(SB)
#define K_P5 kconst<>+352(SB)
#define K_P6 kconst<>+384(SB)
#define K_P7 kconst<>+416(SB)
#define K_P8 kconst<>+448(SB)
#define K_Q1 kconst<>+480(SB)
#define K_Q2 kconst<>+512(SB)
#define K_MINUS2 kconst<>+544(SB)
#define K_TWOPI kconst<>+576(SB)
#define K_FOPI kconst<>+608(SB)
#define K_I1 kconst<>+640(SB)
#define K_INV1 kconst<>+672(SB)
#define K_I2 kconst<>+704(SB)
#define K_I4 kconst<>+736(SB)
#define K_DP1 kconst<>+768(SB)
#define K_DP2 kconst<>+800(SB)
#define K_DP3 kconst<>+832(SB)
#define K_C0 kconst<>+864(SB)
#define K_C1 kconst<>+896(SB)
#define K_C2 kconst<>+928(SB)
#define K_S0 kconst<>+960(SB)
#define K_S1 kconst<>+992(SB)
#define K_S2 kconst<>+1024(SB)

DATA kconst<>+0(SB)/4, $0x3f800000
DATA kconst<>+4(SB)/4, $0x3f800000
DATA kconst<>+8(SB)/4, $0x3f800000
DATA kconst<>+12(SB)/4, $0x3f800000
DATA kconst<>+16(SB)/4, $0x3f800000
DATA kconst<>+20(SB)/4, $0x3f800000
DATA kconst<>+24(SB)/4, $0x3f800000
DATA kconst<>+28(SB)/4, $0x3f800000
DATA kconst<>+32(SB)/4, $0x00800000
DATA kconst<>+36(SB)/4, $0x00800000
DATA kconst<>+40(SB)/4, $0x00800000
DATA kconst<>+44(SB)/4, $0x00800000
DATA kconst<>+48(SB)/4, $0x00800000
DATA kconst<>+52(SB)/4, $0x00800000
DATA kconst<>+56(SB)/4, $0x00800000
DATA kconst<>+60(SB)/4, $0x00800000
DATA kconst<>+64(SB)/4, $0x807fffff
DATA kconst<>+68(SB)/4, $0x807fffff
DATA kconst<>+72(SB)/4, $0x807fffff
DATA kconst<>+76(SB)/4, $0x807fffff
DATA kconst<>+80(SB)/4, $0x807fffff
DATA kconst<>+84(SB)/4, $0x807fffff
DATA kconst<>+88(SB)/4, $0x807fffff
DATA kconst<>+92(SB)/4, $0x807fffff
DATA kconst<>+96(SB)/4, $0x3f000000
DATA kconst<>+100(SB)/4, $0x3f000000
DATA kconst<>+104(SB)/4, $0x3f000000
DATA kconst<>+108(SB)/4, $0x3f000000
DATA kconst<>+112(SB)/4, $0x3f000000
DATA kconst<>+116(SB)/4, $0x3f000000
DATA kconst<>+120(SB)/4, $0x3f000000
DATA kconst<>+124(SB)/4, $0x3f000000
DATA kconst<>+128(SB)/4, $0x0000007f
DATA kconst<>+132(SB)/4, $0x0000007f
DATA kconst<>+136(SB)/4, $0x0000007f
DATA kconst<>+140(SB)/4, $0x0000007f
DATA kconst<>+144(SB)/4, $0x0000007f
DATA kconst<>+148(SB)/4, $0x0000007f
DATA kconst<>+152(SB)/4, $0x0000007f
DATA kconst<>+156(SB)/4, $0x0000007f
DATA kconst<>+160(SB)/4, $0x3f3504f3
DATA kconst<>+164(SB)/4, $0x3f3504f3
DATA kconst<>+168(SB)/4, $0x3f3504f3
DATA kconst<>+172(SB)/4, $0x3f3504f3
DATA kconst<>+176(SB)/4, $0x3f3504f3
DATA kconst<>+180(SB)/4, $0x3f3504f3
DATA kconst<>+184(SB)/4, $0x3f3504f3
DATA kconst<>+188(SB)/4, $0x3f3504f3
DATA kconst<>+192(SB)/4, $0x3d9021bb
DATA kconst<>+196(SB)/4, $0x3d9021bb
DATA kconst<>+200(SB)/4, $0x3d9021bb
DATA kconst<>+204(SB)/4, $0x3d9021bb
DATA kconst<>+208(SB)/4, $0x3d9021bb
DATA kconst<>+212(SB)/4, $0x3d9021bb
DATA kconst<>+216(SB)/4, $0x3d9021bb
DATA kconst<>+220(SB)/4, $0x3d9021bb
DATA kconst<>+224(SB)/4, $0xbdebd1b8
DATA kconst<>+228(SB)/4, $0xbdebd1b8
DATA kconst<>+232(SB)/4, $0xbdebd1b8
DATA kconst<>+236(SB)/4, $0xbdebd1b8
DATA kconst<>+240(SB)/4, $0xbdebd1b8
DATA kconst<>+244(SB)/4, $0xbdebd1b8
DATA kconst<>+248(SB)/4, $0xbdebd1b8
DATA kconst<>+252(SB)/4, $0xbdebd1b8
DATA kconst<>+256(SB)/4, $0x3def251a
DATA kconst<>+260(SB)/4, $0x3def251a
DATA kconst<>+264(SB)/4, $0x3def251a
DATA kconst<>+268(SB)/4, $0x3def251a
DATA kconst<>+272(SB)/4, $0x3def251a
DATA kconst<>+276(SB)/4, $0x3def251a
DATA kconst<>+280(SB)/4, $0x3def251a
DATA kconst<>+284(SB)/4, $0x3def251a
DATA kconst<>+288(SB)/4, $0xbdfe5d4f
DATA kconst<>+292(SB)/4, $0xbdfe5d4f
DATA kconst<>+296(SB)/4, $0xbdfe5d4f
DATA kconst<>+300(SB)/4, $0xbdfe5d4f
DATA kconst<>+304(SB)/4, $0xbdfe5d4f
DATA kconst<>+308(SB)/4, $0xbdfe5d4f
DATA kconst<>+312(SB)/4, $0xbdfe5d4f
DATA kconst<>+316(SB)/4, $0xbdfe5d4f
DATA kconst<>+320(SB)/4, $0x3e11e9bf
DATA kconst<>+324(SB)/4, $0x3e11e9bf
DATA kconst<>+328(SB)/4, $0x3e11e9bf
DATA kconst<>+332(SB)/4, $0x3e11e9bf
DATA kconst<>+336(SB)/4, $0x3e11e9bf
DATA kconst<>+340(SB)/4, $0x3e11e9bf
DATA kconst<>+344(SB)/4, $0x3e11e9bf
DATA kconst<>+348(SB)/4, $0x3e11e9bf
DATA kconst<>+352(SB)/4, $0xbe2aae50
DATA kconst<>+356(SB)/4, $0xbe2aae50
DATA kconst<>+360(SB)/4, $0xbe2aae50
DATA kconst<>+364(SB)/4, $0xbe2aae50
DATA kconst<>+368(SB)/4, $0xbe2aae50
DATA kconst<>+372(SB)/4, $0xbe2aae50
DATA kconst<>+376(SB)/4, $0xbe2aae50
DATA kconst<>+380(SB)/4, $0xbe2aae50
DATA kconst<>+384(SB)/4, $0x3e4cceac
DATA kconst<>+388(SB)/4, $0x3e4cceac
DATA kconst<>+392(SB)/4, $0x3e4cceac
DATA kconst<>+396(SB)/4, $0x3e4cceac
DATA kconst<>+400(SB)/4, $0x3e4cceac
DATA kconst<>+404(SB)/4, $0x3e4cceac
DATA kconst<>+408(SB)/4, $0x3e4cceac
DATA kconst<>+412(SB)/4, $0x3e4cceac
DATA kconst<>+416(SB)/4, $0xbe7ffffc
DATA kconst<>+420(SB)/4, $0xbe7ffffc
DATA kconst<>+424(SB)/4, $0xbe7ffffc
DATA kconst<>+428(SB)/4, $0xbe7ffffc
DATA kconst<>+432(SB)/4, $0xbe7ffffc
DATA kconst<>+436(SB)/4, $0xbe7ffffc
DATA kconst<>+440(SB)/4, $0xbe7ffffc
DATA kconst<>+444(SB)/4, $0xbe7ffffc
DATA kconst<>+448(SB)/4, $0x3eaaaaaa
DATA kconst<>+452(SB)/4, $0x3eaaaaaa
DATA kconst<>+456(SB)/4, $0x3eaaaaaa
DATA kconst<>+460(SB)/4, $0x3eaaaaaa
DATA kconst<>+464(SB)/4, $0x3eaaaaaa
DATA kconst<>+468(SB)/4, $0x3eaaaaaa
DATA kconst<>+472(SB)/4, $0x3eaaaaaa
DATA kconst<>+476(SB)/4, $0x3eaaaaaa
DATA kconst<>+480(SB)/4, $0xb95e8083
DATA kconst<>+484(SB)/4, $0xb95e8083
DATA kconst<>+488(SB)/4, $0xb95e8083
DATA kconst<>+492(SB)/4, $0xb95e8083
DATA kconst<>+496(SB)/4, $0xb95e8083
DATA kconst<>+500(SB)/4, $0xb95e8083
DATA kconst<>+504(SB)/4, $0xb95e8083
DATA kconst<>+508(SB)/4, $0xb95e8083
DATA kconst<>+512(SB)/4, $0x3f318000
DATA kconst<>+516(SB)/4, $0x3f318000
DATA kconst<>+520(SB)/4, $0x3f318000
DATA kconst<>+524(SB)/4, $0x3f318000
DATA kconst<>+528(SB)/4, $0x3f318000
DATA kconst<>+532(SB)/4, $0x3f318000
DATA kconst<>+536(SB)/4, $0x3f318000
DATA kconst<>+540(SB)/4, $0x3f318000
DATA kconst<>+544(SB)/4, $0xc0000000
DATA kconst<>+548(SB)/4, $0xc0000000
DATA kconst<>+552(SB)/4, $0xc0000000
DATA kconst<>+556(SB)/4, $0xc0000000
DATA kconst<>+560(SB)/4, $0xc0000000
DATA kconst<>+564(SB)/4, $0xc0000000
DATA kconst<>+568(SB)/4, $0xc0000000
DATA kconst<>+572(SB)/4, $0xc0000000
DATA kconst<>+576(SB)/4, $0x40c90fdb
DATA kconst<>+580(SB)/4, $0x40c90fdb
DATA kconst<>+584(SB)/4, $0x40c90fdb
DATA kconst<>+588(SB)/4, $0x40c90fdb
DATA kconst<>+592(SB)/4, $0x40c90fdb
DATA kconst<>+596(SB)/4, $0x40c90fdb
DATA kconst<>+600(SB)/4, $0x40c90fdb
DATA kconst<>+604(SB)/4, $0x40c90fdb
DATA kconst<>+608(SB)/4, $0x3fa2f983
DATA kconst<>+612(SB)/4, $0x3fa2f983
DATA kconst<>+616(SB)/4, $0x3fa2f983
DATA kconst<>+620(SB)/4, $0x3fa2f983
DATA kconst<>+624(SB)/4, $0x3fa2f983
DATA kconst<>+628(SB)/4, $0x3fa2f983
DATA kconst<>+632(SB)/4, $0x3fa2f983
DATA kconst<>+636(SB)/4, $0x3fa2f983
DATA kconst<>+640(SB)/4, $0x00000001
DATA kconst<>+644(SB)/4, $0x00000001
DATA kconst<>+648(SB)/4, $0x00000001
DATA kconst<>+652(SB)/4, $0x00000001
DATA kconst<>+656(SB)/4, $0x00000001
DATA kconst<>+660(SB)/4, $0x00000001
DATA kconst<>+664(SB)/4, $0x00000001
DATA kconst<>+668(SB)/4, $0x00000001
DATA kconst<>+672(SB)/4, $0xfffffffe
DATA kconst<>+676(SB)/4, $0xfffffffe
DATA kconst<>+680(SB)/4, $0xfffffffe
DATA kconst<>+684(SB)/4, $0xfffffffe
DATA kconst<>+688(SB)/4, $0xfffffffe
DATA kconst<>+692(SB)/4, $0xfffffffe
DATA kconst<>+696(SB)/4, $0xfffffffe
DATA kconst<>+700(SB)/4, $0xfffffffe
DATA kconst<>+704(SB)/4, $0x00000002
DATA kconst<>+708(SB)/4, $0x00000002
DATA kconst<>+712(SB)/4, $0x00000002
DATA kconst<>+716(SB)/4, $0x00000002
DATA kconst<>+720(SB)/4, $0x00000002
DATA kconst<>+724(SB)/4, $0x00000002
DATA kconst<>+728(SB)/4, $0x00000002
DATA kconst<>+732(SB)/4, $0x00000002
DATA kconst<>+736(SB)/4, $0x00000004
DATA kconst<>+740(SB)/4, $0x00000004
DATA kconst<>+744(SB)/4, $0x00000004
DATA kconst<>+748(SB)/4, $0x00000004
DATA kconst<>+752(SB)/4, $0x00000004
DATA kconst<>+756(SB)/4, $0x00000004
DATA kconst<>+760(SB)/4, $0x00000004
DATA kconst<>+764(SB)/4, $0x00000004
DATA kconst<>+768(SB)/4, $0xbf490000
DATA kconst<>+772(SB)/4, $0xbf490000
DATA kconst<>+776(SB)/4, $0xbf490000
DATA kconst<>+780(SB)/4, $0xbf490000
DATA kconst<>+784(SB)/4, $0xbf490000
DATA kconst<>+788(SB)/4, $0xbf490000
DATA kconst<>+792(SB)/4, $0xbf490000
DATA kconst<>+796(SB)/4, $0xbf490000
DATA kconst<>+800(SB)/4, $0xb97da000
DATA kconst<>+804(SB)/4, $0xb97da000
DATA kconst<>+808(SB)/4, $0xb97da000
DATA kconst<>+812(SB)/4, $0xb97da000
DATA kconst<>+816(SB)/4, $0xb97da000
DATA kconst<>+820(SB)/4, $0xb97da000
DATA kconst<>+824(SB)/4, $0xb97da000
DATA kconst<>+828(SB)/4, $0xb97da000
DATA kconst<>+832(SB)/4, $0xb3222169
DATA kconst<>+836(SB)/4, $0xb3222169
DATA kconst<>+840(SB)/4, $0xb3222169
DATA kconst<>+844(SB)/4, $0xb3222169
DATA kconst<>+848(SB)/4, $0xb3222169
DATA kconst<>+852(SB)/4, $0xb3222169
DATA kconst<>+856(SB)/4, $0xb3222169
DATA kconst<>+860(SB)/4, $0xb3222169
DATA kconst<>+864(SB)/4, $0x37ccf5ce
DATA kconst<>+868(SB)/4, $0x37ccf5ce
DATA kconst<>+872(SB)/4, $0x37ccf5ce
DATA kconst<>+876(SB)/4, $0x37ccf5ce
DATA kconst<>+880(SB)/4, $0x37ccf5ce
DATA kconst<>+884(SB)/4, $0x37ccf5ce
DATA kconst<>+888(SB)/4, $0x37ccf5ce
DATA kconst<>+892(SB)/4, $0x37ccf5ce
DATA kconst<>+896(SB)/4, $0xbab6061a
DATA kconst<>+900(SB)/4, $0xbab6061a
DATA kconst<>+904(SB)/4, $0xbab6061a
DATA kconst<>+908(SB)/4, $0xbab6061a
DATA kconst<>+912(SB)/4, $0xbab6061a
DATA kconst<>+916(SB)/4, $0xbab6061a
DATA kconst<>+920(SB)/4, $0xbab6061a
DATA kconst<>+924(SB)/4, $0xbab6061a
DATA kconst<>+928(SB)/4, $0x3d2aaaa5
DATA kconst<>+932(SB)/4, $0x3d2aaaa5
DATA kconst<>+936(SB)/4, $0x3d2aaaa5
DATA kconst<>+940(SB)/4, $0x3d2aaaa5
DATA kconst<>+944(SB)/4, $0x3d2aaaa5
DATA kconst<>+948(SB)/4, $0x3d2aaaa5
DATA kconst<>+952(SB)/4, $0x3d2aaaa5
DATA kconst<>+956(SB)/4, $0x3d2aaaa5
DATA kconst<>+960(SB)/4, $0xb94ca1f9
DATA kconst<>+964(SB)/4, $0xb94ca1f9
DATA kconst<>+968(SB)/4, $0xb94ca1f9
DATA kconst<>+972(SB)/4, $0xb94ca1f9
DATA kconst<>+976(SB)/4, $0xb94ca1f9
DATA kconst<>+980(SB)/4, $0xb94ca1f9
DATA kconst<>+984(SB)/4, $0xb94ca1f9
DATA kconst<>+988(SB)/4, $0xb94ca1f9
DATA kconst<>+992(SB)/4, $0x3c08839e
DATA kconst<>+996(SB)/4, $0x3c08839e
DATA kconst<>+1000(SB)/4, $0x3c08839e
DATA kconst<>+1004(SB)/4, $0x3c08839e
DATA kconst<>+1008(SB)/4, $0x3c08839e
DATA kconst<>+1012(SB)/4, $0x3c08839e
DATA kconst<>+1016(SB)/4, $0x3c08839e
DATA kconst<>+1020(SB)/4, $0x3c08839e
DATA kconst<>+1024(SB)/4, $0xbe2aaaa3
DATA kconst<>+1028(SB)/4, $0xbe2aaaa3
DATA kconst<>+1032(SB)/4, $0xbe2aaaa3
DATA kconst<>+1036(SB)/4, $0xbe2aaaa3
DATA kconst<>+1040(SB)/4, $0xbe2aaaa3
DATA kconst<>+1044(SB)/4, $0xbe2aaaa3
DATA kconst<>+1048(SB)/4, $0xbe2aaaa3
DATA kconst<>+1052(SB)/4, $0xbe2aaaa3
GLOBL kconst<>(SB), RODATA|NOPTR, $1056

// func boxMuller16AVX2(d *float32, nblocks int)
TEXT ·boxMuller16AVX2(SB), NOSPLIT, $0-16
	MOVQ d+0(FP), DI
	MOVQ nblocks+8(FP), CX
	TESTQ CX, CX
	JLE done

loop:
	// ---- log(u1), u1 = 1 - d[0:8] ----
	VMOVUPS K_ONE, Y0
	VSUBPS (DI), Y0, Y0            // u1 = 1 - d
	VMAXPS K_MINNORM, Y0, Y0       // cut off denormals
	VPSRLD $23, Y0, Y1             // exponent bits
	VANDPS K_INVMANT, Y0, Y0
	VORPS K_HALF, Y0, Y0           // mantissa m in [0.5, 1)
	VPSUBD K_X7F, Y1, Y1
	VCVTDQ2PS Y1, Y1               // e
	VADDPS K_ONE, Y1, Y1           // e + 1
	VCMPPS $1, K_SQRTHF, Y0, Y2    // mask = m < sqrt(1/2)
	VANDPS Y0, Y2, Y3              // tmp = m & mask
	VSUBPS K_ONE, Y0, Y0           // m - 1
	VANDPS K_ONE, Y2, Y4
	VSUBPS Y4, Y1, Y1              // e -= 1 & mask
	VADDPS Y3, Y0, Y0              // z = (m - 1) + tmp
	VMULPS Y0, Y0, Y4              // z2
	VMOVUPS K_P0, Y5
	VFMADD213PS K_P1, Y0, Y5       // y = y*z + p
	VFMADD213PS K_P2, Y0, Y5
	VFMADD213PS K_P3, Y0, Y5
	VFMADD213PS K_P4, Y0, Y5
	VFMADD213PS K_P5, Y0, Y5
	VFMADD213PS K_P6, Y0, Y5
	VFMADD213PS K_P7, Y0, Y5
	VFMADD213PS K_P8, Y0, Y5
	VMULPS Y0, Y5, Y5              // y * z
	VMULPS K_Q1, Y1, Y6            // e * q1
	VFMADD213PS Y6, Y4, Y5         // y = y*z2 + e*q1
	VMULPS K_HALF, Y4, Y7
	VSUBPS Y7, Y5, Y5              // y - z2*0.5
	VADDPS Y5, Y0, Y0              // z + y
	VFMADD231PS K_Q2, Y1, Y0       // log = e*q2 + (z + y)
	VMULPS K_MINUS2, Y0, Y0
	VSQRTPS Y0, Y0                 // radius

	// ---- sincos(theta), theta = 2pi * d[8:16] (>= 0) ----
	VMOVUPS 32(DI), Y1
	VMULPS K_TWOPI, Y1, Y1         // x = theta
	VMULPS K_FOPI, Y1, Y2
	VCVTTPS2DQ Y2, Y3              // j = trunc(x * 4/pi)
	VPADDD K_I1, Y3, Y3
	VPAND K_INV1, Y3, Y3           // j = (j + 1) & ~1
	VCVTDQ2PS Y3, Y2               // y = float(j)
	VPAND K_I4, Y3, Y4
	VPSLLD $29, Y4, Y4             // sin sign flip: (j & 4) << 29
	VPAND K_I2, Y3, Y5
	VPXOR Y8, Y8, Y8
	VPCMPEQD Y8, Y5, Y5            // poly mask: (j & 2) == 0
	VPSUBD K_I2, Y3, Y3
	VPANDN K_I4, Y3, Y3            // ~(j - 2) & 4
	VPSLLD $29, Y3, Y3             // cos sign flip
	VFMADD231PS K_DP1, Y2, Y1      // r = y*dp1 + x
	VFMADD231PS K_DP2, Y2, Y1
	VFMADD231PS K_DP3, Y2, Y1
	VMULPS Y1, Y1, Y6              // z = r*r
	VMOVUPS K_C0, Y7               // cosine polynomial
	VFMADD213PS K_C1, Y6, Y7
	VFMADD213PS K_C2, Y6, Y7
	VMULPS Y6, Y7, Y7
	VMULPS K_HALF, Y6, Y8
	VFMSUB213PS Y8, Y6, Y7         // c*z - z*0.5
	VADDPS K_ONE, Y7, Y7
	VMOVUPS K_S0, Y9               // sine polynomial
	VFMADD213PS K_S1, Y6, Y9
	VFMADD213PS K_S2, Y6, Y9
	VMULPS Y6, Y9, Y9
	VFMADD213PS Y1, Y1, Y9         // s*r + r
	VBLENDVPS Y5, Y9, Y7, Y10      // sin = poly ? s : c
	VBLENDVPS Y5, Y7, Y9, Y11      // cos = poly ? c : s
	VXORPS Y4, Y10, Y10
	VXORPS Y3, Y11, Y11

	VMULPS Y11, Y0, Y12            // radius * cos
	VMULPS Y10, Y0, Y13            // radius * sin
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, 32(DI)

	ADDQ $64, DI
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET
