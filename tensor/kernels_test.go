package tensor

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v want %v", what, i, got[i], want[i])
		}
	}
}

func TestLinearMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {77, 64, 32}, {130, 70, 90}} {
		m, k, n := sz[0], sz[1], sz[2]
		x, w, b := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n)
		for _, bias := range [][]float32{nil, b} {
			got := make([]float32, m*n)
			Linear(got, x, m, k, w, n, bias)
			want := make([]float64, m*n)
			for i := range m {
				for j := range n {
					s := 0.0
					if bias != nil {
						s = float64(bias[j])
					}
					for l := range k {
						s += float64(x[i*k+l]) * float64(w[j*k+l])
					}
					want[i*n+j] = s
				}
			}
			closeTo(t, "linear", got, want, 1e-4)
		}
	}
}

func naiveConv(x []float32, n, h, w int, wt, bias []float32, p Conv2DParams) []float64 {
	oh, ow := p.OutSize(h, w)
	out := make([]float64, n*p.OutC*oh*ow)
	for b := range n {
		for o := range p.OutC {
			for y := range oh {
				for xx := range ow {
					s := float64(bias[o])
					for c := range p.InC {
						for ky := range p.KH {
							for kx := range p.KW {
								iy, ix := y*p.Stride+ky-p.PadTop, xx*p.Stride+kx-p.PadLeft
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								s += float64(x[((b*p.InC+c)*h+iy)*w+ix]) * float64(wt[((o*p.InC+c)*p.KH+ky)*p.KW+kx])
							}
						}
					}
					out[((b*p.OutC+o)*oh+y)*ow+xx] = s
				}
			}
		}
	}
	return out
}

func TestConv2DMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name string
		p    Conv2DParams
		h, w int
	}{
		{"3x3 same", Conv2DParams{InC: 3, OutC: 5, KH: 3, KW: 3, Stride: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 7, 6},
		{"1x1", Conv2DParams{InC: 4, OutC: 3, KH: 1, KW: 1, Stride: 1}, 5, 5},
		{"vae downsample", Conv2DParams{InC: 2, OutC: 4, KH: 3, KW: 3, Stride: 2, PadBottom: 1, PadRight: 1}, 8, 8},
		{"unet downsample", Conv2DParams{InC: 2, OutC: 3, KH: 3, KW: 3, Stride: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 9, 8},
		{"valid 3x3", Conv2DParams{InC: 2, OutC: 2, KH: 3, KW: 3, Stride: 1}, 4, 5},
		{"16-aligned rows", Conv2DParams{InC: 40, OutC: 13, KH: 3, KW: 3, Stride: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}, 5, 32},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 2
			x := randSlice(r, n*c.p.InC*c.h*c.w)
			wt := randSlice(r, c.p.OutC*c.p.InC*c.p.KH*c.p.KW)
			b := randSlice(r, c.p.OutC)
			oh, ow := c.p.OutSize(c.h, c.w)
			got := make([]float32, n*c.p.OutC*oh*ow)
			Conv2D(got, x, n, c.h, c.w, wt, b, c.p)
			closeTo(t, "conv", got, naiveConv(x, n, c.h, c.w, wt, b, c.p), 1e-4)
		})
	}
}

func TestConv2DRowTiles(t *testing.T) {
	// A column matrix larger than one tile must give the same result.
	r := rand.New(rand.NewPCG(5, 6))
	p := Conv2DParams{InC: 64, OutC: 2, KH: 3, KW: 3, Stride: 1, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1}
	h, w := 100, 90 // 576·90 floats per row: several tiles
	x := randSlice(r, p.InC*h*w)
	wt := randSlice(r, p.OutC*p.InC*9)
	b := randSlice(r, p.OutC)
	got := make([]float32, p.OutC*h*w)
	Conv2D(got, x, 1, h, w, wt, b, p)
	closeTo(t, "conv", got, naiveConv(x, 1, h, w, wt, b, p), 1e-4)
}

func TestGroupNormAndLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	n, c, hw, groups := 2, 8, 5, 4
	x := randSlice(r, n*c*hw)
	g, b := randSlice(r, c), randSlice(r, c)
	got := make([]float32, len(x))
	GroupNorm(got, x, n, c, hw, groups, 1e-6, g, b)
	want := make([]float64, len(x))
	cpg := c / groups
	for bi := range n {
		for gi := range groups {
			var s, s2 float64
			base := (bi*c + gi*cpg) * hw
			for i := range cpg * hw {
				s += float64(x[base+i])
			}
			mean := s / float64(cpg*hw)
			for i := range cpg * hw {
				d := float64(x[base+i]) - mean
				s2 += d * d
			}
			std := math.Sqrt(s2/float64(cpg*hw) + 1e-6)
			for i := range cpg * hw {
				ch := gi*cpg + i/hw
				want[base+i] = (float64(x[base+i])-mean)/std*float64(g[ch]) + float64(b[ch])
			}
		}
	}
	closeTo(t, "groupnorm", got, want, 1e-5)

	rows, dim := 3, 6
	y := randSlice(r, rows*dim)
	lg, lb := randSlice(r, dim), randSlice(r, dim)
	lgot := make([]float32, len(y))
	LayerNorm(lgot, y, rows, dim, 1e-5, lg, lb)
	lwant := make([]float64, len(y))
	for ri := range rows {
		var s, s2 float64
		for i := range dim {
			s += float64(y[ri*dim+i])
		}
		mean := s / float64(dim)
		for i := range dim {
			d := float64(y[ri*dim+i]) - mean
			s2 += d * d
		}
		std := math.Sqrt(s2/float64(dim) + 1e-5)
		for i := range dim {
			lwant[ri*dim+i] = (float64(y[ri*dim+i])-mean)/std*float64(lg[i]) + float64(lb[i])
		}
	}
	closeTo(t, "layernorm", lgot, lwant, 1e-5)
}

func TestSoftmaxAndActivations(t *testing.T) {
	x := []float32{1, 2, 3, -1000, 0, 1000}
	SoftmaxRows(x, 2, 3)
	e := math.Exp(1.0)
	den := 1 + e + e*e
	closeTo(t, "softmax", x, []float64{1 / den, e / den, e * e / den, 0, 0, 1}, 1e-6)
	a := []float32{-1, 0, 2}
	SiLU(a)
	closeTo(t, "silu", a, []float64{-1 / (1 + math.E), 0, 2 / (1 + math.Exp(-2))}, 1e-6)
	// Long enough for the vectorised exp and the parallel split.
	q := make([]float32, 70001)
	qwant := make([]float64, len(q))
	for i := range q {
		q[i] = float32(i-len(q)/2) / 1000
		v := float64(q[i])
		qwant[i] = v / (1 + math.Exp(-1.702*v))
	}
	QuickGELU(q)
	closeTo(t, "quickgelu", q, qwant, 1e-6)
	if g := GELU(1); math.Abs(float64(g)-0.8413447460685429) > 1e-6 {
		t.Errorf("GELU(1) = %v", g)
	}
}

func TestLinearPackedMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range [][3]int{{1, 1, 1}, {5, 300, 17}, {77, 40, 33}, {200, 520, 70}} {
		m, k, n := sz[0], sz[1], sz[2]
		x, w, b := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n)
		want := make([]float32, m*n)
		Linear(want, x, m, k, w, n, b)
		got := make([]float32, m*n)
		LinearPacked(got, x, m, PackLinearWeight(w, n, k), b)
		w64 := make([]float64, len(want))
		for i, v := range want {
			w64[i] = float64(v)
		}
		closeTo(t, "linear packed", got, w64, 1e-5)
	}
}

