package tensor

// gemmRangeRaw adds rows m0..m1 and columns n0..n1 of A·B to c for a
// row-major, unpacked A (row stride lda) and the first k rows of a B
// prepacked as [strip][kStride][16], with the AVX-512 kernel reading A in
// place. Attention uses it so that the probability matrix is never
// copied.
func gemmRangeRaw(a []float32, lda, k, kStride, m0, m1, n0, n1 int, pre []float32, c []float32, ldc int) {
	var tailBuf *[]float32 // leftover rows, zero-padded to twelve
	defer func() {
		if tailBuf != nil {
			packBufs.Put(tailBuf)
		}
	}()
	var tmp [2 * gemmMR * gemmNR]float32
	const rows = 2 * gemmMR
	for jc := n0; jc < n1; jc += gemmNC {
		nc := min(gemmNC, n1-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			bp := pre[(jc/gemmNR)*kStride*gemmNR+pc*gemmNR:]
			stride := kStride * gemmNR
			for ic := m0; ic < m1; ic += gemmMC {
				mc := min(gemmMC, m1-ic)
				full := mc / rows * rows
				var tail []float32
				if rem := mc - full; rem > 0 {
					// Leftover rows go through a zero-padded copy.
					if tailBuf == nil {
						tailBuf = getBuf(rows * gemmKC)
					}
					tail = *tailBuf
					clear(tail[:rows*kc])
					for r := range rem {
						copy(tail[r*kc:(r+1)*kc], a[(ic+full+r)*lda+pc:])
					}
				}
				for s := 0; s*gemmNR < nc; s++ {
					j := s * gemmNR
					w := min(gemmNR, nc-j)
					bs := bp[s*stride:]
					for i := 0; i < mc; i += rows {
						var ap *float32
						alda := lda
						if i < full {
							ap = &a[(ic+i)*lda+pc]
						} else {
							ap, alda = &tail[0], kc
						}
						h := min(rows, mc-i)
						cc := c[(ic+i)*ldc+jc+j:]
						if h == rows && w == gemmNR {
							sgemmKernel12x16Raw(kc, ap, alda, &bs[0], &cc[0], ldc)
							continue
						}
						clear(tmp[:])
						sgemmKernel12x16Raw(kc, ap, alda, &bs[0], &tmp[0], gemmNR)
						for r := range h {
							row := cc[r*ldc : r*ldc+w]
							for q := range row {
								row[q] += tmp[r*gemmNR+q]
							}
						}
					}
				}
			}
		}
	}
}
