package tensor

import (
	"runtime"
	"sync/atomic"
)

// PackedA is a left-hand GEMM operand (m×k, e.g. a convolution weight)
// packed once into the kernel's 6-row strips, so that repeated products
// do not repack it.
type PackedA struct {
	data []float32
	m, k int
}

// PackA packs the row-major m×k matrix a.
func PackA(a []float32, m, k int) *PackedA {
	mPad := padM(m)
	pa := &PackedA{m: m, k: k}
	pa.data = offHeap(mPad*k, pa)
	if haveSgemmKernel {
		parallelFor(mPad/gemmMR, gemmMR*k, func(s0, s1 int) {
			packAStrips(pa.data, false, a, k, 1, m, k, s0, s1)
		})
	} else {
		copy(pa.data, a[:m*k]) // row-major for the gonum fallback
	}
	return pa
}

// mul adds A·B to c, where packB provides B's panels (m, k must match).
func (pa *PackedA) mul(m, n, k int, packB packBFunc, c []float32, ldc int) {
	defer runtime.KeepAlive(pa) // pa.data is freed by pa's finalizer
	if haveSgemmKernel {
		gemmCore(pa.data, m, n, k, packB, c, ldc)
		return
	}
	// Fallback: materialise B and call the generic GEMM.
	b := make([]float32, k*n)
	panel := make([]float32, gemmKC*((n+gemmNR-1)/gemmNR*gemmNR))
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		packB(panel, pc, kc, 0, n)
		for s := 0; s*gemmNR < n; s++ {
			for q := range kc {
				for j := range min(gemmNR, n-s*gemmNR) {
					b[(pc+q)*n+s*gemmNR+j] = panel[(s*kc+q)*gemmNR+j]
				}
			}
		}
	}
	Gemm(false, false, m, n, k, 1, pa.data, k, b, n, 1, c, ldc)
}

// PackedB is a right-hand GEMM operand (k×n) packed once as 16-column
// strips [strip][k][16]; a Linear weight W [n,k] packs as Wᵀ.
type PackedB struct {
	data []float32
	k, n int
	raw  []float32 // W [n,k] for the fallback path
}

// PackLinearWeight packs a PyTorch Linear weight w [n,k] as B = wᵀ.
func PackLinearWeight(w []float32, n, k int) *PackedB {
	pb := NewPackedLinear(n, k)
	pb.SetRows(0, w, n)
	return pb
}

// NewPackedLinear returns a zero k×n operand to be filled by SetRows, so
// that several Linear weights with the same input width (e.g. attention's
// q, k and v projections) run as one product with their outputs side by
// side.
func NewPackedLinear(n, k int) *PackedB {
	pb := &PackedB{k: k, n: n}
	if !haveSgemmKernel {
		pb.raw = make([]float32, n*k)
		return pb
	}
	strips := (n + gemmNR - 1) / gemmNR
	pb.data = offHeap(strips*k*gemmNR, pb)
	return pb
}

// SetRows packs a Linear weight w [rows,k] as the output columns
// j0..j0+rows. w is not retained.
func (pb *PackedB) SetRows(j0 int, w []float32, rows int) {
	k := pb.k
	if j0 < 0 || j0+rows > pb.n || len(w) < rows*k {
		panic("tensor: PackedB.SetRows out of range")
	}
	if pb.data == nil {
		copy(pb.raw[j0*k:], w[:rows*k])
		return
	}
	s0, s1 := j0/gemmNR, (j0+rows+gemmNR-1)/gemmNR
	parallelFor(s1-s0, gemmNR*k, func(lo, hi int) {
		for s := s0 + lo; s < s0+hi; s++ {
			out := pb.data[s*k*gemmNR : (s+1)*k*gemmNR]
			for c := max(j0, s*gemmNR); c < min(j0+rows, (s+1)*gemmNR); c++ {
				row := w[(c-j0)*k : (c-j0+1)*k]
				lane := c - s*gemmNR
				for p, v := range row {
					out[p*gemmNR+lane] = v
				}
			}
		}
	})
}

// Activation is an elementwise function applied in a product's epilogue.
type Activation int

const (
	// NoActivation leaves the product as is.
	NoActivation Activation = iota
	// ActQuickGELU applies QuickGELU (CLIP's MLP activation).
	ActQuickGELU
)

func (a Activation) apply(x []float32) {
	switch a {
	case ActQuickGELU:
		quickGELUSerial(x)
	}
}

