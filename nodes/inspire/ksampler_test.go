package inspire

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"comfyd/models"
	"comfyd/models/builtin"
	"comfyd/nodes"
	"comfyd/paths"
	"comfyd/sampling"
	"comfyd/tensor"
)

// recorder counts what a node reports and can cancel the run at a step.
type recorder struct {
	progress [][2]int
	previews int
	cancelAt int
	cancel   context.CancelFunc
}

func (r *recorder) Progress(v, m int) {
	r.progress = append(r.progress, [2]int{v, m})
	if r.cancel != nil && v == r.cancelAt {
		r.cancel()
	}
}
func (r *recorder) Preview(format string, data []byte) {
	if format == "JPEG" && len(data) > 2 && data[0] == 0xff && data[1] == 0xd8 {
		r.previews++
	}
}

type fixture struct {
	ck       *models.Checkpoint
	pos, neg sampling.Conditioning
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ck, err := models.LoadBuiltin(context.Background(), builtin.Name)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := ck.CLIP.Encode(context.Background(), "a red circle")
	if err != nil {
		t.Fatal(err)
	}
	neg, err := ck.CLIP.Encode(context.Background(), "text, watermark")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ck: ck, pos: pos, neg: neg}
}

// ctx has previews on only when the recorder is there to count them
// (each is a 512x512 JPEG, the slowest part of these tiny runs).
func (f *fixture) ctx(t *testing.T, rec *recorder) *nodes.Context {
	c := &nodes.Context{Context: context.Background(),
		Env: &nodes.Env{Folders: paths.New(t.TempDir()), PreviewMethod: "none", NoiseDevice: "cuda"}}
	if rec != nil {
		c.Reporter, c.Env.PreviewMethod = rec, "latent2rgb"
	}
	return c
}

// inputs are a KSampler (inspire) call on a batch of 8x8 latents.
func (f *fixture) inputs(batch int, sampler, noiseMode, batchMode string) nodes.Inputs {
	return nodes.Inputs{
		"model": f.ck.Model, "seed": int64(1234), "steps": int64(4), "cfg": 6.0,
		"sampler_name": sampler, "scheduler": "karras",
		"positive": f.pos, "negative": f.neg,
		"latent_image": &nodes.Latent{Samples: tensor.New(batch, 4, 8, 8)},
		"denoise":      1.0, "noise_mode": noiseMode, "batch_seed_mode": batchMode,
		"variation_seed": int64(77), "variation_strength": 0.0,
	}
}

func run(t *testing.T, ctx *nodes.Context, c *nodes.Class, in nodes.Inputs) *tensor.Tensor {
	t.Helper()
	res, err := c.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	l := res.Outputs[0].(*nodes.Latent)
	for _, v := range l.Samples.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite output")
		}
	}
	return l.Samples
}

func rows(t *tensor.Tensor, i int) []float32 { return t.Row(i).Data }

func TestKSamplerInspireEveryNoiseAndBatchSeedMode(t *testing.T) {
	f := newFixture(t)
	node := ksamplerInspire()
	for _, mode := range sampling.InspireNoiseModes {
		for _, bmode := range BatchSeedModes {
			rec := &recorder{}
			in := f.inputs(2, "euler_ancestral", mode, bmode)
			in["internal_seed"] = int64(99)
			out := run(t, f.ctx(t, rec), node, in)
			if !tensor.EqualShape(out.Shape, []int{2, 4, 8, 8}) {
				t.Fatalf("%s/%s: shape %v", mode, bmode, out.Shape)
			}
			// Every step reports progress 1..4 of 4 and a JPEG preview.
			if len(rec.progress) != 4 || rec.progress[3] != [2]int{4, 4} || rec.previews != 4 {
				t.Errorf("%s/%s: progress %v, %d previews", mode, bmode, rec.progress, rec.previews)
			}
			again := run(t, f.ctx(t, nil), node, in)
			if !slices.Equal(out.Data, again.Data) {
				t.Errorf("%s/%s: not deterministic", mode, bmode)
			}
		}
	}
}

// probeNet predicts eps = x/4: unlike the built-in model, whose posterior
// mean snaps to one of its pictures, its output moves with every change of
// the initial or internal noise, which the wiring tests need.
type probeNet struct{}

func (probeNet) Apply(ctx context.Context, dst, xc *tensor.Tensor, timestep, sigma []float32, c *sampling.Cond) error {
	for i, v := range xc.Data {
		dst.Data[i] = v / 4
	}
	return nil
}

// probe swaps the built-in network for probeNet (same sampling and format).
func (f *fixture) probe() *fixture {
	m := *f.ck.Model
	m.Net = probeNet{}
	ck := *f.ck
	ck.Model = &m
	return &fixture{ck: &ck, pos: f.pos, neg: f.neg}
}

