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

func (p Conv2DParams) pointwise() bool {
	return p.KH == 1 && p.KW == 1 && max(p.Stride, 1) == 1 && p.PadTop == 0 && p.PadLeft == 0 && p.PadBottom == 0 && p.PadRight == 0
}

// Conv2D convolves x [n, InC, h, w] into dst [n, OutC, oh, ow] with weight
// [OutC, InC·KH·KW] and optional bias, as the GEMM
// dst[o, pixel] = Σ weight[o, (c,ky,kx)]·x[c, pixel shifted by (ky,kx)].
// The patch matrix is never materialised: B panels are packed straight
// from x (implicit im2col).
func Conv2D(dst, x []float32, n, h, w int, weight, bias []float32, p Conv2DParams) {
	ConvPacked(dst, x, n, h, w, PackConvWeight(weight, p), bias)
}

// PackedConv is a convolution weight packed once for the GEMM kernel.
type PackedConv struct {
	P Conv2DParams
	a *PackedA
}

// PackConvWeight packs weight [OutC, InC·KH·KW] for repeated use.
func PackConvWeight(weight []float32, p Conv2DParams) *PackedConv {
	return &PackedConv{P: p, a: PackA(weight, p.OutC, p.InC*p.KH*p.KW)}
}

// ConvPacked is Conv2D with a packed weight.
func ConvPacked(dst, x []float32, n, h, w int, pw *PackedConv, bias []float32) {
	p := pw.P
	oh, ow := p.OutSize(h, w)
	outPlane := oh * ow
	kk := p.InC * p.KH * p.KW
	for b := range n {
		xb := x[b*p.InC*h*w : (b+1)*p.InC*h*w]
		ob := dst[b*p.OutC*outPlane : (b+1)*p.OutC*outPlane]
		if bias != nil {
			for o := range p.OutC {
				v := bias[o]
				row := ob[o*outPlane : (o+1)*outPlane]
				for i := range row {
					row[i] = v
				}
			}
		} else {
			clear(ob)
		}
		var pack packBFunc
		if p.pointwise() {
			pack = func(d []float32, pc, kc, jc, nc int) { packB(d, false, xb, h*w, pc, kc, jc, nc) }
		} else {
			pack = func(d []float32, pc, kc, jc, nc int) { packConvB(d, xb, h, w, ow, p, pc, kc, jc, nc) }
		}
		pw.a.mul(p.OutC, outPlane, kk, pack, ob, outPlane)
	}
}

// packConvB packs rows pc..pc+kc (input channel, ky, kx) and output pixels
// jc..jc+nc of the implicit patch matrix into 16-wide strips.
func packConvB(dst, x []float32, h, w, ow int, p Conv2DParams, pc, kc, jc, nc int) {
	s := max(p.Stride, 1)
	khw := p.KH * p.KW
	strips := (nc + gemmNR - 1) / gemmNR
	var oys, oxs [gemmNR]int
	c0, rem0 := pc/khw, pc%khw
	ky0, kx0 := rem0/p.KW, rem0%p.KW
	for st := range strips {
		j0 := jc + st*gemmNR
		wd := min(gemmNR, jc+nc-j0)
		out := dst[st*kc*gemmNR : (st+1)*kc*gemmNR]
		oy0, ox0 := j0/ow, j0%ow
		fastRow := ox0+wd <= ow && s == 1 && wd == gemmNR
		for j := range wd {
			oys[j], oxs[j] = (j0+j)/ow, (j0+j)%ow
		}
		c, ky, kx := c0, ky0, kx0
		for q := range kc {
			plane := x[c*h*w : (c+1)*h*w]
			o := out[q*gemmNR : (q+1)*gemmNR : (q+1)*gemmNR]
			iy := oy0 + ky - p.PadTop
			ix0 := ox0 + kx - p.PadLeft
			if fastRow && iy >= 0 && iy < h && ix0 >= 0 && ix0+gemmNR <= w {
				src := plane[iy*w+ix0 : iy*w+ix0+gemmNR : iy*w+ix0+gemmNR]
				o[0], o[1], o[2], o[3] = src[0], src[1], src[2], src[3]
				o[4], o[5], o[6], o[7] = src[4], src[5], src[6], src[7]
				o[8], o[9], o[10], o[11] = src[8], src[9], src[10], src[11]
				o[12], o[13], o[14], o[15] = src[12], src[13], src[14], src[15]
			} else {
				for j := range wd {
					iy := oys[j]*s + ky - p.PadTop
					ix := oxs[j]*s + kx - p.PadLeft
					if iy < 0 || iy >= h || ix < 0 || ix >= w {
						o[j] = 0
					} else {
						o[j] = plane[iy*w+ix]
					}
				}
				clear(o[wd:])
			}
			// Next row of the patch matrix: kx, then ky, then channel.
			if kx++; kx == p.KW {
				kx = 0
				if ky++; ky == p.KH {
					ky = 0
					c++
				}
			}
		}
	}
}
