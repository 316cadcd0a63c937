//go:build amd64 && !purego

#include "textflag.h"

// Philox4x32-10 words and the A1111 float64 Box-Muller step of the CUDA
// model, 8 (Philox) and 4 (float64) lanes at a time. Every operation mirrors
// philox4x32, log64 and sin64 in Go: TestLogSin64KernelMatchesGo compares
// the float64 log and sin bit for bit, TestPhiloxKernelMatchesGo the final
// float32 values.

#define P_TWO31 philoxconst<>+0(SB)
#define P_C philoxconst<>+32(SB)
#define P_CH philoxconst<>+64(SB)
#define P_C2 philoxconst<>+96(SB)
#define P_C2H philoxconst<>+128(SB)
#define P_MAGIC philoxconst<>+160(SB)
#define P_MAGICBIAS philoxconst<>+192(SB)
#define P_MANT philoxconst<>+224(SB)
#define P_ONEBITS philoxconst<>+256(SB)
#define P_SQRT2 philoxconst<>+288(SB)
#define P_HALF philoxconst<>+320(SB)
#define P_ONE philoxconst<>+352(SB)
#define P_TWO philoxconst<>+384(SB)
#define P_LG1 philoxconst<>+416(SB)
#define P_LG2 philoxconst<>+448(SB)
#define P_LG3 philoxconst<>+480(SB)
#define P_LG4 philoxconst<>+512(SB)
#define P_LG5 philoxconst<>+544(SB)
#define P_LG6 philoxconst<>+576(SB)
#define P_LG7 philoxconst<>+608(SB)
#define P_LN2HI philoxconst<>+640(SB)
#define P_LN2LO philoxconst<>+672(SB)
#define P_FOPI philoxconst<>+704(SB)
#define P_PI4A philoxconst<>+736(SB)
#define P_PI4B philoxconst<>+768(SB)
#define P_PI4C philoxconst<>+800(SB)
#define P_SIN0 philoxconst<>+832(SB)
#define P_SIN1 philoxconst<>+864(SB)
#define P_SIN2 philoxconst<>+896(SB)
#define P_SIN3 philoxconst<>+928(SB)
#define P_SIN4 philoxconst<>+960(SB)
#define P_SIN5 philoxconst<>+992(SB)
#define P_COS0 philoxconst<>+1024(SB)
#define P_COS1 philoxconst<>+1056(SB)
#define P_COS2 philoxconst<>+1088(SB)
#define P_COS3 philoxconst<>+1120(SB)
#define P_COS4 philoxconst<>+1152(SB)
#define P_COS5 philoxconst<>+1184(SB)
#define P_MHALF philoxconst<>+1216(SB)
#define P_SIGNBIT philoxconst<>+1248(SB)
#define P_MINUS2 philoxconst<>+1280(SB)
#define P_MULA philoxconst<>+1312(SB)
#define P_MULB philoxconst<>+1344(SB)
#define P_BUMPA philoxconst<>+1376(SB)
#define P_BUMPB philoxconst<>+1408(SB)
#define P_LANES philoxconst<>+1440(SB)
#define P_EIGHT philoxconst<>+1472(SB)
#define P_FLIP philoxconst<>+1504(SB)
#define P_ONE32 philoxconst<>+1536(SB)
#define P_INV1 philoxconst<>+1568(SB)

