package sampling_test

import (
	"context"
	"math"
	"testing"

	"comfyd/sampling"
	"comfyd/sampling/analytic"
	"comfyd/tensor"
)

func testLatent(shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(i%17)/4 - 2
	}
	return x
}

// predict runs apply_model for one cond by hand (spec 1.5).
func predict(t *testing.T, m *sampling.Model, x *tensor.Tensor, sigma float32, c sampling.Cond) *tensor.Tensor {
	t.Helper()
	xc, raw, out := tensor.New(x.Shape...), tensor.New(x.Shape...), tensor.New(x.Shape...)
	kind := m.Sampling.Kind()
	sampling.CalculateInput(xc, x, sigma, kind)
	sig := make([]float32, x.Shape[0])
	ts := make([]float32, x.Shape[0])
	for i := range sig {
		sig[i], ts[i] = sigma, m.Sampling.Timestep(sigma)
	}
	if err := m.Net.Apply(t.Context(), raw, xc, ts, sig, &c); err != nil {
		t.Fatal(err)
	}
	sampling.CalculateDenoised(out, raw, x, sigma, kind)
	return out
}

func TestGuiderCFG(t *testing.T) {
	m, _ := analytic.NewModel("sd1_eps")
	x := testLatent(2, 4, 8, 8)
	const sigma = 3.5
	p := predict(t, m, x, sigma, analytic.Cond(analytic.Positive))
	n := predict(t, m, x, sigma, analytic.Cond(analytic.Negative))
	for _, cfg := range []float64{1, 7.5} {
		g := sampling.NewGuider(m, analytic.Conditioning(analytic.Positive), analytic.Conditioning(analytic.Negative), cfg)
		got, unc := tensor.New(x.Shape...), tensor.New(x.Shape...)
		if err := g.Denoise(got, nil, x, sigma); err != nil {
			t.Fatal(err)
		}
		for i := range got.Data {
			u := n.Data[i]
			if cfg == 1 {
				u = 0 // cfg 1 skips the negative pass
			}
			if want := u + float32((p.Data[i]-u)*float32(cfg)); got.Data[i] != want {
				t.Fatalf("cfg %v: D[%d] = %v, want %v", cfg, i, got.Data[i], want)
			}
		}
		if err := g.Denoise(got, unc, x, sigma); err != nil {
			t.Fatal(err)
		}
		if unc.Data[5] != n.Data[5] {
			t.Fatalf("cfg %v: uncond not computed when requested", cfg)
		}
		if g.Evals != 2 {
			t.Fatalf("Evals = %d", g.Evals)
		}
	}
}

// Two identical full-frame conds, one as a full-size area: the weighted
// average must equal the single prediction.
func TestGuiderAreaWeights(t *testing.T) {
	m, _ := analytic.NewModel("sd1_eps")
	x := testLatent(1, 4, 16, 16)
	const sigma = 1.25
	p := predict(t, m, x, sigma, analytic.Cond(analytic.Positive))
	full := analytic.Cond(analytic.Positive)
	full.Area = &sampling.Area{Height: 16, Width: 16}
	half := analytic.Cond(analytic.Positive)
	half.Strength = 0.5
	pos := sampling.Conditioning{analytic.Cond(analytic.Positive), full, half}
	g := sampling.NewGuider(m, pos, analytic.Conditioning(analytic.Negative), 1)
	got := tensor.New(x.Shape...)
	if err := g.Denoise(got, nil, x, sigma); err != nil {
		t.Fatal(err)
	}
	for i := range got.Data {
		if d := got.Data[i] - p.Data[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("D[%d] = %v, want %v", i, got.Data[i], p.Data[i])
		}
	}
	// A corner area only changes its own pixels, feathered at inner edges.
	corner := analytic.Cond(analytic.Negative)
	corner.Area = &sampling.Area{Height: 8, Width: 8, Y: 8, X: 8}
	g = sampling.NewGuider(m, sampling.Conditioning{analytic.Cond(analytic.Positive), corner}, analytic.Conditioning(analytic.Negative), 1)
	if err := g.Denoise(got, nil, x, sigma); err != nil {
		t.Fatal(err)
	}
	if got.Data[0] != p.Data[0] {
		t.Fatalf("pixel outside the area changed: %v vs %v", got.Data[0], p.Data[0])
	}
	if in := 15*16 + 15; got.Data[in] == p.Data[in] {
		t.Fatal("pixel inside the area unchanged")
	}
}

func TestGuiderRejectsUntaggedCond(t *testing.T) {
	m, _ := analytic.NewModel("sd1_eps")
	g := sampling.NewGuider(m, sampling.Conditioning{{Strength: 1}}, nil, 1)
	x := testLatent(1, 4, 8, 8)
	if err := g.Denoise(tensor.New(x.Shape...), nil, x, 1); err == nil {
		t.Fatal("want an error for a cond without a prior")
	}
}

