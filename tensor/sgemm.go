package tensor

import (
	"runtime"
	"sync"
)

// Blocking of the packed GEMM (GotoBLAS/BLIS scheme). A is packed once per
// call into 6-row strips; each worker owns a range of C's columns (or
// rows), packs kc×nc panels of B into 16-wide strips and runs the 6×16
// register micro-kernel over them.
const (
	gemmMR = 6
	gemmNR = 16
	gemmKC = 256
	gemmMC = 96
	gemmNC = 1024
)

// padM is the row count A is packed to: whole pairs of 6-row strips, so
// the 12-row kernel can always read two strips (the padding is zeros).
func padM(m int) int { return (m + 2*gemmMR - 1) / (2 * gemmMR) * (2 * gemmMR) }

// packBFunc writes B[pc:pc+kc, jc:jc+nc] as 16-wide strips [strip][kc][16]
// with the last strip zero-padded.
type packBFunc func(dst []float32, pc, kc, jc, nc int)

// packBufs are reused between calls so that steady-state products do not
// allocate.
var packBufs = sync.Pool{New: func() any { return new([]float32) }}

func getBuf(n int) *[]float32 {
	p := packBufs.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// minParallelFlops is the product size below which one core is faster
// than waking a second.
const minParallelFlops = 1 << 19

// sgemmPacked computes c = alpha·op(a)·op(b) + beta·c with the micro-kernel.
func sgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	pb := func(dst []float32, pc, kc, jc, nc int) { packB(dst, transB, b, ldb, pc, kc, jc, nc) }
	mPad := padM(m)
	abuf := getBuf(mPad * k)
	defer packBufs.Put(abuf)
	packAllA(*abuf, transA, a, lda, alpha, m, k)
	gemmCore(*abuf, m, n, k, pb, c, ldc)
}

// gemmCore adds A·B to c, with A packed by packAllA (roundup(m,6)·k
// floats) and B panels packed on demand by packB.
func gemmCore(ap []float32, m, n, k int, packB packBFunc, c []float32, ldc int) {
	gemmCoreB(ap, m, n, k, packB, nil, c, ldc)
}

// gemmCoreB is gemmCore where B is either packed on demand (packB) or
// fully prepacked as [strip][k][16] (pre).
func gemmCoreB(ap []float32, m, n, k int, packB packBFunc, pre []float32, c []float32, ldc int) {
	mPad := padM(m)
	splitGemm(m, n, k, func(m0, m1, n0, n1 int) {
		gemmRange(ap, mPad, k, m0, m1, n0, n1, packB, pre, c, ldc)
	})
}

// splitGemm runs body over one block of C per core: column ranges (multiples
// of 16) when C is wide, row ranges (multiples of 12) when it is tall.
func splitGemm(m, n, k int, body func(m0, m1, n0, n1 int)) {
	workers := runtime.GOMAXPROCS(0)
	if 2*m*n*k < minParallelFlops {
		workers = 1
	}
	if workers == 1 {
		body(0, m, 0, n)
		return
	}
	if n >= m {
		strips := (n + gemmNR - 1) / gemmNR
		workers = min(workers, strips)
		runWorkers(workers, func(w int) {
			body(0, m, w*strips/workers*gemmNR, min(n, (w+1)*strips/workers*gemmNR))
		})
		return
	}
	const unit = 2 * gemmMR
	blocks := (m + unit - 1) / unit
	workers = min(workers, blocks)
	runWorkers(workers, func(w int) {
		body(w*blocks/workers*unit, min(m, (w+1)*blocks/workers*unit), 0, n)
	})
}

