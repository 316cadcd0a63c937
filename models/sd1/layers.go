package sd1

import (
	"math"

	"comfyd/tensor"
)

// linear is a PyTorch Linear: weight [out, in] (kept only in the GEMM
// kernel's packed form), optional bias.
type linear struct {
	w       *tensor.PackedB
	b       []float32
	in, out int
}

func (l *loader) linear(name string, in, out int, bias bool) linear {
	ln := linear{in: in, out: out}
	if w := l.getTransient(name+".weight", out, in); w != nil {
		ln.w = tensor.PackLinearWeight(w, out, in)
	}
	if bias {
		ln.b = l.get(name+".bias", out)
	}
	return ln
}

// fusedLinear reads Linear layers of equal shape (in → out each) as one
// whose outputs lie side by side ([rows, len(names)·out]), so that e.g.
// attention's q, k and v projections of the same input are one product.
func (l *loader) fusedLinear(names []string, in, out int) linear {
	ln := linear{in: in, out: len(names) * out, b: make([]float32, len(names)*out)}
	ln.w = tensor.NewPackedLinear(ln.out, in)
	for i, name := range names {
		if w := l.getTransient(name+".weight", out, in); w != nil {
			ln.w.SetRows(i*out, w, out)
		}
		if b := l.get(name+".bias", out); b != nil {
			copy(ln.b[i*out:], b)
		}
	}
	return ln
}

// forward maps x [rows, in] to dst [rows, out].
func (ln linear) forward(dst, x []float32, rows int) {
	tensor.LinearPacked(dst[:rows*ln.out], x[:rows*ln.in], rows, ln.w, ln.b)
}

// forwardInto is forward with an epilogue (residual add, activation)
// fused into the product.
func (ln linear) forwardInto(dst, x []float32, rows int, ep tensor.Epilogue) {
	tensor.LinearPackedInto(dst[:rows*ln.out], x[:rows*ln.in], rows, ln.w, ln.b, ep)
}

// conv2d is a PyTorch Conv2d (weight packed for the GEMM kernel).
type conv2d struct {
	w *tensor.PackedConv
	b []float32
}

func (l *loader) conv(name string, in, out, k, stride, pad int) conv2d {
	p := tensor.Conv2DParams{InC: in, OutC: out, KH: k, KW: k, Stride: stride, PadTop: pad, PadLeft: pad, PadBottom: pad, PadRight: pad}
	c := conv2d{b: l.get(name+".bias", out)}
	if w := l.getTransient(name+".weight", out, in, k, k); w != nil {
		c.w = tensor.PackConvWeight(w, p)
	}
	return c
}

// forward convolves x [n, in, h, w] and returns the output with its size.
func (c conv2d) forward(x []float32, n, h, w int) ([]float32, int, int) {
	oh, ow := c.w.P.OutSize(h, w)
	out := make([]float32, n*c.w.P.OutC*oh*ow)
	tensor.ConvPacked(out, x, n, h, w, c.w, c.b)
	return out, oh, ow
}

// norm holds a GroupNorm or LayerNorm affine transform.
type norm struct {
	g, b []float32
	eps  float64
}

func (l *loader) norm(name string, ch int, eps float64) norm {
	return norm{g: l.get(name+".weight", ch), b: l.get(name+".bias", ch), eps: eps}
}

// groupNorm returns GroupNorm(32) of x [n, c, hw], optionally followed by
// SiLU.
func (nm norm) groupNorm(x []float32, n, c, hw int, silu bool) []float32 {
	out := make([]float32, len(x))
	tensor.GroupNorm(out, x, n, c, hw, 32, nm.eps, nm.g, nm.b)
	if silu {
		tensor.SiLU(out)
	}
	return out
}

// layerNorm returns LayerNorm of x [rows, dim].
func (nm norm) layerNorm(x []float32, rows, dim int) []float32 {
	out := make([]float32, rows*dim)
	nm.layerNormInto(out, x, rows, dim)
	return out
}

// layerNormInto writes LayerNorm of x [rows, dim] to dst.
func (nm norm) layerNormInto(dst, x []float32, rows, dim int) {
	tensor.LayerNorm(dst, x, rows, dim, nm.eps, nm.g, nm.b)
}

// attention computes softmax(q·kᵀ/sqrt(dh) [+ causal mask])·v per head for
// one batch element: q [n, heads·dh], k and v [m, heads·dh], out
// [n, heads·dh] (ComfyUI's attention_basic, float32 softmax).
func attention(out, q, k, v []float32, n, m, heads, dh int, causal bool) {
	scale := float32(1 / math.Sqrt(float64(dh)))
	tensor.Attention(out, q, k, v, n, m, heads, dh, heads*dh, scale, causal)
}

// transpose2 writes the [a, b] matrix src as [b, a] into dst.
func transpose2(dst, src []float32, a, b int) {
	const blk = 32
	for i0 := 0; i0 < a; i0 += blk {
		for j0 := 0; j0 < b; j0 += blk {
			for i := i0; i < min(i0+blk, a); i++ {
				for j := j0; j < min(j0+blk, b); j++ {
					dst[j*a+i] = src[i*b+j]
				}
			}
		}
	}
}

// upsampleNearest resizes x [n, c, h, w] to [n, c, oh, ow] with PyTorch's
// "nearest" rule (source index floor(dst·in/out)).
func upsampleNearest(x []float32, n, c, h, w, oh, ow int) []float32 {
	out := make([]float32, n*c*oh*ow)
	sy, sx := float32(h)/float32(oh), float32(w)/float32(ow)
	xs := make([]int, ow)
	for j := range ow {
		xs[j] = min(int(float32(j)*sx), w-1)
	}
	for p := range n * c {
		src := x[p*h*w : (p+1)*h*w]
		dst := out[p*oh*ow : (p+1)*oh*ow]
		for i := range oh {
			iy := min(int(float32(i)*sy), h-1)
			row := src[iy*w : (iy+1)*w]
			drow := dst[i*ow : (i+1)*ow]
			for j, ix := range xs {
				drow[j] = row[ix]
			}
		}
	}
	return out
}
