package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedLinearEpilogue checks weights packed side by side with SetRows
// (part boundaries inside 16-column strips) and the accumulate and
// QuickGELU epilogues against separate Linear calls.
func TestFusedLinearEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, sz := range [][3]int{{1, 3, 5}, {77, 64, 24}, {77, 300, 40}, {130, 90, 33}} {
		m, k, part := sz[0], sz[1], sz[2]
		const parts = 3
		n := parts * part
		x, bias := randSlice(r, m*k), randSlice(r, n)
		ws := make([][]float32, parts)
		pw := NewPackedLinear(n, k)
		for i := range ws {
			ws[i] = randSlice(r, part*k)
			pw.SetRows(i*part, ws[i], part)
		}
		// Reference: each part separately, side by side.
		want := make([]float64, m*n)
		sep := make([]float32, m*part)
		for i, w := range ws {
			Linear(sep, x, m, k, w, part, bias[i*part:(i+1)*part])
			for row := range m {
				for j := range part {
					want[row*n+i*part+j] = float64(sep[row*part+j])
				}
			}
		}
		got := make([]float32, m*n)
		LinearPackedInto(got, x, m, pw, bias, Epilogue{})
		closeTo(t, "fused linear", got, want, 1e-5)

		// Accumulate onto a residual, then QuickGELU of the sum.
		res := randSlice(r, m*n)
		got = append([]float32(nil), res...)
		LinearPackedInto(got, x, m, pw, bias, Epilogue{Accumulate: true, Act: ActQuickGELU})
		for i := range want {
			s := want[i] + float64(res[i])
			want[i] = s / (1 + math.Exp(-1.702*s))
		}
		closeTo(t, "accumulate+quickgelu", got, want, 1e-5)
	}
}

// TestAttentionLDFusedQKV reads q, k and v from one [n, 3·ld] projection
// and writes a dense [n, ld] output; it must equal Attention on separate
// copies.
func TestAttentionLDFusedQKV(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, c := range []struct{ n, heads, dh int }{{77, 12, 64}, {10, 2, 24}} {
		ld := c.heads * c.dh
		qkv := randSlice(r, c.n*3*ld)
		q, k, v := make([]float32, c.n*ld), make([]float32, c.n*ld), make([]float32, c.n*ld)
		for i := range c.n {
			copy(q[i*ld:(i+1)*ld], qkv[i*3*ld:])
			copy(k[i*ld:(i+1)*ld], qkv[i*3*ld+ld:])
			copy(v[i*ld:(i+1)*ld], qkv[i*3*ld+2*ld:])
		}
		scale := float32(1 / math.Sqrt(float64(c.dh)))
		want := make([]float32, c.n*ld)
		Attention(want, q, k, v, c.n, c.n, c.heads, c.dh, ld, scale, true)
		got := make([]float32, c.n*ld)
		AttentionLD(got, ld, qkv, qkv[ld:], qkv[2*ld:], 3*ld, c.n, c.n, c.heads, c.dh, scale, true)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("n=%d: [%d] = %v, separate inputs give %v", c.n, i, got[i], want[i])
			}
		}
	}
}

// TestExpOverflow: arguments past float32's range give +Inf on both the
// vector and scalar paths (not a wrapped exponent), so SiLU and QuickGELU
// of very negative inputs are -0 as in PyTorch.
func TestExpOverflow(t *testing.T) {
	x := []float32{89, 100, 1000, 88.8, 80, 150, 200, 300, 95}
	ExpShift(x, 0)
	for i, v := range x {
		if i == 4 {
			if want := math.Exp(80); math.Abs(float64(v)-want) > 1e-6*want {
				t.Errorf("exp(80) = %v", v)
			}
			continue
		}
		if !math.IsInf(float64(v), 1) {
			t.Errorf("exp of x[%d] = %v, want +Inf", i, v)
		}
	}
	in := []float32{-100, -200, -90, -1000, -100, -200, -90, -1000, -95}
	a, b := append([]float32(nil), in...), append([]float32(nil), in...)
	SiLU(a)
	QuickGELU(b)
	for i := range a {
		if a[i] != 0 || b[i] != 0 {
			t.Errorf("SiLU/QuickGELU(%v) = %v, %v; want -0", in[i], a[i], b[i])
		}
	}
}

// TestQuickGELUVectorMatchesSteps: the one-pass vector QuickGELU gives the
// same bits as its steps done separately (float32 product, ExpShift,
// reciprocal, product), including overflowing and underflowing inputs.
func TestQuickGELUVectorMatchesSteps(t *testing.T) {
	x := make([]float32, 4096+5)
	for i := range x {
		x[i] = float32(i-len(x)/2) / 37
	}
	e := make([]float32, len(x))
	for i, v := range x {
		e[i] = -(1.702 * v)
	}
	ExpShift(e, 0)
	got := append([]float32(nil), x...)
	QuickGELU(got)
	for i, v := range x {
		want := v * (1 / (1 + e[i]))
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] == 0 && want == 0) {
			t.Fatalf("QuickGELU(%v) = %v, steps give %v", v, got[i], want)
		}
	}
}

// TestPartialRowBlocksStayInBounds: the kernels write a partial last row
// block straight into C; the memory after C must be left alone.
func TestPartialRowBlocksStayInBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	// Padding rows of A are zero, so a stray write adds +0: -0 is the
	// one value whose bits that changes.
	sentinel := float32(math.Copysign(0, -1))
	for _, m := range []int{1, 5, 7, 11, 77, 130} {
		k, n := 40, 48
		x, w := randSlice(r, m*k), randSlice(r, n*k)
		buf := make([]float32, m*n+2*12*n)
		for i := m * n; i < len(buf); i++ {
			buf[i] = sentinel
		}
		LinearPacked(buf[:m*n], x, m, PackLinearWeight(w, n, k), nil)
		Gemm(false, true, m, n, k, 1, x, k, w, k, 1, buf[:m*n], n)
		for i := m * n; i < len(buf); i++ {
			if math.Float32bits(buf[i]) != math.Float32bits(sentinel) {
				t.Fatalf("m=%d: element %d past C overwritten", m, i-m*n)
			}
		}
	}
}