func TestKSamplerInspireModesChangeTheNoise(t *testing.T) {
	f := newFixture(t).probe()
	node := ksamplerInspire()
	ctx := f.ctx(t, nil)
	out := func(mode, bmode string) *tensor.Tensor {
		in := f.inputs(2, "euler_ancestral", mode, bmode)
		in["internal_seed"] = int64(99)
		return run(t, ctx, node, in)
	}
	for _, pair := range [][4]string{
		{"GPU(=A1111)", "incremental", "CPU", "incremental"},
		{"GPU(=A1111)", "incremental", "GPU+internal_seed", "incremental"},
		{"CPU", "incremental", "CPU+internal_seed", "incremental"},
		{"GPU(=A1111)", "incremental", "GPU(=A1111)", "comfy"},
		{"CPU", "incremental", "CPU", "comfy"},
		{"GPU(=A1111)", "variation str inc:0.01", "GPU(=A1111)", "variation str inc:0.05"},
	} {
		if slices.Equal(out(pair[0], pair[1]).Data, out(pair[2], pair[3]).Data) {
			t.Errorf("%s/%s and %s/%s gave the same latent", pair[0], pair[1], pair[2], pair[3])
		}
	}
}

// TestKSamplerInspireSeedSemantics checks the relations spec 5 and 6
// promise, with euler (no internal noise) where only the initial noise
// matters.
func TestKSamplerInspireSeedSemantics(t *testing.T) {
	f := newFixture(t).probe()
	node := ksamplerInspire()
	ctx := f.ctx(t, nil)
	for _, mode := range []string{"GPU(=A1111)", "CPU"} {
		// incremental: batch row i is seeded seed+i.
		batch := run(t, ctx, node, f.inputs(2, "euler", mode, "incremental"))
		one := f.inputs(1, "euler", mode, "incremental")
		one["seed"] = int64(1235)
		single := run(t, ctx, node, one)
		if !slices.Equal(rows(batch, 1), rows(single, 0)) {
			t.Errorf("%s: incremental row 1 differs from a batch of one seeded seed+1", mode)
		}
		// variation str inc with strength 0: row 0 is the plain seed draw.
		vinc := run(t, ctx, node, f.inputs(2, "euler", mode, "variation str inc:0.05"))
		if !slices.Equal(rows(vinc, 0), rows(batch, 0)) || slices.Equal(rows(vinc, 1), rows(vinc, 0)) {
			t.Errorf("%s: variation str inc rows wrong", mode)
		}
	}
	// internal_seed only matters in the +internal_seed modes, and equal to
	// seed it reproduces the plain mode.
	anc := func(mode string, internal int64) *tensor.Tensor {
		in := f.inputs(1, "euler_ancestral", mode, "incremental")
		in["internal_seed"] = internal
		return run(t, ctx, node, in)
	}
	if !slices.Equal(anc("GPU(=A1111)", 5).Data, anc("GPU(=A1111)", 6).Data) {
		t.Error("internal_seed changed GPU(=A1111) mode")
	}
	if !slices.Equal(anc("GPU+internal_seed", 1234).Data, anc("GPU(=A1111)", 0).Data) {
		t.Error("GPU+internal_seed with internal_seed == seed differs from GPU(=A1111)")
	}
	if slices.Equal(anc("GPU+internal_seed", 5).Data, anc("GPU+internal_seed", 6).Data) {
		t.Error("internal_seed has no effect in GPU+internal_seed mode")
	}
	// Without the optional input the seed is used.
	in := f.inputs(1, "euler_ancestral", "GPU+internal_seed", "incremental")
	if !slices.Equal(run(t, ctx, node, in).Data, anc("GPU(=A1111)", 0).Data) {
		t.Error("absent internal_seed does not fall back to seed")
	}
	// slerp and linear variation differ once there is a variation.
	lin := f.inputs(1, "euler", "CPU", "comfy")
	lin["variation_strength"] = 0.5
	sl := f.inputs(1, "euler", "CPU", "comfy")
	sl["variation_strength"] = 0.5
	sl["variation_method"] = "slerp"
	if slices.Equal(run(t, ctx, node, lin).Data, run(t, ctx, node, sl).Data) {
		t.Error("variation_method has no effect")
	}
}

