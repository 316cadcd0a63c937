package tensor

import (
	"math"
	"runtime"
)

// attnRows is how many query rows one task handles: its score block
// (rows × keys) stays in L2 between the two products.
const attnRows = 96

// Attention computes, for every head h, softmax(q_h·k_hᵀ·scale)·v_h with
// q [n, ld], k and v [m, ld] and out [n, ld], head h occupying columns
// h·dh..(h+1)·dh of each row. causal masks keys after the query's
// position. Work is split into blocks of query rows per head: the scores
// of a block are computed, soft-maxed and multiplied by v while cache-hot.
func Attention(out, q, k, v []float32, n, m, heads, dh, ld int, scale float32, causal bool) {
	AttentionLD(out, ld, q, k, v, ld, n, m, heads, dh, scale, causal)
}

// AttentionLD is Attention with separate row strides for the output
// (ldOut) and the inputs (ldIn), e.g. q, k and v read from one fused
// projection [n, 3·heads·dh].
func AttentionLD(out []float32, ldOut int, q, k, v []float32, ldIn, n, m, heads, dh int, scale float32, causal bool) {
	if !haveSgemmKernel {
		attentionGeneric(out, ldOut, q, k, v, ldIn, n, m, heads, dh, scale, causal)
		return
	}
	ld := ldIn
	kStrips := (m + gemmNR - 1) / gemmNR
	vStrips := (dh + gemmNR - 1) / gemmNR
	kp := getBuf(heads * kStrips * dh * gemmNR)
	vp := getBuf(heads * vStrips * m * gemmNR)
	defer packBufs.Put(kp)
	defer packBufs.Put(vp)
	kSize, vSize := kStrips*dh*gemmNR, vStrips*m*gemmNR
	// With the AVX-512 kernel, queries and probabilities are read in
	// place and the scale is folded into the packed keys.
	raw := haveAVX512Kernel
	kScale := float32(1)
	if raw {
		kScale = scale
	}
	packHead := func(h int) {
		packTransposedB((*kp)[h*kSize:(h+1)*kSize], k[h*dh:], m, dh, ld, kScale)
		packPlainB((*vp)[h*vSize:(h+1)*vSize], v[h*dh:], m, dh, ld)
	}
	chunks := (n + attnRows - 1) / attnRows
	if chunks > 1 {
		// Several tasks share a head's packed keys and values.
		parallelFor(heads, 2*m*dh, func(h0, h1 int) {
			for h := h0; h < h1; h++ {
				packHead(h)
			}
		})
	}
	tasks := heads * chunks
	workers := min(runtime.GOMAXPROCS(0), tasks)
	runWorkers(workers, func(w int) {
		t0, t1 := w*tasks/workers, (w+1)*tasks/workers
		s := getBuf(attnRows * m)
		qa := getBuf(attnRows * dh)
		pa := getBuf(attnRows * m)
		defer packBufs.Put(s)
		defer packBufs.Put(qa)
		defer packBufs.Put(pa)
		for t := t0; t < t1; t++ {
			h, c := t/chunks, t%chunks
			if chunks == 1 {
				packHead(h) // this task is the head's only user
			}
			r0 := c * attnRows
			rows := min(attnRows, n-r0)
			mPad := padM(rows)
			sc := (*s)[:rows*m]
			clear(sc)
			switch {
			case raw && causal:
				// Per 12 query rows, only the keys up to the last row's
				// position (rounded to a strip): the rest are masked
				// anyway, so the scores computed are the same.
				for i0 := 0; i0 < rows; i0 += 2 * gemmMR {
					i1 := min(rows, i0+2*gemmMR)
					keys := min(m, (r0+i1+gemmNR-1)/gemmNR*gemmNR)
					gemmRangeRaw(q[r0*ld+h*dh:], ld, dh, dh, i0, i1, 0, keys, (*kp)[h*kSize:], sc, m)
				}
			case raw:
				gemmRangeRaw(q[r0*ld+h*dh:], ld, dh, dh, 0, rows, 0, m, (*kp)[h*kSize:], sc, m)
			default:
				packAllA(*qa, false, q[r0*ld+h*dh:], ld, scale, rows, dh)
				gemmRange(*qa, mPad, dh, 0, rows, 0, m, nil, (*kp)[h*kSize:], sc, m)
			}
			if causal {
				for i := range rows {
					row := sc[i*m : (i+1)*m]
					for j := r0 + i + 1; j < m; j++ {
						row[j] = float32(math.Inf(-1))
					}
				}
			}
			SoftmaxRows(sc, rows, m)
			o := out[r0*ldOut+h*dh:]
			for i := range rows {
				clear(o[i*ldOut : i*ldOut+dh])
			}
			switch {
			case raw && causal:
				// Masked probabilities are exactly 0 and add nothing:
				// each 12-row block sums over its visible keys only.
				for i0 := 0; i0 < rows; i0 += 2 * gemmMR {
					i1 := min(rows, i0+2*gemmMR)
					keys := min(m, r0+i1)
					gemmRangeRaw(sc, m, keys, m, i0, i1, 0, dh, (*vp)[h*vSize:], o, ldOut)
				}
			case raw:
				gemmRangeRaw(sc, m, m, m, 0, rows, 0, dh, (*vp)[h*vSize:], o, ldOut)
			default:
				packAllA(*pa, false, sc, m, 1, rows, m)
				gemmRange(*pa, mPad, m, 0, rows, 0, dh, nil, (*vp)[h*vSize:], o, ldOut)
			}
		}
	})
}

