package builtin

import (
	"context"
	"fmt"
	"math"
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

func testNet(tb testing.TB) *posteriorNet {
	tb.Helper()
	ck := loadBuiltin(tb)
	return ck.Model.Net.(*posteriorNet)
}

func encodeOne(tb testing.TB, text string) *sampling.Cond {
	tb.Helper()
	c, err := bagOfWords{stopAt: 1}.Encode(context.Background(), text)
	if err != nil {
		tb.Fatal(err)
	}
	return &c[0]
}

// randomLatent is a deterministic pseudo-random latent with values of
// order scale.
func randomLatent(shape []int, scale float32, salt uint64) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = scale * float32(2*hash2(int64(i), 0, salt)-1)
	}
	return t
}

// referenceEps computes the denoiser's output for one row in float64
// straight from the definition: the posterior over the set with prior
// exp(lambda*score) given x = xc*sqrt(s^2+1), then (x - mean) / s.
func referenceEps(set *imageSet, xc []float32, s float64, scores []float32) []float64 {
	k := math.Sqrt(s*s + 1)
	logw := make([]float64, len(catalogue))
	best := math.Inf(-1)
	lambda := promptStrength * math.Sqrt(float64(set.per))
	for i := range logw {
		var d2 float64
		for j, v := range set.image(i) {
			d := k*float64(xc[j]) - float64(v)
			d2 += d * d
		}
		logw[i] = -d2 / (2 * s * s)
		if scores != nil {
			logw[i] += lambda * float64(scores[i])
		}
		best = math.Max(best, logw[i])
	}
	var total float64
	for i := range logw {
		logw[i] = math.Exp(logw[i] - best)
		total += logw[i]
	}
	out := make([]float64, len(xc))
	for i, w := range logw {
		for j, v := range set.image(i) {
			out[j] += w / total * float64(v)
		}
	}
	for j := range out {
		out[j] = (k*float64(xc[j]) - out[j]) / s
	}
	return out
}

// TestPosteriorMatchesReference checks the float32 blocked, parallel
// denoiser against a float64 evaluation of the definition, from sigma_max
// down to far below sigma_min, on inputs near a picture and far from all.
func TestPosteriorMatchesReference(t *testing.T) {
	net := testNet(t)
	ctx := context.Background()
	const h, w = 12, 20
	set, err := net.sets.get(ctx, h, w)
	if err != nil {
		t.Fatal(err)
	}
	cond := encodeOne(t, "a (red:0.6) circle, stripes")
	shape := []int{1, latentChannels, h, w}
	noise := randomLatent(shape, 1.7, 3)
	for _, s := range []float64{14.614641, 5, 1, 0.3, 0.0291675, 1e-3} {
		for _, near := range []int{-1, 0, 40} {
			x := tensor.New(shape...)
			for j := range x.Data {
				x.Data[j] = float32(s) * noise.Data[j]
				if near >= 0 {
					x.Data[j] += set.image(near)[j]
				}
			}
			xc := tensor.New(shape...)
			sampling.CalculateInput(xc, x, float32(s), sampling.EPS)
			got := tensor.New(shape...)
			if err := net.Apply(ctx, got, xc, []float32{0}, []float32{float32(s)}, cond); err != nil {
				t.Fatal(err)
			}
			want := referenceEps(set, xc.Data, float64(float32(s)), matchScores(cond.CrossAttn.Data))
			// Compare x0 predictions (what the sampler uses): eps error
			// times sigma. The bound is a few float32 ulps of |x|, which
			// is about 3 + 1.7 sigma here (measured: 2.9e-6 at sigma_max,
			// 2.6e-7 at sigma_min).
			var worst float64
			for j := range want {
				worst = math.Max(worst, math.Abs(float64(got.Data[j])-want[j])*s)
			}
			t.Logf("sigma %g near %d: worst x0 difference %.3g", s, near, worst)
			if worst > 2.5e-7*(3+2*s) {
				t.Errorf("sigma %g near %d: x0 differs from the float64 reference by %g", s, near, worst)
			}
		}
	}
}

func TestApplyFiniteAtExtremeSigmas(t *testing.T) {
	net := testNet(t)
	ctx := context.Background()
	shape := []int{2, latentChannels, 8, 8}
	cond := encodeOne(t, "blue waves")
	for _, s := range []float32{0, 1e-6, 1e-3, 0.0291675, 14.614641, 80, 1e4} {
		xc := randomLatent(shape, 1, 9)
		out := tensor.New(shape...)
		if err := net.Apply(ctx, out, xc, []float32{0, 0}, []float32{s, s}, cond); err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("sigma %g: non-finite eps %v", s, v)
			}
		}
	}
}

