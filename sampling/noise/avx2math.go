package noise

import "math"

// This file evaluates log and sincos exactly like the float32 Cephes-style
// polynomials of avx_mathfun.h as compiled into torch 1.13's AVX2 randn
// kernel (with FMA contraction), spec 2.1. Every operation is a float32
// operation; explicit float32 conversions keep the Go compiler from fusing
// anything that torch did not fuse.

// fma32 returns a*b+c rounded once to float32. The product of two float32
// values is exact in float64, so the only risk is double rounding of the
// float64 sum: that can happen only when the float64 result lies exactly
// half way between two float32 values, and then the exact residual decides
// the direction (round to odd, then to nearest).
func fma32(a, b, c float32) float32 {
	s := math.FMA(float64(a), float64(b), float64(c))
	bits := math.Float64bits(s)
	// A float64 with 29 low mantissa bits equal to 1<<28 is a float32
	// rounding midpoint (for float32-normal magnitudes). Float32-subnormal
	// results have their midpoint elsewhere: treat them on the slow path too.
	if bits&(1<<29-1) != 1<<28 && math.Abs(s) >= 0x1p-126 {
		return float32(s)
	}
	return fma32Exact(a, b, c)
}

// fma32Exact computes the float64 sum with its exact error, makes the sum
// "odd" when inexact, then rounds to float32: round-to-odd at 53 bits followed
// by rounding to 24 bits is a correct single rounding.
func fma32Exact(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	cc := float64(c)
	s := p + cc
	bb := s - p
	err := (p - (s - bb)) + (cc - bb) // TwoSum: s + err == p + c exactly
	if err != 0 {
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			if (err > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}

const (
	logP0  float32 = 7.0376836292e-2
	logP1  float32 = -1.1514610310e-1
	logP2  float32 = 1.1676998740e-1
	logP3  float32 = -1.2420140846e-1
	logP4  float32 = 1.4249322787e-1
	logP5  float32 = -1.6668057665e-1
	logP6  float32 = 2.0000714765e-1
	logP7  float32 = -2.4999993993e-1
	logP8  float32 = 3.3333331174e-1
	logQ1  float32 = -2.12194440e-4
	logQ2  float32 = 0.693359375
	sqrtHF float32 = 0.707106781186547524

	fourOverPi float32 = 1.27323954473516
	dp1        float32 = -0.78515625
	dp2        float32 = -2.4187564849853515625e-4
	dp3        float32 = -3.77489497744594108e-8
	cosC0      float32 = 2.443315711809948e-005
	cosC1      float32 = -1.388731625493765e-003
	cosC2      float32 = 4.166664568298827e-002
	sinC0      float32 = -1.9515295891e-4
	sinC1      float32 = 8.3321608736e-3
	sinC2      float32 = -1.6666654611e-1

	twoPi32 float32 = 6.2831855 // f32(2*pi)
)

// logAVX2 is log256_ps for x in (0, 1].
func logAVX2(x float32) float32 {
	x = max(x, 0x1p-126)
	bits := math.Float32bits(x)
	e := float32(int32(bits>>23) - 127)
	m := math.Float32frombits(bits&^0x7f800000 | 0x3f000000) // mantissa in [0.5, 1)
	e = e + 1
	var z float32
	if m < sqrtHF {
		e = e - 1
		z = float32(m-1) + m
	} else {
		z = m - 1
	}
	z2 := float32(z * z)
	y := logP0
	y = fma32(y, z, logP1)
	y = fma32(y, z, logP2)
	y = fma32(y, z, logP3)
	y = fma32(y, z, logP4)
	y = fma32(y, z, logP5)
	y = fma32(y, z, logP6)
	y = fma32(y, z, logP7)
	y = fma32(y, z, logP8)
	y = float32(y * z)
	y = fma32(y, z2, float32(e*logQ1))
	y = y - float32(z2*0.5)
	return fma32(e, logQ2, float32(z+y))
}

// sincosAVX2 is sincos256_ps for x >= 0.
func sincosAVX2(x float32) (sin, cos float32) {
	j := int32(float32(x * fourOverPi)) // truncation, like cvttps
	j = (j + 1) &^ 1
	y := float32(j)
	swap := j&4 != 0
	poly := j&2 == 0
	r := fma32(y, dp1, x)
	r = fma32(y, dp2, r)
	r = fma32(y, dp3, r)
	z := float32(r * r)

	c := cosC0
	c = fma32(c, z, cosC1)
	c = fma32(c, z, cosC2)
	c = float32(c * z)
	c = fma32(c, z, -float32(z*0.5))
	c = c + 1

	s := sinC0
	s = fma32(s, z, sinC1)
	s = fma32(s, z, sinC2)
	s = float32(s * z)
	s = fma32(s, r, r)

	if poly {
		sin, cos = s, c
	} else {
		sin, cos = c, s
	}
	if swap {
		sin = -sin
	}
	if (^(j - 2))&4 != 0 {
		cos = -cos
	}
	return sin, cos
}

// boxMuller16 is torch's normal_fill_16_AVX2 with mean 0 and std 1: element
// j pairs with element j+8 of the block; cosine to the first half.
func boxMuller16(d *[16]float32) {
	for j := 0; j < 8; j++ {
		u1 := 1 - d[j]
		u2 := d[j+8]
		radius := float32(math.Sqrt(float64(-2 * logAVX2(u1))))
		theta := float32(twoPi32 * u2)
		sin, cos := sincosAVX2(theta)
		d[j] = float32(radius * cos)
		d[j+8] = float32(radius * sin)
	}
}
