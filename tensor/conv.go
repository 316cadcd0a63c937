package tensor

// Conv2DParams describes a 2-D convolution with a PyTorch weight
// [OutC, InC, KH, KW]. Padding may be asymmetric (the SD VAE's downsample
// pads right and bottom only).
type Conv2DParams struct {
	InC, OutC                            int
	KH, KW                               int
	Stride                               int
	PadTop, PadLeft, PadBottom, PadRight int
}

// OutSize is the output height and width for an h×w input.
func (p Conv2DParams) OutSize(h, w int) (int, int) {
	s := max(p.Stride, 1)
	return (h+p.PadTop+p.PadBottom-p.KH)/s + 1, (w+p.PadLeft+p.PadRight-p.KW)/s + 1
}

// convTileElems caps the im2col workspace (floats) of one row tile so that
// large images do not need a column matrix of their full size.
const convTileElems = 4 << 20

// Conv2D convolves x [n, InC, h, w] into dst [n, OutC, oh, ow] with weight
// [OutC, InC·KH·KW] and optional bias. A 1×1 stride-1 unpadded convolution
// is a single matrix product; others go through im2col in row tiles.
func Conv2D(dst, x []float32, n, h, w int, weight, bias []float32, p Conv2DParams) {
	oh, ow := p.OutSize(h, w)
	s := max(p.Stride, 1)
	kk := p.InC * p.KH * p.KW
	outPlane := oh * ow
	pointwise := p.KH == 1 && p.KW == 1 && s == 1 && p.PadTop == 0 && p.PadLeft == 0 && p.PadBottom == 0 && p.PadRight == 0
	rowsPerTile := max(1, min(oh, convTileElems/max(1, kk*ow)))
	var col []float32
	if !pointwise {
		col = make([]float32, kk*rowsPerTile*ow)
	}
	for b := range n {
		xb := x[b*p.InC*h*w : (b+1)*p.InC*h*w]
		ob := dst[b*p.OutC*outPlane : (b+1)*p.OutC*outPlane]
		beta := float32(0)
		if bias != nil {
			for o := range p.OutC {
				v := bias[o]
				row := ob[o*outPlane : (o+1)*outPlane]
				for i := range row {
					row[i] = v
				}
			}
			beta = 1
		}
		if pointwise {
			Gemm(false, false, p.OutC, outPlane, p.InC, 1, weight, p.InC, xb, h*w, beta, ob, outPlane)
			continue
		}
		for r0 := 0; r0 < oh; r0 += rowsPerTile {
			rows := min(rowsPerTile, oh-r0)
			cols := rows * ow
			im2col(col[:kk*cols], xb, h, w, r0, rows, ow, p)
			Gemm(false, false, p.OutC, cols, kk, 1, weight, kk, col, cols, beta, ob[r0*ow:], outPlane)
		}
	}
}

// im2col fills col [InC·KH·KW, rows·ow] with the input patches of output
// rows r0..r0+rows.
func im2col(col, x []float32, h, w, r0, rows, ow int, p Conv2DParams) {
	s := max(p.Stride, 1)
	cols := rows * ow
	idx := 0
	for c := range p.InC {
		plane := x[c*h*w : (c+1)*h*w]
		for ky := range p.KH {
			for kx := range p.KW {
				dstRow := col[idx*cols : (idx+1)*cols]
				idx++
				for r := range rows {
					iy := (r0+r)*s + ky - p.PadTop
					out := dstRow[r*ow : (r+1)*ow]
					if iy < 0 || iy >= h {
						clear(out)
						continue
					}
					src := plane[iy*w : (iy+1)*w]
					if s == 1 {
						// Output columns whose input lies inside the row.
						lo := max(0, p.PadLeft-kx)
						hi := min(ow, w+p.PadLeft-kx)
						clear(out[:max(lo, 0)])
						if hi > lo {
							copy(out[lo:hi], src[lo+kx-p.PadLeft:hi+kx-p.PadLeft])
						}
						if hi < ow {
							clear(out[max(hi, 0):])
						}
						continue
					}
					for ox := range ow {
						ix := ox*s + kx - p.PadLeft
						if ix < 0 || ix >= w {
							out[ox] = 0
						} else {
							out[ox] = src[ix]
						}
					}
				}
			}
		}
	}
}