DATA philoxconst<>+0(SB)/8, $0x41e0000000000000
DATA philoxconst<>+8(SB)/8, $0x41e0000000000000
DATA philoxconst<>+16(SB)/8, $0x41e0000000000000
DATA philoxconst<>+24(SB)/8, $0x41e0000000000000
DATA philoxconst<>+32(SB)/8, $0x3df0000000000000
DATA philoxconst<>+40(SB)/8, $0x3df0000000000000
DATA philoxconst<>+48(SB)/8, $0x3df0000000000000
DATA philoxconst<>+56(SB)/8, $0x3df0000000000000
DATA philoxconst<>+64(SB)/8, $0x3de0000000000000
DATA philoxconst<>+72(SB)/8, $0x3de0000000000000
DATA philoxconst<>+80(SB)/8, $0x3de0000000000000
DATA philoxconst<>+88(SB)/8, $0x3de0000000000000
DATA philoxconst<>+96(SB)/8, $0x3e1921fb60000000
DATA philoxconst<>+104(SB)/8, $0x3e1921fb60000000
DATA philoxconst<>+112(SB)/8, $0x3e1921fb60000000
DATA philoxconst<>+120(SB)/8, $0x3e1921fb60000000
DATA philoxconst<>+128(SB)/8, $0x3e0921fb60000000
DATA philoxconst<>+136(SB)/8, $0x3e0921fb60000000
DATA philoxconst<>+144(SB)/8, $0x3e0921fb60000000
DATA philoxconst<>+152(SB)/8, $0x3e0921fb60000000
DATA philoxconst<>+160(SB)/8, $0x4330000000000000
DATA philoxconst<>+168(SB)/8, $0x4330000000000000
DATA philoxconst<>+176(SB)/8, $0x4330000000000000
DATA philoxconst<>+184(SB)/8, $0x4330000000000000
DATA philoxconst<>+192(SB)/8, $0x43300000000003ff
DATA philoxconst<>+200(SB)/8, $0x43300000000003ff
DATA philoxconst<>+208(SB)/8, $0x43300000000003ff
DATA philoxconst<>+216(SB)/8, $0x43300000000003ff
DATA philoxconst<>+224(SB)/8, $0x000fffffffffffff
DATA philoxconst<>+232(SB)/8, $0x000fffffffffffff
DATA philoxconst<>+240(SB)/8, $0x000fffffffffffff
DATA philoxconst<>+248(SB)/8, $0x000fffffffffffff
DATA philoxconst<>+256(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+264(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+272(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+280(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+288(SB)/8, $0x3ff6a09e667f3bcd
DATA philoxconst<>+296(SB)/8, $0x3ff6a09e667f3bcd
DATA philoxconst<>+304(SB)/8, $0x3ff6a09e667f3bcd
DATA philoxconst<>+312(SB)/8, $0x3ff6a09e667f3bcd
DATA philoxconst<>+320(SB)/8, $0x3fe0000000000000
DATA philoxconst<>+328(SB)/8, $0x3fe0000000000000
DATA philoxconst<>+336(SB)/8, $0x3fe0000000000000
DATA philoxconst<>+344(SB)/8, $0x3fe0000000000000
DATA philoxconst<>+352(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+360(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+368(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+376(SB)/8, $0x3ff0000000000000
DATA philoxconst<>+384(SB)/8, $0x4000000000000000
DATA philoxconst<>+392(SB)/8, $0x4000000000000000
DATA philoxconst<>+400(SB)/8, $0x4000000000000000
DATA philoxconst<>+408(SB)/8, $0x4000000000000000
DATA philoxconst<>+416(SB)/8, $0x3fe5555555555593
DATA philoxconst<>+424(SB)/8, $0x3fe5555555555593
DATA philoxconst<>+432(SB)/8, $0x3fe5555555555593
DATA philoxconst<>+440(SB)/8, $0x3fe5555555555593
DATA philoxconst<>+448(SB)/8, $0x3fd999999997fa04
DATA philoxconst<>+456(SB)/8, $0x3fd999999997fa04
DATA philoxconst<>+464(SB)/8, $0x3fd999999997fa04
DATA philoxconst<>+472(SB)/8, $0x3fd999999997fa04
DATA philoxconst<>+480(SB)/8, $0x3fd2492494229359
DATA philoxconst<>+488(SB)/8, $0x3fd2492494229359
DATA philoxconst<>+496(SB)/8, $0x3fd2492494229359
DATA philoxconst<>+504(SB)/8, $0x3fd2492494229359
DATA philoxconst<>+512(SB)/8, $0x3fcc71c51d8e78af
DATA philoxconst<>+520(SB)/8, $0x3fcc71c51d8e78af
DATA philoxconst<>+528(SB)/8, $0x3fcc71c51d8e78af
DATA philoxconst<>+536(SB)/8, $0x3fcc71c51d8e78af
DATA philoxconst<>+544(SB)/8, $0x3fc7466496cb03de
DATA philoxconst<>+552(SB)/8, $0x3fc7466496cb03de
DATA philoxconst<>+560(SB)/8, $0x3fc7466496cb03de
DATA philoxconst<>+568(SB)/8, $0x3fc7466496cb03de
DATA philoxconst<>+576(SB)/8, $0x3fc39a09d078c69f
DATA philoxconst<>+584(SB)/8, $0x3fc39a09d078c69f
DATA philoxconst<>+592(SB)/8, $0x3fc39a09d078c69f
DATA philoxconst<>+600(SB)/8, $0x3fc39a09d078c69f
DATA philoxconst<>+608(SB)/8, $0x3fc2f112df3e5244
DATA philoxconst<>+616(SB)/8, $0x3fc2f112df3e5244
DATA philoxconst<>+624(SB)/8, $0x3fc2f112df3e5244
DATA philoxconst<>+632(SB)/8, $0x3fc2f112df3e5244
DATA philoxconst<>+640(SB)/8, $0x3fe62e42fee00000
DATA philoxconst<>+648(SB)/8, $0x3fe62e42fee00000
DATA philoxconst<>+656(SB)/8, $0x3fe62e42fee00000
DATA philoxconst<>+664(SB)/8, $0x3fe62e42fee00000
DATA philoxconst<>+672(SB)/8, $0x3dea39ef35793c76
DATA philoxconst<>+680(SB)/8, $0x3dea39ef35793c76
DATA philoxconst<>+688(SB)/8, $0x3dea39ef35793c76
DATA philoxconst<>+696(SB)/8, $0x3dea39ef35793c76
DATA philoxconst<>+704(SB)/8, $0x3ff45f306dc9c883
DATA philoxconst<>+712(SB)/8, $0x3ff45f306dc9c883
DATA philoxconst<>+720(SB)/8, $0x3ff45f306dc9c883
DATA philoxconst<>+728(SB)/8, $0x3ff45f306dc9c883
DATA philoxconst<>+736(SB)/8, $0x3fe921fb40000000
DATA philoxconst<>+744(SB)/8, $0x3fe921fb40000000
DATA philoxconst<>+752(SB)/8, $0x3fe921fb40000000
DATA philoxconst<>+760(SB)/8, $0x3fe921fb40000000
DATA philoxconst<>+768(SB)/8, $0x3e64442d00000000
DATA philoxconst<>+776(SB)/8, $0x3e64442d00000000
DATA philoxconst<>+784(SB)/8, $0x3e64442d00000000
DATA philoxconst<>+792(SB)/8, $0x3e64442d00000000
DATA philoxconst<>+800(SB)/8, $0x3ce8469898cc5170
DATA philoxconst<>+808(SB)/8, $0x3ce8469898cc5170
DATA philoxconst<>+816(SB)/8, $0x3ce8469898cc5170
DATA philoxconst<>+824(SB)/8, $0x3ce8469898cc5170
DATA philoxconst<>+832(SB)/8, $0x3de5d8fd1fd19ccd
DATA philoxconst<>+840(SB)/8, $0x3de5d8fd1fd19ccd
DATA philoxconst<>+848(SB)/8, $0x3de5d8fd1fd19ccd
DATA philoxconst<>+856(SB)/8, $0x3de5d8fd1fd19ccd
DATA philoxconst<>+864(SB)/8, $0xbe5ae5e5a9291f5d
DATA philoxconst<>+872(SB)/8, $0xbe5ae5e5a9291f5d
DATA philoxconst<>+880(SB)/8, $0xbe5ae5e5a9291f5d
DATA philoxconst<>+888(SB)/8, $0xbe5ae5e5a9291f5d
DATA philoxconst<>+896(SB)/8, $0x3ec71de3567d48a1
DATA philoxconst<>+904(SB)/8, $0x3ec71de3567d48a1
DATA philoxconst<>+912(SB)/8, $0x3ec71de3567d48a1
DATA philoxconst<>+920(SB)/8, $0x3ec71de3567d48a1
DATA philoxconst<>+928(SB)/8, $0xbf2a01a019bfdf03
DATA philoxconst<>+936(SB)/8, $0xbf2a01a019bfdf03
DATA philoxconst<>+944(SB)/8, $0xbf2a01a019bfdf03
DATA philoxconst<>+952(SB)/8, $0xbf2a01a019bfdf03
DATA philoxconst<>+960(SB)/8, $0x3f8111111110f7d0
DATA philoxconst<>+968(SB)/8, $0x3f8111111110f7d0
DATA philoxconst<>+976(SB)/8, $0x3f8111111110f7d0
DATA philoxconst<>+984(SB)/8, $0x3f8111111110f7d0
DATA philoxconst<>+992(SB)/8, $0xbfc5555555555548
DATA philoxconst<>+1000(SB)/8, $0xbfc5555555555548
DATA philoxconst<>+1008(SB)/8, $0xbfc5555555555548
DATA philoxconst<>+1016(SB)/8, $0xbfc5555555555548
DATA philoxconst<>+1024(SB)/8, $0xbda8fa49a0861a9b
DATA philoxconst<>+1032(SB)/8, $0xbda8fa49a0861a9b
DATA philoxconst<>+1040(SB)/8, $0xbda8fa49a0861a9b
DATA philoxconst<>+1048(SB)/8, $0xbda8fa49a0861a9b
DATA philoxconst<>+1056(SB)/8, $0x3e21ee9d7b4e3f05
DATA philoxconst<>+1064(SB)/8, $0x3e21ee9d7b4e3f05
DATA philoxconst<>+1072(SB)/8, $0x3e21ee9d7b4e3f05
DATA philoxconst<>+1080(SB)/8, $0x3e21ee9d7b4e3f05
DATA philoxconst<>+1088(SB)/8, $0xbe927e4f7eac4bc6
DATA philoxconst<>+1096(SB)/8, $0xbe927e4f7eac4bc6
DATA philoxconst<>+1104(SB)/8, $0xbe927e4f7eac4bc6
DATA philoxconst<>+1112(SB)/8, $0xbe927e4f7eac4bc6
DATA philoxconst<>+1120(SB)/8, $0x3efa01a019c844f5
DATA philoxconst<>+1128(SB)/8, $0x3efa01a019c844f5
DATA philoxconst<>+1136(SB)/8, $0x3efa01a019c844f5
DATA philoxconst<>+1144(SB)/8, $0x3efa01a019c844f5
DATA philoxconst<>+1152(SB)/8, $0xbf56c16c16c14f91
DATA philoxconst<>+1160(SB)/8, $0xbf56c16c16c14f91
DATA philoxconst<>+1168(SB)/8, $0xbf56c16c16c14f91
DATA philoxconst<>+1176(SB)/8, $0xbf56c16c16c14f91
DATA philoxconst<>+1184(SB)/8, $0x3fa555555555554b
DATA philoxconst<>+1192(SB)/8, $0x3fa555555555554b
DATA philoxconst<>+1200(SB)/8, $0x3fa555555555554b
DATA philoxconst<>+1208(SB)/8, $0x3fa555555555554b
DATA philoxconst<>+1216(SB)/8, $0xbfe0000000000000
DATA philoxconst<>+1224(SB)/8, $0xbfe0000000000000
DATA philoxconst<>+1232(SB)/8, $0xbfe0000000000000
DATA philoxconst<>+1240(SB)/8, $0xbfe0000000000000
DATA philoxconst<>+1248(SB)/8, $0x8000000000000000
DATA philoxconst<>+1256(SB)/8, $0x8000000000000000
DATA philoxconst<>+1264(SB)/8, $0x8000000000000000
DATA philoxconst<>+1272(SB)/8, $0x8000000000000000
DATA philoxconst<>+1280(SB)/8, $0xc000000000000000
DATA philoxconst<>+1288(SB)/8, $0xc000000000000000
DATA philoxconst<>+1296(SB)/8, $0xc000000000000000
DATA philoxconst<>+1304(SB)/8, $0xc000000000000000
DATA philoxconst<>+1312(SB)/4, $0xd2511f53
DATA philoxconst<>+1316(SB)/4, $0xd2511f53
DATA philoxconst<>+1320(SB)/4, $0xd2511f53
DATA philoxconst<>+1324(SB)/4, $0xd2511f53
DATA philoxconst<>+1328(SB)/4, $0xd2511f53
DATA philoxconst<>+1332(SB)/4, $0xd2511f53
DATA philoxconst<>+1336(SB)/4, $0xd2511f53
DATA philoxconst<>+1340(SB)/4, $0xd2511f53
DATA philoxconst<>+1344(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1348(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1352(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1356(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1360(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1364(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1368(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1372(SB)/4, $0xcd9e8d57
DATA philoxconst<>+1376(SB)/4, $0x9e3779b9
DATA philoxconst<>+1380(SB)/4, $0x9e3779b9
DATA philoxconst<>+1384(SB)/4, $0x9e3779b9
DATA philoxconst<>+1388(SB)/4, $0x9e3779b9
DATA philoxconst<>+1392(SB)/4, $0x9e3779b9
DATA philoxconst<>+1396(SB)/4, $0x9e3779b9
DATA philoxconst<>+1400(SB)/4, $0x9e3779b9
DATA philoxconst<>+1404(SB)/4, $0x9e3779b9
DATA philoxconst<>+1408(SB)/4, $0xbb67ae85
DATA philoxconst<>+1412(SB)/4, $0xbb67ae85
DATA philoxconst<>+1416(SB)/4, $0xbb67ae85
DATA philoxconst<>+1420(SB)/4, $0xbb67ae85
DATA philoxconst<>+1424(SB)/4, $0xbb67ae85
DATA philoxconst<>+1428(SB)/4, $0xbb67ae85
DATA philoxconst<>+1432(SB)/4, $0xbb67ae85
DATA philoxconst<>+1436(SB)/4, $0xbb67ae85
DATA philoxconst<>+1440(SB)/4, $0x00000000
DATA philoxconst<>+1444(SB)/4, $0x00000001
DATA philoxconst<>+1448(SB)/4, $0x00000002
DATA philoxconst<>+1452(SB)/4, $0x00000003
DATA philoxconst<>+1456(SB)/4, $0x00000004
DATA philoxconst<>+1460(SB)/4, $0x00000005
DATA philoxconst<>+1464(SB)/4, $0x00000006
DATA philoxconst<>+1468(SB)/4, $0x00000007
DATA philoxconst<>+1472(SB)/4, $0x00000008
DATA philoxconst<>+1476(SB)/4, $0x00000008
DATA philoxconst<>+1480(SB)/4, $0x00000008
DATA philoxconst<>+1484(SB)/4, $0x00000008
DATA philoxconst<>+1488(SB)/4, $0x00000008
DATA philoxconst<>+1492(SB)/4, $0x00000008
DATA philoxconst<>+1496(SB)/4, $0x00000008
DATA philoxconst<>+1500(SB)/4, $0x00000008
DATA philoxconst<>+1504(SB)/4, $0x80000000
DATA philoxconst<>+1508(SB)/4, $0x80000000
DATA philoxconst<>+1512(SB)/4, $0x80000000
DATA philoxconst<>+1516(SB)/4, $0x80000000
DATA philoxconst<>+1520(SB)/4, $0x80000000
DATA philoxconst<>+1524(SB)/4, $0x80000000
DATA philoxconst<>+1528(SB)/4, $0x80000000
DATA philoxconst<>+1532(SB)/4, $0x80000000
DATA philoxconst<>+1536(SB)/4, $0x00000001
DATA philoxconst<>+1540(SB)/4, $0x00000001
DATA philoxconst<>+1544(SB)/4, $0x00000001
DATA philoxconst<>+1548(SB)/4, $0x00000001
DATA philoxconst<>+1552(SB)/4, $0x00000001
DATA philoxconst<>+1556(SB)/4, $0x00000001
DATA philoxconst<>+1560(SB)/4, $0x00000001
DATA philoxconst<>+1564(SB)/4, $0x00000001
DATA philoxconst<>+1568(SB)/4, $0xfffffffe
DATA philoxconst<>+1572(SB)/4, $0xfffffffe
DATA philoxconst<>+1576(SB)/4, $0xfffffffe
DATA philoxconst<>+1580(SB)/4, $0xfffffffe
DATA philoxconst<>+1584(SB)/4, $0xfffffffe
DATA philoxconst<>+1588(SB)/4, $0xfffffffe
DATA philoxconst<>+1592(SB)/4, $0xfffffffe
DATA philoxconst<>+1596(SB)/4, $0xfffffffe
GLOBL philoxconst<>(SB), RODATA|NOPTR, $1600

// One Philox round on counters C0..C3 (8 lanes) with keys at memory KA, KB:
// p0 = c0*0xD2511F53, p1 = c2*0xCD9E8D57 (64-bit products, even and odd
// lanes separately), then (hi(p1)^c1^k0, lo(p1), hi(p0)^c3^k1, lo(p0)).
// Temporaries Y8..Y13. Two independent streams are interleaved by the
// caller so their multiply latencies overlap.
#define PHILOX_ROUND(C0, C1, C2, C3, KA, KB) \
	VPMULUDQ P_MULA, C0, Y8 \
	VPSRLQ $32, C0, Y9 \
	VPMULUDQ P_MULA, Y9, Y9 \
	VPSLLQ $32, Y9, Y10 \
	VPBLENDD $0xAA, Y10, Y8, Y10 \
	VPSRLQ $32, Y8, Y8 \
	VPBLENDD $0xAA, Y9, Y8, Y8 \
	VPMULUDQ P_MULB, C2, Y11 \
	VPSRLQ $32, C2, Y12 \
	VPMULUDQ P_MULB, Y12, Y12 \
	VPSLLQ $32, Y12, Y13 \
	VPBLENDD $0xAA, Y13, Y11, Y13 \
	VPSRLQ $32, Y11, Y11 \
	VPBLENDD $0xAA, Y12, Y11, Y11 \
	VPXOR C1, Y11, C0 \
	VPXOR KA, C0, C0 \
	VMOVDQU Y13, C1 \
	VPXOR C3, Y8, C2 \
	VPXOR KB, C2, C2 \
	VMOVDQU Y10, C3

// The last round: only the first two output words are used, which need
// p1 alone.
#define PHILOX_LAST(C0, C1, C2, KA) \
	VPMULUDQ P_MULB, C2, Y11 \
	VPSRLQ $32, C2, Y12 \
	VPMULUDQ P_MULB, Y12, Y12 \
	VPSLLQ $32, Y12, Y13 \
	VPBLENDD $0xAA, Y13, Y11, Y13 \
	VPSRLQ $32, Y11, Y11 \
	VPBLENDD $0xAA, Y12, Y11, Y11 \
	VPXOR C1, Y11, C0 \
	VPXOR KA, C0, C0 \
	VMOVDQU Y13, C1

// Round r of both streams; keys of round r are at r*64(SP) and r*64+32(SP).
#define PHILOX_ROUND2(R) \
	PHILOX_ROUND(Y0, Y1, Y2, Y3, R*64(SP), R*64+32(SP)) \
	PHILOX_ROUND(Y4, Y5, Y6, Y7, R*64(SP), R*64+32(SP))

// Store the broadcast keys of round R from Y8/Y9, then bump them.
#define KEY_SCHEDULE(R) \
	VMOVDQU Y8, R*64(SP) \
	VMOVDQU Y9, R*64+32(SP) \
	VPADDD P_BUMPA, Y8, Y8 \
	VPADDD P_BUMPB, Y9, Y9

// func philoxWordsAVX2(w0, w1 *uint32, n16 int, lo, hi, offset, k0, k1 uint32)
// w0[i], w1[i] = first two Philox words of counter (offset, 0, lo+i, hi),
// key (k0, k1), for i in [0, 16*n16); lo+16*n16 must not wrap.
// Frame: 10 rounds x 2 broadcast keys (640 bytes), then the broadcast hi.
TEXT ·philoxWordsAVX2(SB), NOSPLIT, $672-44
	MOVQ w0+0(FP), DI
	MOVQ w1+8(FP), SI
	MOVQ n16+16(FP), CX
	TESTQ CX, CX
	JLE wordsdone
	MOVL k0+36(FP), AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL k1+40(FP), AX
	VMOVD AX, X9
	VPBROADCASTD X9, Y9
	KEY_SCHEDULE(0)
	KEY_SCHEDULE(1)
	KEY_SCHEDULE(2)
	KEY_SCHEDULE(3)
	KEY_SCHEDULE(4)
	KEY_SCHEDULE(5)
	KEY_SCHEDULE(6)
	KEY_SCHEDULE(7)
	KEY_SCHEDULE(8)
	KEY_SCHEDULE(9)
	MOVL hi+28(FP), AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	VMOVDQU Y8, 640(SP)
	MOVL lo+24(FP), AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	VPADDD P_LANES, Y14, Y14      // lo + lane
	MOVL offset+32(FP), AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15

wordsloop:
	VMOVDQU Y15, Y0
	VPXOR Y1, Y1, Y1
	VMOVDQU Y14, Y2
	VMOVDQU 640(SP), Y3
	VMOVDQU Y15, Y4
	VPXOR Y5, Y5, Y5
	VPADDD P_EIGHT, Y14, Y6
	VMOVDQU Y3, Y7
	PHILOX_ROUND2(0)
	PHILOX_ROUND2(1)
	PHILOX_ROUND2(2)
	PHILOX_ROUND2(3)
	PHILOX_ROUND2(4)
	PHILOX_ROUND2(5)
	PHILOX_ROUND2(6)
	PHILOX_ROUND2(7)
	PHILOX_ROUND2(8)
	PHILOX_LAST(Y0, Y1, Y2, 576(SP))
	PHILOX_LAST(Y4, Y5, Y6, 576(SP))
	VMOVDQU Y0, (DI)
	VMOVDQU Y4, 32(DI)
	VMOVDQU Y1, (SI)
	VMOVDQU Y5, 32(SI)
	VPADDD P_EIGHT, Y14, Y14
	VPADDD P_EIGHT, Y14, Y14
	ADDQ $64, DI
	ADDQ $64, SI
	DECQ CX
	JNZ wordsloop
	VZEROUPPER

wordsdone:
	RET

// LOG64: Y0 = log64(Y0) for 4 positive normal float64 lanes (fdlibm-style:
// exponent k and m in (sqrt2/2, sqrt2], f = m-1, s = f/(2+f), FMA Horner
// polynomials in z = s*s, w = z*z; see log64). Temporaries Y2..Y9.
#define LOG64 \
	VPSRLQ $52, Y0, Y2 \
	VPOR P_MAGIC, Y2, Y2 \
	VSUBPD P_MAGICBIAS, Y2, Y2 \
	VANDPD P_MANT, Y0, Y3 \
	VORPD P_ONEBITS, Y3, Y3 \
	VCMPPD $0x1E, P_SQRT2, Y3, Y4 \
	VMULPD P_HALF, Y3, Y5 \
	VBLENDVPD Y4, Y5, Y3, Y3 \
	VANDPD P_ONE, Y4, Y5 \
	VADDPD Y5, Y2, Y2 \
	VSUBPD P_ONE, Y3, Y3 \
	VADDPD P_TWO, Y3, Y4 \
	VDIVPD Y4, Y3, Y4 \
	VMULPD Y4, Y4, Y5 \
	VMULPD Y5, Y5, Y6 \
	VMOVUPD P_LG6, Y7 \
	VFMADD213PD P_LG4, Y6, Y7 \
	VFMADD213PD P_LG2, Y6, Y7 \
	VMULPD Y6, Y7, Y7 \
	VMOVUPD P_LG7, Y8 \
	VFMADD213PD P_LG5, Y6, Y8 \
	VFMADD213PD P_LG3, Y6, Y8 \
	VFMADD213PD P_LG1, Y6, Y8 \
	VMULPD Y5, Y8, Y8 \
	VADDPD Y7, Y8, Y8 \
	VMULPD P_HALF, Y3, Y9 \
	VMULPD Y3, Y9, Y9 \
	VADDPD Y8, Y9, Y8 \
	VMULPD Y8, Y4, Y8 \
	VMULPD P_LN2LO, Y2, Y7 \
	VADDPD Y7, Y8, Y8 \
	VSUBPD Y8, Y9, Y9 \
	VSUBPD Y3, Y9, Y9 \
	VMULPD P_LN2HI, Y2, Y0 \
	VSUBPD Y9, Y0, Y0

// SIN64: Y1 = sin64(Y1) for 4 lanes in [0, 2^29) (j = trunc(x*4/pi) rounded
// up to even, three-part pi/4 reduction with FMAs, both polynomials, select
// by j&2, negate by j&4; see sin64). Temporaries Y10..Y15.
#define SIN64 \
	VMULPD P_FOPI, Y1, Y10 \
	VCVTTPD2DQY Y10, X10 \
	VPADDD P_ONE32, X10, X10 \
	VPAND P_INV1, X10, X10 \
	VCVTDQ2PD X10, Y11 \
	VPMOVSXDQ X10, Y12 \
	VFNMADD231PD P_PI4A, Y11, Y1 \
	VFNMADD231PD P_PI4B, Y11, Y1 \
	VFNMADD231PD P_PI4C, Y11, Y1 \
	VMULPD Y1, Y1, Y13 \
	VMOVUPD P_COS0, Y14 \
	VFMADD213PD P_COS1, Y13, Y14 \
	VFMADD213PD P_COS2, Y13, Y14 \
	VFMADD213PD P_COS3, Y13, Y14 \
	VFMADD213PD P_COS4, Y13, Y14 \
	VFMADD213PD P_COS5, Y13, Y14 \
	VMULPD Y13, Y13, Y15 \
	VMOVUPD P_ONE, Y11 \
	VFMADD231PD P_MHALF, Y13, Y11 \
	VFMADD231PD Y14, Y15, Y11 \
	VMOVUPD P_SIN0, Y14 \
	VFMADD213PD P_SIN1, Y13, Y14 \
	VFMADD213PD P_SIN2, Y13, Y14 \
	VFMADD213PD P_SIN3, Y13, Y14 \
	VFMADD213PD P_SIN4, Y13, Y14 \
	VFMADD213PD P_SIN5, Y13, Y14 \
	VMULPD Y13, Y1, Y15 \
	VFMADD213PD Y1, Y14, Y15 \
	VPSLLQ $62, Y12, Y10 \
	VBLENDVPD Y10, Y11, Y15, Y1 \
	VPSLLQ $61, Y12, Y10 \
	VANDPD P_SIGNBIT, Y10, Y10 \
	VXORPD Y10, Y1, Y1

// Unsigned 32-bit words at (R) to float64 in Y: flip the top bit, convert
// as signed, add 2^31 back (all exact); then u = w*c + c/2 (two roundings).
#define WORDS_TO_UNIFORM(R, X, Y, C, CH) \
	VMOVDQU (R), X \
	VPXOR P_FLIP, X, X \
	VCVTDQ2PD X, Y \
	VADDPD P_TWO31, Y, Y \
	VMULPD C, Y, Y \
	VADDPD CH, Y, Y

// func boxMullerPhiloxAVX2(dst *float32, w0, w1 *uint32, n4 int)
// dst[i] = f32(sqrt(-2*log64(u)) * sin64(v)) for the words w0[i], w1[i].
TEXT ·boxMullerPhiloxAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ w0+8(FP), SI
	MOVQ w1+16(FP), DX
	MOVQ n4+24(FP), CX
	TESTQ CX, CX
	JLE bmdone

bmloop:
	WORDS_TO_UNIFORM(SI, X0, Y0, P_C, P_CH)
	WORDS_TO_UNIFORM(DX, X1, Y1, P_C2, P_C2H)

	LOG64
	SIN64

	VMULPD P_MINUS2, Y0, Y0
	VSQRTPD Y0, Y0
	VMULPD Y1, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMOVUPS X0, (DI)

	ADDQ $16, DI
	ADDQ $16, SI
	ADDQ $16, DX
	DECQ CX
	JNZ bmloop
	VZEROUPPER

bmdone:
	RET

// func logSin64AVX2(lg, sn, u, v *float64, n4 int)
// lg[i] = log64(u[i]), sn[i] = sin64(v[i]): the kernels of
// boxMullerPhiloxAVX2 exposed for a float64-level test against the Go twins.
TEXT ·logSin64AVX2(SB), NOSPLIT, $0-40
	MOVQ lg+0(FP), DI
	MOVQ sn+8(FP), R8
	MOVQ u+16(FP), SI
	MOVQ v+24(FP), DX
	MOVQ n4+32(FP), CX
	TESTQ CX, CX
	JLE lsdone

lsloop:
	VMOVUPD (SI), Y0
	VMOVUPD (DX), Y1
	LOG64
	SIN64
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, (R8)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ lsloop
	VZEROUPPER

lsdone:
	RET

// ---- AVX-512 forms: 8 float64 lanes, constants as embedded broadcasts ----

// LOG64_512: Z0 = log64(Z0), as LOG64. Temporaries Z2..Z9, K1.
#define LOG64_512 \
	VPSRLQ $52, Z0, Z2 \
	VPORQ.BCST P_MAGIC, Z2, Z2 \
	VSUBPD.BCST P_MAGICBIAS, Z2, Z2 \
	VPANDQ.BCST P_MANT, Z0, Z3 \
	VPORQ.BCST P_ONEBITS, Z3, Z3 \
	VCMPPD.BCST $0x1E, P_SQRT2, Z3, K1 \
	VMULPD.BCST P_HALF, Z3, K1, Z3 \
	VADDPD.BCST P_ONE, Z2, K1, Z2 \
	VSUBPD.BCST P_ONE, Z3, Z3 \
	VADDPD.BCST P_TWO, Z3, Z4 \
	VDIVPD Z4, Z3, Z4 \
	VMULPD Z4, Z4, Z5 \
	VMULPD Z5, Z5, Z6 \
	VBROADCASTSD P_LG6, Z7 \
	VFMADD213PD.BCST P_LG4, Z6, Z7 \
	VFMADD213PD.BCST P_LG2, Z6, Z7 \
	VMULPD Z6, Z7, Z7 \
	VBROADCASTSD P_LG7, Z8 \
	VFMADD213PD.BCST P_LG5, Z6, Z8 \
	VFMADD213PD.BCST P_LG3, Z6, Z8 \
	VFMADD213PD.BCST P_LG1, Z6, Z8 \
	VMULPD Z5, Z8, Z8 \
	VADDPD Z7, Z8, Z8 \
	VMULPD.BCST P_HALF, Z3, Z9 \
	VMULPD Z3, Z9, Z9 \
	VADDPD Z8, Z9, Z8 \
	VMULPD Z8, Z4, Z8 \
	VMULPD.BCST P_LN2LO, Z2, Z7 \
	VADDPD Z7, Z8, Z8 \
	VSUBPD Z8, Z9, Z9 \
	VSUBPD Z3, Z9, Z9 \
	VMULPD.BCST P_LN2HI, Z2, Z0 \
	VSUBPD Z9, Z0, Z0

// SIN64_512: Z1 = sin64(Z1), as SIN64. Temporaries Z10..Z15, K2.
#define SIN64_512 \
	VMULPD.BCST P_FOPI, Z1, Z10 \
	VCVTTPD2DQ Z10, Y10 \
	VPADDD P_ONE32, Y10, Y10 \
	VPAND P_INV1, Y10, Y10 \
	VCVTDQ2PD Y10, Z11 \
	VPMOVSXDQ Y10, Z12 \
	VFNMADD231PD.BCST P_PI4A, Z11, Z1 \
	VFNMADD231PD.BCST P_PI4B, Z11, Z1 \
	VFNMADD231PD.BCST P_PI4C, Z11, Z1 \
	VMULPD Z1, Z1, Z13 \
	VBROADCASTSD P_COS0, Z14 \
	VFMADD213PD.BCST P_COS1, Z13, Z14 \
	VFMADD213PD.BCST P_COS2, Z13, Z14 \
	VFMADD213PD.BCST P_COS3, Z13, Z14 \
	VFMADD213PD.BCST P_COS4, Z13, Z14 \
	VFMADD213PD.BCST P_COS5, Z13, Z14 \
	VMULPD Z13, Z13, Z15 \
	VBROADCASTSD P_ONE, Z11 \
	VFMADD231PD.BCST P_MHALF, Z13, Z11 \
	VFMADD231PD Z14, Z15, Z11 \
	VBROADCASTSD P_SIN0, Z14 \
	VFMADD213PD.BCST P_SIN1, Z13, Z14 \
	VFMADD213PD.BCST P_SIN2, Z13, Z14 \
	VFMADD213PD.BCST P_SIN3, Z13, Z14 \
	VFMADD213PD.BCST P_SIN4, Z13, Z14 \
	VFMADD213PD.BCST P_SIN5, Z13, Z14 \
	VMULPD Z13, Z1, Z15 \
	VFMADD213PD Z1, Z14, Z15 \
	VPSLLQ $62, Z12, Z10 \
	VPMOVQ2M Z10, K2 \
	VBLENDMPD Z11, Z15, K2, Z1 \
	VPSLLQ $61, Z12, Z10 \
	VPANDQ.BCST P_SIGNBIT, Z10, Z10 \
	VPXORQ Z10, Z1, Z1

// func boxMullerPhiloxAVX512(dst *float32, w0, w1 *uint32, n8 int)
// boxMullerPhiloxAVX2 with 8 lanes.
TEXT ·boxMullerPhiloxAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ w0+8(FP), SI
	MOVQ w1+16(FP), DX
	MOVQ n8+24(FP), CX
	TESTQ CX, CX
	JLE bm512done

bm512loop:
	VCVTUDQ2PD (SI), Z0
	VMULPD.BCST P_C, Z0, Z0
	VADDPD.BCST P_CH, Z0, Z0
	VCVTUDQ2PD (DX), Z1
	VMULPD.BCST P_C2, Z1, Z1
	VADDPD.BCST P_C2H, Z1, Z1
	LOG64_512
	SIN64_512
	VMULPD.BCST P_MINUS2, Z0, Z0
	VSQRTPD Z0, Z0
	VMULPD Z1, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	DECQ CX
	JNZ bm512loop
	VZEROUPPER

bm512done:
	RET

// func logSin64AVX512(lg, sn, u, v *float64, n8 int)
// The float64 kernels of boxMullerPhiloxAVX512, for the test.
TEXT ·logSin64AVX512(SB), NOSPLIT, $0-40
	MOVQ lg+0(FP), DI
	MOVQ sn+8(FP), R8
	MOVQ u+16(FP), SI
	MOVQ v+24(FP), DX
	MOVQ n8+32(FP), CX
	TESTQ CX, CX
	JLE ls512done

ls512loop:
	VMOVUPD (SI), Z0
	VMOVUPD (DX), Z1
	LOG64_512
	SIN64_512
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, (R8)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	ADDQ $64, R8
	DECQ CX
	JNZ ls512loop
	VZEROUPPER

ls512done:
	RET