func TestApplyRejectsBadInput(t *testing.T) {
	net := testNet(t)
	ctx := context.Background()
	good := tensor.New(1, 4, 8, 8)
	wide := &sampling.Cond{CrossAttn: tensor.New(1, 77, 1024)}
	cases := []struct {
		name    string
		dst, xc *tensor.Tensor
		sigma   []float32
		cond    *sampling.Cond
	}{
		{"three channels", tensor.New(1, 3, 8, 8), tensor.New(1, 3, 8, 8), []float32{1}, nil},
		{"shape mismatch", tensor.New(1, 4, 8, 4), good, []float32{1}, nil},
		{"sigma count", tensor.New(1, 4, 8, 8), good, []float32{1, 2}, nil},
		{"NaN sigma", tensor.New(1, 4, 8, 8), good, []float32{float32(math.NaN())}, nil},
		{"negative sigma", tensor.New(1, 4, 8, 8), good, []float32{-1}, nil},
		{"SDXL-width conditioning", tensor.New(1, 4, 8, 8), good, []float32{1}, wide},
		{"huge latent", tensor.New(1, 4, 257, 256), tensor.New(1, 4, 257, 256), []float32{1}, nil},
	}
	for _, c := range cases {
		if err := net.Apply(ctx, c.dst, c.xc, make([]float32, len(c.sigma)), c.sigma, c.cond); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestMatchFromEmbedding checks that the denoiser gives identical results
// with the encoder's cached match, without it, and ignores a stale one.
func TestMatchFromEmbedding(t *testing.T) {
	net := testNet(t)
	ctx := context.Background()
	shape := []int{1, latentChannels, 8, 8}
	xc := randomLatent(shape, 1, 5)
	run := func(c *sampling.Cond) []float32 {
		out := tensor.New(shape...)
		if err := net.Apply(ctx, out, xc, []float32{0}, []float32{2}, c); err != nil {
			t.Fatal(err)
		}
		return out.Data
	}
	red := encodeOne(t, "red circle")
	blue := encodeOne(t, "blue square")
	cached := run(red)
	bare := *red
	bare.Extra = nil
	if !equalF32(cached, run(&bare)) {
		t.Error("result differs without the cached caption match")
	}
	stale := *red
	stale.Extra = blue.Extra // as a node copying extras but replacing the tensor
	if !equalF32(cached, run(&stale)) {
		t.Error("stale caption match from another tensor was used")
	}
	if equalF32(cached, run(blue)) {
		t.Error("different prompts gave identical eps")
	}
	// ConditioningZeroOut gives all zeros: no caption matches, like "".
	zero := sampling.Cond{CrossAttn: tensor.New(1, 77, embedDim)}
	if !equalF32(run(&zero), run(&sampling.Cond{})) {
		t.Error("zeroed conditioning is not the uniform prior")
	}
}

// TestConditioningAverageMixesMatch: a ComfyUI ConditioningAverage of two
// prompts (w*a + (1-w)*b) moves the caption match linearly between them.
func TestConditioningAverageMixesMatch(t *testing.T) {
	a, b := encodeOne(t, "red circle"), encodeOne(t, "blue square")
	sa, sb := matchScores(a.CrossAttn.Data), matchScores(b.CrossAttn.Data)
	mixed := tensor.New(a.CrossAttn.Shape...)
	for i := range mixed.Data {
		mixed.Data[i] = 0.25*a.CrossAttn.Data[i] + 0.75*b.CrossAttn.Data[i]
	}
	sm := matchScores(mixed.Data)
	for i := range sm {
		want := 0.25*sa[i] + 0.75*sb[i]
		if math.Abs(float64(sm[i]-want)) > 1e-4 {
			t.Fatalf("image %d: averaged match %v, want %v", i, sm[i], want)
		}
	}
}

func TestApplyAllocatesNothingWarm(t *testing.T) {
	net := testNet(t)
	ctx := context.Background()
	shape := []int{2, latentChannels, 16, 16}
	xc, out := randomLatent(shape, 1, 1), tensor.New(shape...)
	cond := encodeOne(t, "green triangle")
	bare := *cond
	bare.Extra = nil
	for _, c := range []*sampling.Cond{cond, &bare} {
		apply := func() {
			if err := net.Apply(ctx, out, xc, []float32{0, 0}, []float32{3, 3}, c); err != nil {
				t.Fatal(err)
			}
		}
		apply()
		if n := testing.AllocsPerRun(20, apply); n != 0 {
			t.Errorf("warm Apply allocates %v times per call", n)
		}
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestConcurrentApply: calls on one model from several goroutines (two
// prompts executing at once) give the same results as one at a time.
func TestConcurrentApply(t *testing.T) {
	net := testNet(t)
	ctx := context.Background()
	shape := []int{1, latentChannels, 12, 20}
	conds := []*sampling.Cond{encodeOne(t, "red"), encodeOne(t, "waves"), nil}
	xs := make([]*tensor.Tensor, len(conds))
	want := make([]*tensor.Tensor, len(conds))
	for i, c := range conds {
		xs[i] = randomLatent(shape, 1, uint64(i))
		want[i] = tensor.New(shape...)
		if err := net.Apply(ctx, want[i], xs[i], []float32{0}, []float32{1.5}, c); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 3*len(conds))
	for range 3 {
		for i, c := range conds {
			go func() {
				out := tensor.New(shape...)
				for range 10 {
					if err := net.Apply(ctx, out, xs[i], []float32{0}, []float32{1.5}, c); err != nil {
						errs <- err
						return
					}
					if !equalF32(out.Data, want[i].Data) {
						errs <- fmt.Errorf("cond %d: concurrent result differs", i)
						return
					}
				}
				errs <- nil
			}()
		}
	}
	for range 3 * len(conds) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