// A percentage area resolves to the same latent rectangle as the explicit
// one (Python round, half to even), and the uncond side gets a same-area
// copy either way, so the guided predictions are identical.
func TestGuiderPercentageArea(t *testing.T) {
	m, _ := analytic.NewModel("sd1_eps")
	x := testLatent(1, 4, 16, 16)
	run := func(a *sampling.Area) []float32 {
		c := analytic.Cond(analytic.Positive)
		c.Area = a
		g := sampling.NewGuider(m, sampling.Conditioning{analytic.Cond(analytic.Positive), c}, analytic.Conditioning(analytic.Negative), 6)
		out := tensor.New(x.Shape...)
		if err := g.Denoise(out, nil, x, 2); err != nil {
			t.Fatal(err)
		}
		return out.Data
	}
	explicit := run(&sampling.Area{Height: 8, Width: 4, Y: 4, X: 8})
	percent := run(&sampling.Area{Percentage: true, PH: 0.5, PW: 0.25, PY: 0.25, PX: 0.5})
	for i := range explicit {
		if explicit[i] != percent[i] {
			t.Fatalf("value %d: explicit %v, percentage %v", i, explicit[i], percent[i])
		}
	}
}

// A masked cond weighs in only where its mask is set: with a full-frame
// cond beside it, the prediction is the plain one outside the mask and the
// average of both inside (mask given at pixel resolution, resized).
func TestGuiderMaskedCond(t *testing.T) {
	m, _ := analytic.NewModel("sd1_eps")
	x := testLatent(1, 4, 8, 8)
	const sigma = 0.8
	p := predict(t, m, x, sigma, analytic.Cond(analytic.Positive))
	n := predict(t, m, x, sigma, analytic.Cond(analytic.Negative))
	masked := analytic.Cond(analytic.Negative)
	masked.Mask = tensor.New(1, 64, 64)
	masked.MaskStrength = 1 // ConditioningSetMask's default
	for y := range 64 {
		for xx := range 32 {
			masked.Mask.Data[y*64+xx] = 1
		}
	}
	g := sampling.NewGuider(m, sampling.Conditioning{analytic.Cond(analytic.Positive), masked}, analytic.Conditioning(analytic.Negative), 1)
	got := tensor.New(x.Shape...)
	if err := g.Denoise(got, nil, x, sigma); err != nil {
		t.Fatal(err)
	}
	for c := range 4 {
		for y := range 8 {
			in, out := (c*8+y)*8+1, (c*8+y)*8+6
			if want := (p.Data[in] + n.Data[in]) / 2; math.Abs(float64(got.Data[in]-want)) > 1e-6 {
				t.Fatalf("inside the mask: %v, want %v", got.Data[in], want)
			}
			if got.Data[out] != p.Data[out] {
				t.Fatalf("outside the mask: %v, want %v", got.Data[out], p.Data[out])
			}
		}
	}
}

// A cond of strength 0 (ConditioningSetArea allows it) weighs nothing: the
// prediction equals the one without it.
func TestGuiderZeroStrengthCond(t *testing.T) {
	m, _ := analytic.NewModel("sd1_eps")
	x := testLatent(1, 4, 16, 16)
	run := func(pos sampling.Conditioning) []float32 {
		g := sampling.NewGuider(m, pos, analytic.Conditioning(analytic.Negative), 6)
		out := tensor.New(x.Shape...)
		if err := g.Denoise(out, nil, x, 2); err != nil {
			t.Fatal(err)
		}
		return out.Data
	}
	zero := analytic.Cond(analytic.Negative)
	zero.Strength = 0
	alone := run(analytic.Conditioning(analytic.Positive))
	with := run(sampling.Conditioning{analytic.Cond(analytic.Positive), zero})
	for i := range alone {
		if alone[i] != with[i] {
			t.Fatalf("value %d: %v alone, %v beside a strength-0 cond", i, alone[i], with[i])
		}
	}
}

// countingNet counts the latent rows the network evaluates.
type countingNet struct {
	sampling.DiffusionModel
	rows int
}

func (c *countingNet) Apply(ctx context.Context, dst, xc *tensor.Tensor, timestep, sigma []float32, cond *sampling.Cond) error {
	c.rows += xc.Shape[0]
	return c.DiffusionModel.Apply(ctx, dst, xc, timestep, sigma, cond)
}

// cfg == 1 skips the negative pass (one row per latent row) unless the
// unconditional prediction is asked for (the CFG++ samplers) or the model
// disables the shortcut; any other cfg runs both passes.
func TestGuiderCFG1SkipsTheNegativePass(t *testing.T) {
	x := testLatent(2, 4, 8, 8)
	cases := []struct {
		name    string
		cfg     float64
		uncond  bool
		disable bool
		rows    int
	}{
		{"cfg 1", 1, false, false, 2},
		{"cfg 1, uncond requested", 1, true, false, 4},
		{"cfg 1, optimisation disabled", 1, false, true, 4},
		{"cfg 7.5", 7.5, false, false, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := analytic.NewModel("sd1_eps")
			net := &countingNet{DiffusionModel: m.Net}
			m.Net = net
			m.DisableCFG1Optimization = c.disable
			g := sampling.NewGuider(m, analytic.Conditioning(analytic.Positive), analytic.Conditioning(analytic.Negative), c.cfg)
			var unc *tensor.Tensor
			if c.uncond {
				unc = tensor.New(x.Shape...)
			}
			if err := g.Denoise(tensor.New(x.Shape...), unc, x, 2); err != nil {
				t.Fatal(err)
			}
			if net.rows != c.rows {
				t.Fatalf("network evaluated %d rows, want %d", net.rows, c.rows)
			}
		})
	}
}