// packTransposedB packs B = scale·Xᵀ for X [rows, k] (row stride ld) as
// strips of 16 rows of X: [strip][k][16].
func packTransposedB(dst, x []float32, rows, k, ld int, scale float32) {
	var src [gemmNR][]float32
	for s := 0; s*gemmNR < rows; s++ {
		out := dst[s*k*gemmNR : (s+1)*k*gemmNR]
		w := min(gemmNR, rows-s*gemmNR)
		if w < gemmNR {
			clear(out)
		}
		for j := range w {
			src[j] = x[(s*gemmNR+j)*ld : (s*gemmNR+j)*ld+k]
		}
		// One 16-wide output row at a time: contiguous writes, sixteen
		// sequential read streams.
		for p := range k {
			o := out[p*gemmNR : p*gemmNR+gemmNR : p*gemmNR+gemmNR]
			for j, r := range src[:w] {
				o[j] = scale * r[p]
			}
		}
	}
}

// packPlainB packs B = X for X [rows, cols] (row stride ld) as strips of
// 16 columns: [strip][rows][16].
func packPlainB(dst, x []float32, rows, cols, ld int) {
	for s := 0; s*gemmNR < cols; s++ {
		out := dst[s*rows*gemmNR : (s+1)*rows*gemmNR]
		w := min(gemmNR, cols-s*gemmNR)
		for p := range rows {
			o := out[p*gemmNR : (p+1)*gemmNR]
			copy(o, x[p*ld+s*gemmNR:p*ld+s*gemmNR+w])
			clear(o[w:])
		}
	}
}

// attentionGeneric is the portable path: one score matrix per head.
func attentionGeneric(out []float32, ldOut int, q, k, v []float32, ld, n, m, heads, dh int, scale float32, causal bool) {
	scores := make([]float32, n*m)
	for h := range heads {
		off := h * dh
		Gemm(false, true, n, m, dh, scale, q[off:], ld, k[off:], ld, 0, scores, m)
		if causal {
			for i := range n {
				for j := i + 1; j < m; j++ {
					scores[i*m+j] = float32(math.Inf(-1))
				}
			}
		}
		SoftmaxRows(scores, n, m)
		Gemm(false, false, n, dh, m, 1, scores, m, v[off:], ld, 0, out[off:], ldOut)
	}
}