func TestKSamplerInspireSchedulerFuncAndDenoise(t *testing.T) {
	f := newFixture(t)
	node := ksamplerInspire()
	ctx := f.ctx(t, nil)
	karras, err := sampling.LookupScheduler("karras")
	if err != nil {
		t.Fatal(err)
	}
	plain := f.inputs(1, "euler", "CPU", "comfy")
	plain["scheduler"] = "normal"
	viaFunc := f.inputs(1, "euler", "CPU", "comfy")
	viaFunc["scheduler"] = "normal"
	viaFunc["scheduler_func_opt"] = karras
	byName := f.inputs(1, "euler", "CPU", "comfy")
	if !slices.Equal(run(t, ctx, node, viaFunc).Data, run(t, ctx, node, byName).Data) ||
		slices.Equal(run(t, ctx, node, viaFunc).Data, run(t, ctx, node, plain).Data) {
		t.Error("scheduler_func_opt does not replace the scheduler")
	}
	zero := f.inputs(1, "euler", "CPU", "comfy")
	zero["denoise"] = 0.0
	if _, err := node.Run(ctx, zero); err == nil {
		t.Error("denoise 0 accepted")
	}
	for _, s := range []string{"AYS SD1", "GITS[coeff=1.2]"} {
		in := f.inputs(1, "euler", "CPU", "comfy")
		in["scheduler"] = s
		run(t, ctx, node, in)
	}
}

func TestKSamplerAdvancedInspire(t *testing.T) {
	f := newFixture(t)
	node := ksamplerAdvancedInspire()
	ctx := f.ctx(t, nil)
	base := func() nodes.Inputs {
		in := f.inputs(1, "euler", "GPU(=A1111)", "incremental")
		in["noise_seed"] = in["seed"]
		delete(in, "seed")
		delete(in, "denoise")
		in["add_noise"] = true
		in["start_at_step"] = int64(0)
		in["end_at_step"] = int64(10000)
		in["return_with_leftover_noise"] = false
		return in
	}
	full := run(t, ctx, node, base())
	simple := run(t, ctx, ksamplerInspire(), f.inputs(1, "euler", "GPU(=A1111)", "incremental"))
	if !slices.Equal(full.Data, simple.Data) {
		t.Error("advanced over the whole schedule differs from KSampler (inspire)")
	}
	// Two halves with leftover noise make the whole run.
	first := base()
	first["end_at_step"] = int64(2)
	first["return_with_leftover_noise"] = true
	half := run(t, ctx, node, first)
	second := base()
	second["add_noise"] = false
	second["start_at_step"] = int64(2)
	second["latent_image"] = &nodes.Latent{Samples: half}
	rest := run(t, ctx, node, second)
	var maxd float64
	for i := range rest.Data {
		maxd = max(maxd, math.Abs(float64(rest.Data[i]-full.Data[i])))
	}
	if maxd > 1e-3 {
		t.Errorf("split run differs from the whole run by %g", maxd)
	}
	withNoise := base()
	withNoise["noise_opt"] = tensor.New(1, 4, 8, 8)
	if _, err := node.Run(ctx, withNoise); err == nil {
		t.Error("noise_opt silently ignored")
	}
}

func TestKSamplerInspireInterrupt(t *testing.T) {
	f := newFixture(t)
	cctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{cancelAt: 2, cancel: cancel}
	ctx := f.ctx(t, rec)
	ctx.Context = cctx
	in := f.inputs(1, "euler", "CPU", "comfy")
	in["steps"] = int64(50)
	_, err := ksamplerInspire().Run(ctx, in)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(rec.progress) > 3 {
		t.Errorf("ran %d steps after the interrupt at step 2", len(rec.progress)-2)
	}
}

func TestRandomNoiseInspire(t *testing.T) {
	in := nodes.Inputs{"noise_seed": int64(5), "noise_mode": "CPU", "batch_seed_mode": "incremental",
		"variation_seed": int64(0), "variation_strength": 0.0}
	res, err := randomNoiseInspire().Run(&nodes.Context{Context: context.Background()}, in)
	if err != nil {
		t.Fatal(err)
	}
	n := res.Outputs[0].(nodes.Noise)
	if n.Seed() != 5 {
		t.Errorf("internal seed %d, want noise_seed 5", n.Seed())
	}
	a, err := n.Generate(tensor.New(2, 4, 8, 8), nil)
	if err != nil || !tensor.EqualShape(a.Shape, []int{2, 4, 8, 8}) {
		t.Fatalf("%v %v", a, err)
	}
	in["internal_seed"] = int64(9)
	in["noise_mode"] = "GPU(=A1111)"
	res, _ = randomNoiseInspire().Run(&nodes.Context{Context: context.Background()}, in)
	n = res.Outputs[0].(nodes.Noise)
	b, _ := n.Generate(tensor.New(2, 4, 8, 8), nil)
	if n.Seed() != 9 || slices.Equal(a.Data, b.Data) {
		t.Error("internal_seed or noise_mode ignored")
	}
}