func TestExpShift(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 64, 77} {
		x := make([]float32, n)
		want := make([]float64, n)
		var wsum float64
		for i := range x {
			x[i] = float32(i%23)*3.7 - 80
			if i%11 == 5 {
				x[i] = float32(math.Inf(-1))
			}
			if i%13 == 7 {
				x[i] = -90
			}
			want[i] = math.Exp(float64(x[i]) - 2)
			if x[i] < -85 {
				want[i] = 0
			}
			wsum += want[i]
		}
		sum := ExpShift(x, 2)
		for i := range x {
			if d := math.Abs(float64(x[i]) - want[i]); d > 2.5e-7*want[i] {
				t.Fatalf("n=%d exp[%d] = %v want %v", n, i, x[i], want[i])
			}
		}
		if math.Abs(float64(sum)-wsum) > 1e-6*wsum {
			t.Errorf("n=%d sum %v want %v", n, sum, wsum)
		}
	}
}

func TestAttentionMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range []struct {
		n, m, heads, dh int
		causal          bool
	}{{77, 77, 2, 16, true}, {200, 77, 3, 40, false}, {5, 300, 1, 8, false}, {100, 100, 2, 24, true}} {
		ld := c.heads * c.dh
		q, k, v := randSlice(r, c.n*ld), randSlice(r, c.m*ld), randSlice(r, c.m*ld)
		scale := float32(1 / math.Sqrt(float64(c.dh)))
		got := make([]float32, c.n*ld)
		Attention(got, q, k, v, c.n, c.m, c.heads, c.dh, ld, scale, c.causal)
		want := make([]float64, c.n*ld)
		for h := range c.heads {
			for i := range c.n {
				s := make([]float64, c.m)
				mx := math.Inf(-1)
				for j := range c.m {
					if c.causal && j > i {
						s[j] = math.Inf(-1)
						continue
					}
					for d := range c.dh {
						s[j] += float64(q[i*ld+h*c.dh+d]) * float64(k[j*ld+h*c.dh+d])
					}
					s[j] *= float64(scale)
					mx = math.Max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for d := range c.dh {
					var o float64
					for j := range c.m {
						o += s[j] / sum * float64(v[j*ld+h*c.dh+d])
					}
					want[i*ld+h*c.dh+d] = o
				}
			}
		}
		closeTo(t, "attention", got, want, 2e-5)
	}
}

func TestMaxAndScale(t *testing.T) {
	for _, n := range []int{1, 8, 13, 64, 77} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32((i*37)%n) - float32(n)/2
		}
		x[n/2] = 1000
		if m := maxOf(x); m != 1000 {
			t.Errorf("n=%d max %v", n, m)
		}
		scale(x, 0.5)
		if x[n/2] != 500 || (n > 1 && x[0] != (float32((0*37)%n)-float32(n)/2)*0.5) {
			t.Errorf("n=%d scale wrong", n)
		}
	}
}

func TestGELUInPlace(t *testing.T) {
	x := []float32{-6, -2.5, -1, -0.3, 0, 1e-4, 0.7, 1, 3, 8}
	want := make([]float64, len(x))
	for i, v := range x {
		want[i] = 0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2))
	}
	GELUInPlace(x)
	for i := range x {
		if d := math.Abs(float64(x[i]) - want[i]); d > 2e-7*math.Max(1, math.Abs(want[i])) {
			t.Errorf("GELU[%d] = %v want %v", i, x[i], want[i])
		}
	}
}

// TestPackedWeightsSurviveGC drops every reference but the packed weights
// and forces collections between uses: off-heap weight memory must stay
// valid while its owner is reachable.
func TestPackedWeightsSurviveGC(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	n, k, m := 300, 400, 7 // large enough to be allocated off-heap
	w := randSlice(r, n*k)
	x := randSlice(r, m*k)
	want := make([]float32, m*n)
	Linear(want, x, m, k, w, n, nil)
	pw := PackLinearWeight(w, n, k)
	for range 3 {
		runtime.GC()
		got := make([]float32, m*n)
		LinearPacked(got, x, m, pw, nil)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-3 {
				t.Fatalf("value %d: %v want %v", i, got[i], want[i])
			}
		}
	}
	for range 20 {
		_ = PackLinearWeight(w, n, k) // garbage: finalizers unmap it
		runtime.GC()
	}
}
