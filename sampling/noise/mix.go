package noise

import "math"

// mixLinear is Inspire's linear variation for every row of x (rows of
// len(v)): (f32(1-s)*x + f32(s)*v) / f32(sqrt((1-s)^2 + s^2)), float32 ops.
func mixLinear(x, v []float32, s float64) {
	a := float32(1 - s)
	b := float32(s)
	den := float32(math.Sqrt((1-s)*(1-s) + s*s))
	for off := 0; off < len(x); off += len(v) {
		row := x[off : off+len(v)]
		for i, xi := range row {
			m := float32(a*xi) + float32(b*v[i])
			row[i] = m / den
		}
	}
}

// mixSlerp is Inspire's slerp variation per row: a is the row of x, b = v.
// Norms and the dot product are accumulated in float64 (torch's float32
// reduction order is not reproduced; spec 11 allows 5e-7).
func mixSlerp(x, v []float32, s float64) {
	nb := norm(v)
	for off := 0; off < len(x); off += len(v) {
		row := x[off : off+len(v)]
		na := norm(row)
		var dot float64
		same := true
		for i := range row {
			an := nanToZero(row[i] / na)
			bn := nanToZero(v[i] / nb)
			dot += float64(an * bn)
			same = same && an == bn
		}
		if same {
			// torch's float32 sum of identical unit vectors comes out at 1 or
			// slightly above, so the reference result is NaN (sin(0)/0 or
			// acos(>1)); keep that rather than depend on summation order.
			dot = max(dot, 1)
		}
		omega := float32(math.Acos(float64(float32(dot))))
		so := float32(math.Sin(float64(omega)))
		ca := float32(math.Sin(float64(float32(float32(1-s)*omega)))) / so
		cb := float32(math.Sin(float64(float32(float32(s)*omega)))) / so
		for i, ai := range row {
			row[i] = float32(ca*ai) + float32(cb*v[i])
		}
	}
}

func norm(x []float32) float32 {
	var ss float64
	for _, xi := range x {
		ss += float64(xi) * float64(xi)
	}
	return float32(math.Sqrt(ss))
}

func nanToZero(x float32) float32 {
	if x != x {
		return 0
	}
	return x
}
