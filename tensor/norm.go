package tensor

import "math"

// GroupNorm normalises x [n, c, hw] over groups of c/groups channels with
// statistics accumulated in float64, then applies the per-channel affine
// gamma, beta (nil for none). dst may alias x.
func GroupNorm(dst, x []float32, n, c, hw, groups int, eps float64, gamma, beta []float32) {
	cpg := c / groups
	size := cpg * hw
	parallelFor(n*groups, size, func(lo, hi int) {
		for bg := lo; bg < hi; bg++ {
			b, g := bg/groups, bg%groups
			off := (b*c + g*cpg) * hw
			seg := x[off : off+size]
			var sum float64
			for _, v := range seg {
				sum += float64(v)
			}
			mean := sum / float64(size)
			var sq float64
			for _, v := range seg {
				d := float64(v) - mean
				sq += d * d
			}
			inv := 1 / math.Sqrt(sq/float64(size)+eps)
			for ci := range cpg {
				ch := g*cpg + ci
				scale, shift := inv, -mean*inv
				if gamma != nil {
					scale *= float64(gamma[ch])
					shift = shift*float64(gamma[ch]) + float64(beta[ch])
				}
				s, t := float32(scale), float32(shift)
				src := seg[ci*hw : (ci+1)*hw]
				out := dst[off+ci*hw : off+(ci+1)*hw]
				for i, v := range src {
					out[i] = v*s + t
				}
			}
		}
	})
}

// LayerNorm normalises each of the rows of x [rows, dim] (float64
// statistics) and applies gamma, beta. dst may alias x.
func LayerNorm(dst, x []float32, rows, dim int, eps float64, gamma, beta []float32) {
	// Three float64 passes cost about four elementwise kernels per element.
	parallelFor(rows, 4*dim, func(lo, hi int) {
		layerNormRows(dst, x, lo, hi, dim, eps, gamma, beta)
	})
}

func layerNormRows(dst, x []float32, r0, r1, dim int, eps float64, gamma, beta []float32) {
	for r := r0; r < r1; r++ {
		src := x[r*dim : (r+1)*dim]
		out := dst[r*dim : (r+1)*dim]
		mean := sum64(src) / float64(dim)
		inv := 1 / math.Sqrt(sqDev64(src, mean)/float64(dim)+eps)
		g, b := gamma[:len(src)], beta[:len(src)]
		out = out[:len(src)]
		for i, v := range src {
			out[i] = float32((float64(v)-mean)*inv)*g[i] + b[i]
		}
	}
}

// sum64 is the float64 sum of x, in four interleaved partial sums (one
// chain of dependent adds would take four times as long).
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDev64 is Σ(x-mean)² in float64, summed as sum64.
func sqDev64(x []float32, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-mean, float64(v[1])-mean, float64(v[2])-mean, float64(v[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// SoftmaxRows replaces each row of x [rows, n] by its softmax (float32,
// exp as PyTorch's CPU kernel computes it).
func SoftmaxRows(x []float32, rows, n int) {
	if n == 0 {
		return
	}
	for r := range rows {
		row := x[r*n : (r+1)*n]
		m := maxOf(row)
		if math.IsInf(float64(m), -1) {
			m = 0 // an all-masked row: every exp is 0
		}
		scale(row, 1/ExpShift(row, m))
	}
}
