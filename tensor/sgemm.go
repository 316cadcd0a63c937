package tensor

import (
	"runtime"
	"sync"
)

// Blocking of the packed GEMM (GotoBLAS/BLIS scheme): a kc-deep panel of B
// (nc columns, in 16-wide strips) stays in L2/L3 while mc-row blocks of A
// (6-row strips) stream through the 6×16 register micro-kernel.
const (
	gemmMR = 6
	gemmNR = 16
	gemmKC = 256
	gemmMC = 96
	gemmNC = 2048
)

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

// sgemmPacked computes c = alpha·op(a)·op(b) + beta·c with the AVX2
// micro-kernel, in parallel over blocks of C.
func sgemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	bbuf := getBuf(gemmKC * gemmNC)
	defer packBufs.Put(bbuf)
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			packB(*bbuf, transB, b, ldb, pc, kc, jc, nc)
			// Tasks: row blocks, split further by column strips when
			// there are too few rows to keep every core busy.
			rowBlocks := (m + gemmMC - 1) / gemmMC
			strips := (nc + gemmNR - 1) / gemmNR
			colParts := 1
			if rowBlocks < 2*workers {
				colParts = min(strips, (2*workers+rowBlocks-1)/rowBlocks)
			}
			tasks := rowBlocks * colParts
			run := func(t0, t1 int) {
				abuf := getBuf(gemmMC * kc)
				for t := t0; t < t1; t++ {
					ib, part := t/colParts, t%colParts
					ic := ib * gemmMC
					mc := min(gemmMC, m-ic)
					s0, s1 := part*strips/colParts, (part+1)*strips/colParts
					if s0 == s1 {
						continue
					}
					packA(*abuf, transA, a, lda, alpha, ic, mc, pc, kc)
					macroKernel(*abuf, *bbuf, mc, kc, nc, s0, s1, c[ic*ldc+jc:], ldc)
				}
				packBufs.Put(abuf)
			}
			if workers == 1 || tasks == 1 || 2*m*nc*kc < 1<<18 {
				run(0, tasks)
				continue
			}
			var wg sync.WaitGroup
			nw := min(workers, tasks)
			for w := range nw {
				wg.Add(1)
				go func(t0, t1 int) {
					defer wg.Done()
					run(t0, t1)
				}(w*tasks/nw, (w+1)*tasks/nw)
			}
			wg.Wait()
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

// packB writes B[pc:pc+kc, jc:jc+nc] as 16-wide strips [strip][kc][16],
// zero-padding the last strip.
func packB(dst []float32, trans bool, b []float32, ldb, pc, kc, jc, nc int) {
	strips := (nc + gemmNR - 1) / gemmNR
	for s := range strips {
		j0 := jc + s*gemmNR
		w := min(gemmNR, jc+nc-j0)
		out := dst[s*kc*gemmNR : (s+1)*kc*gemmNR]
		if !trans {
			for p := range kc {
				row := b[(pc+p)*ldb+j0:]
				o := out[p*gemmNR : (p+1)*gemmNR]
				copy(o, row[:w])
				clear(o[w:])
			}
			continue
		}
		for p := range kc {
			o := out[p*gemmNR : (p+1)*gemmNR]
			for j := range w {
				o[j] = b[(j0+j)*ldb+pc+p]
			}
			clear(o[w:])
		}
	}
}

// packA writes alpha·A[ic:ic+mc, pc:pc+kc] as 6-row strips [strip][kc][6],
// zero-padding the last strip.
func packA(dst []float32, trans bool, a []float32, lda int, alpha float32, ic, mc, pc, kc int) {
	strips := (mc + gemmMR - 1) / gemmMR
	for s := range strips {
		i0 := ic + s*gemmMR
		h := min(gemmMR, ic+mc-i0)
		out := dst[s*kc*gemmMR : (s+1)*kc*gemmMR]
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

// macroKernel multiplies a packed A block by B strips s0..s1 into c.
func macroKernel(ap, bp []float32, mc, kc, nc, s0, s1 int, c []float32, ldc int) {
	var tmp [gemmMR * gemmNR]float32
	for s := s0; s < s1; s++ {
		j := s * gemmNR
		w := min(gemmNR, nc-j)
		bs := bp[s*kc*gemmNR:]
		for i := 0; i < mc; i += gemmMR {
			h := min(gemmMR, mc-i)
			as := ap[(i/gemmMR)*kc*gemmMR:]
			if h == gemmMR && w == gemmNR {
				sgemmKernel6x16(kc, &as[0], &bs[0], &c[i*ldc+j], ldc)
				continue
			}
			clear(tmp[:])
			sgemmKernel6x16(kc, &as[0], &bs[0], &tmp[0], gemmNR)
			for r := range h {
				row := c[(i+r)*ldc+j : (i+r)*ldc+j+w]
				for q := range row {
					row[q] += tmp[r*gemmNR+q]
				}
			}
		}
	}
}