// Epilogue says what LinearPackedInto does around the product. Each core
// applies it to its own block of the output while the block is in cache.
type Epilogue struct {
	// Accumulate adds the result to dst (a residual connection) instead of
	// overwriting it.
	Accumulate bool
	// Act is applied to the final value of dst.
	Act Activation
}

// LinearPacked computes dst[m,n] = x[m,k]·wᵀ + bias with a packed weight.
func LinearPacked(dst, x []float32, m int, w *PackedB, bias []float32) {
	LinearPackedInto(dst, x, m, w, bias, Epilogue{})
}

// minParallelPack is the A-operand size (floats) above which packing it
// is split across cores: a split costs a few microseconds, packing 16K
// floats about as much.
const minParallelPack = 1 << 14

// LinearPackedInto computes dst[m,n] = act(x[m,k]·wᵀ + bias), or
// act(dst + x·wᵀ + bias) with ep.Accumulate. dst must not overlap x.
func LinearPackedInto(dst, x []float32, m int, w *PackedB, bias []float32, ep Epilogue) {
	defer runtime.KeepAlive(w) // w.data is freed by w's finalizer
	n, k := w.n, w.k
	dst, x = dst[:m*n], x[:m*k]
	if w.data == nil {
		linearPrologue(dst, n, 0, m, 0, n, bias, ep.Accumulate)
		Gemm(false, true, m, n, k, 1, x, k, w.raw, k, 1, dst, n)
		linearActivate(dst, n, 0, m, 0, n, ep.Act)
		return
	}
	// Packing the activations costs ~1/n of the product and keeps the
	// kernel's A reads contiguous (measured 10-20% faster than reading x
	// in place).
	mPad := padM(m)
	abuf := getBuf(mPad * k)
	defer packBufs.Put(abuf)
	parallelForAbove(mPad/gemmMR, gemmMR*k, minParallelPack, func(s0, s1 int) {
		packAStrips(*abuf, false, x, k, 1, m, k, s0, s1)
	})
	block := func(m0, m1, n0, n1 int) {
		linearPrologue(dst, n, m0, m1, n0, n1, bias, ep.Accumulate)
		gemmRange(*abuf, mPad, k, m0, m1, n0, n1, nil, w.data, dst, n)
		linearActivate(dst, n, m0, m1, n0, n1, ep.Act)
	}
	if n < m {
		splitGemm(m, n, k, block)
		return
	}
	splitColumnsDynamic(m, n, k, block)
}

// splitColumnsDynamic runs body over column chunks of C (whole strips,
// about four per core) that the cores take in turn, so that a core
// delayed by another process does not leave the others waiting at the
// end. It suits prepacked B, where chunks share no packing work.
func splitColumnsDynamic(m, n, k int, body func(m0, m1, n0, n1 int)) {
	workers := runtime.GOMAXPROCS(0)
	strips := (n + gemmNR - 1) / gemmNR
	if 2*m*n*k < minParallelFlops || workers == 1 || strips == 1 {
		body(0, m, 0, n)
		return
	}
	workers = min(workers, strips)
	per := max(1, strips/(4*workers))
	var next atomic.Int64
	runWorkers(workers, func(int) {
		for {
			s0 := int(next.Add(int64(per))) - per
			if s0 >= strips {
				return
			}
			body(0, m, s0*gemmNR, min(n, (s0+per)*gemmNR))
		}
	})
}

// linearPrologue prepares rows m0..m1, columns n0..n1 of dst (row
// length n) for the product to be added: bias (or zero), or dst + bias
// when accumulating.
func linearPrologue(dst []float32, n, m0, m1, n0, n1 int, bias []float32, accumulate bool) {
	for i := m0; i < m1; i++ {
		seg := dst[i*n+n0 : i*n+n1]
		switch {
		case bias == nil && !accumulate:
			clear(seg)
		case bias == nil:
		case accumulate:
			Add(seg, seg, bias[n0:n1])
		default:
			copy(seg, bias[n0:n1])
		}
	}
}

// linearActivate applies act to rows m0..m1, columns n0..n1 of dst.
func linearActivate(dst []float32, n, m0, m1, n0, n1 int, act Activation) {
	if act == NoActivation {
		return
	}
	for i := m0; i < m1; i++ {
		act.apply(dst[i*n+n0 : i*n+n1])
	}
}