// gemmRange computes rows m0..m1 (m0 a multiple of 6) and columns n0..n1
// of C serially.
func gemmRange(ap []float32, mPad, k, m0, m1, n0, n1 int, packB packBFunc, pre []float32, c []float32, ldc int) {
	var bbuf *[]float32
	if pre == nil {
		bbuf = getBuf(gemmKC * gemmNC)
		defer packBufs.Put(bbuf)
	}
	for jc := n0; jc < n1; jc += gemmNC {
		nc := min(gemmNC, n1-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			var bp []float32
			var stride int
			if pre != nil {
				bp, stride = pre[(jc/gemmNR)*k*gemmNR+pc*gemmNR:], k*gemmNR
			} else {
				packB(*bbuf, pc, kc, jc, nc)
				bp, stride = *bbuf, kc*gemmNR
			}
			for ic := m0; ic < m1; ic += gemmMC {
				mc := min(gemmMC, m1-ic)
				macroKernel(ap[pc*mPad+ic*kc:], bp, stride, mc, kc, nc, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packB packs a panel of a row-major B (or of Bᵀ when trans).
func packB(dst []float32, trans bool, b []float32, ldb, pc, kc, jc, nc int) {
	strips := (nc + gemmNR - 1) / gemmNR
	for s := range strips {
		j0 := jc + s*gemmNR
		w := min(gemmNR, jc+nc-j0)
		out := dst[s*kc*gemmNR : (s+1)*kc*gemmNR]
		if !trans {
			if w == gemmNR {
				for p := range kc {
					row := b[(pc+p)*ldb+j0:]
					o := out[p*gemmNR : (p+1)*gemmNR : (p+1)*gemmNR]
					row = row[:gemmNR]
					for q := range o {
						o[q] = row[q]
					}
				}
				continue
			}
			for p := range kc {
				row := b[(pc+p)*ldb+j0:]
				o := out[p*gemmNR : (p+1)*gemmNR]
				copy(o, row[:w])
				clear(o[w:])
			}
			continue
		}
		for j := range w {
			col := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kc]
			for p, v := range col {
				out[p*gemmNR+j] = v
			}
		}
		if w < gemmNR {
			for p := range kc {
				clear(out[p*gemmNR+w : (p+1)*gemmNR])
			}
		}
	}
}

// packAllA writes alpha·op(A) (m×k) for every kc panel: the panel at pc
// starts at pc·mPad and holds 6-row strips [strip][kc][6], zero-padded.
func packAllA(dst []float32, trans bool, a []float32, lda int, alpha float32, m, k int) {
	packAStrips(dst, trans, a, lda, alpha, m, k, 0, padM(m)/gemmMR)
}

// packAStrips is packAllA for strips s0..s1 only (6 rows each), so that
// large packs can be split across cores.
func packAStrips(dst []float32, trans bool, a []float32, lda int, alpha float32, m, k, s0, s1 int) {
	mPad := padM(m)
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		panel := dst[pc*mPad : pc*mPad+mPad*kc]
		for s := s0; s < s1; s++ {
			i0 := s * gemmMR
			h := max(0, min(gemmMR, m-i0))
			out := panel[s*kc*gemmMR : (s+1)*kc*gemmMR]
			if h == 0 {
				clear(out) // a padding strip
				continue
			}
			if trans {
				for p := range kc {
					row := a[(pc+p)*lda+i0:]
					o := out[p*gemmMR : (p+1)*gemmMR]
					for i := range h {
						o[i] = alpha * row[i]
					}
					clear(o[h:])
				}
				continue
			}
			if h == gemmMR {
				// Six read streams, contiguous writes.
				r0 := a[i0*lda+pc : i0*lda+pc+kc]
				r1 := a[(i0+1)*lda+pc : (i0+1)*lda+pc+kc]
				r2 := a[(i0+2)*lda+pc : (i0+2)*lda+pc+kc]
				r3 := a[(i0+3)*lda+pc : (i0+3)*lda+pc+kc]
				r4 := a[(i0+4)*lda+pc : (i0+4)*lda+pc+kc]
				r5 := a[(i0+5)*lda+pc : (i0+5)*lda+pc+kc]
				out = out[:kc*gemmMR]
				for p := range kc {
					o := out[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
					o[0], o[1], o[2], o[3], o[4], o[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
				}
				if alpha != 1 {
					for i := range out {
						out[i] *= alpha
					}
				}
				continue
			}
			for i := range h {
				row := a[(i0+i)*lda+pc : (i0+i)*lda+pc+kc]
				for p, v := range row {
					out[p*gemmMR+i] = alpha * v
				}
			}
			for i := h; i < gemmMR; i++ {
				for p := range kc {
					out[p*gemmMR+i] = 0
				}
			}
		}
	}
}

// macroKernel multiplies packed A strips (mc rows) by a packed B panel
// (nc columns, strips stride floats apart) into c.
func macroKernel(ap, bp []float32, stride, mc, kc, nc int, c []float32, ldc int) {
	var tmp [2 * gemmMR * gemmNR]float32
	strips := (nc + gemmNR - 1) / gemmNR
	// While a strip is multiplied, the kernel calls on it prefetch the
	// next one, a slice each: prepacked weights larger than the cache
	// (CLIP streams 340 MB per encode) would otherwise stall the first
	// call on each strip.
	calls := (mc + 2*gemmMR - 1) / (2 * gemmMR)
	if !haveAVX512Kernel {
		calls = (mc + gemmMR - 1) / gemmMR
	}
	// A call covers kc/calls of the strip's kc 64-byte lines in kc
	// iterations.
	pfStep := (64*kc/calls + kc - 1) / kc
	for s := range strips {
		j := s * gemmNR
		w := min(gemmNR, nc-j)
		bs := bp[s*stride:]
		pf, step := &bs[0], 0 // last strip: re-touch this one
		if s+1 < strips {
			step = pfStep
		}
		call := 0
		for i := 0; i < mc; i += gemmMR {
			h := min(gemmMR, mc-i)
			as := ap[i*kc:]
			if step != 0 {
				pf = &bp[(s+1)*stride+min(call*kc/calls, kc-1)*gemmNR]
			}
			call++
			// A last strip of at most 6 rows goes to the 6-row kernel:
			// ymm FMAs run at the zmm kernel's flop rate on this
			// hardware class, and twelve rows would compute up to six
			// padding rows (M = 77 tokens: 84 rows become 78). Each
			// element's sum is formed in the same order by both kernels.
			if haveAVX512Kernel && mc-i > gemmMR {
				// Two strips at once: twelve rows in AVX-512 registers
				// (rows past mc are zero padding of the packed A).
				h = min(2*gemmMR, mc-i)
				if w == gemmNR {
					sgemmKernel12x16(kc, &as[0], &as[gemmMR*kc], &bs[0], &c[i*ldc+j], ldc, pf, step, h)
				} else {
					clear(tmp[:])
					sgemmKernel12x16(kc, &as[0], &as[gemmMR*kc], &bs[0], &tmp[0], gemmNR, pf, step, 2*gemmMR)
					for r := range h {
						row := c[(i+r)*ldc+j : (i+r)*ldc+j+w]
						for q := range row {
							row[q] += tmp[r*gemmNR+q]
						}
					}
				}
				i += gemmMR
				continue
			}
			if w == gemmNR {
				sgemmKernel6x16(kc, &as[0], &bs[0], &c[i*ldc+j], ldc, pf, step, h)
				continue
			}
			clear(tmp[:])
			sgemmKernel6x16(kc, &as[0], &bs[0], &tmp[0], gemmNR, pf, step, gemmMR)
			for r := range h {
				row := c[(i+r)*ldc+j : (i+r)*ldc+j+w]
				for q := range row {
					row[q] += tmp[r*gemmNR+q]
				}
			}
		}
	}
}
