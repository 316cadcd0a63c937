package noise

import "math"

// Float64 log and sin for the CUDA model's Box-Muller step. A1111 evaluates
// it with numpy's float64 log/sin; any float64 implementation within about
// one ulp gives the same float32 result except with probability ~2^-28 per
// value, and these two are checked bit for bit against the golden files.
// They are written so that the 4-lane assembly in philox_amd64.s performs the
// identical operations (math.FMA where the assembly uses a fused
// multiply-add; explicit conversions stop the compiler from fusing others),
// which TestLogSin64KernelMatchesGo checks.

const (
	// fdlibm's e_log.c: log(1+f) = f - f*f/2 + s*(f*f/2 + R(s^2)), s = f/(2+f).
	lg1     = 6.666666666666735130e-01
	lg2     = 3.999999999940941908e-01
	lg3     = 2.857142874366239149e-01
	lg4     = 2.222219843214978396e-01
	lg5     = 1.818357216161805012e-01
	lg6     = 1.531383769920937332e-01
	lg7     = 1.479819860511658591e-01
	ln2Hi   = 6.93147180369123816490e-01
	ln2Lo   = 1.90821492927058770002e-10
	expBias = 1023

	// Cephes sin.c: Cody-Waite split of pi/4 and the minimax polynomials.
	pi4A = 7.85398125648498535156e-1
	pi4B = 3.77489470793079817668e-8
	pi4C = 2.69515142907905952645e-15
	sin0 = 1.58962301576546568060e-10
	sin1 = -2.50507477628578072866e-8
	sin2 = 2.75573136213857245213e-6
	sin3 = -1.98412698295895385996e-4
	sin4 = 8.33333333332211858878e-3
	sin5 = -1.66666666666666307295e-1
	cos0 = -1.13585365213876817300e-11
	cos1 = 2.08757008419747316778e-9
	cos2 = -2.75573141792967388112e-7
	cos3 = 2.48015872888517045348e-5
	cos4 = -1.38888888888730564116e-3
	cos5 = 4.16666666666665929218e-2
)

// log64 is the natural logarithm for positive normal x.
func log64(x float64) float64 {
	bits := math.Float64bits(x)
	k := float64(int64(bits>>52) - expBias)
	m := math.Float64frombits(bits&(1<<52-1) | expBias<<52) // [1, 2)
	if m > math.Sqrt2 {
		m = m * 0.5
		k = k + 1
	}
	f := m - 1
	s := f / float64(2+f)
	z := float64(s * s)
	w := float64(z * z)
	t1 := float64(w * math.FMA(w, math.FMA(w, lg6, lg4), lg2))
	t2 := float64(z * math.FMA(w, math.FMA(w, math.FMA(w, lg7, lg5), lg3), lg1))
	r := t2 + t1
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*float64(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// sin64 is the sine for 0 <= x < 2^29 (here x < 2*pi + 1e-6).
func sin64(x float64) float64 {
	j := int32(float64(x * (4 / math.Pi)))
	j = (j + 1) &^ 1
	y := float64(j)
	z := math.FMA(-y, pi4A, x)
	z = math.FMA(-y, pi4B, z)
	z = math.FMA(-y, pi4C, z)
	zz := float64(z * z)
	var r float64
	if j&2 != 0 {
		p := math.FMA(math.FMA(math.FMA(math.FMA(math.FMA(cos0, zz, cos1), zz, cos2), zz, cos3), zz, cos4), zz, cos5)
		r = math.FMA(float64(zz*zz), p, math.FMA(-0.5, zz, 1))
	} else {
		p := math.FMA(math.FMA(math.FMA(math.FMA(math.FMA(sin0, zz, sin1), zz, sin2), zz, sin3), zz, sin4), zz, sin5)
		r = math.FMA(float64(z*zz), p, z)
	}
	if j&4 != 0 {
		r = -r
	}
	return r
}
