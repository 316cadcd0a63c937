package models

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"comfyd/models/safetensors"
	"comfyd/sampling"
	"comfyd/tensor"
)

func readGoldenJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(), name))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func openGolden(t testing.TB, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(goldenDir(), name))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func goldenTensor(t testing.TB, f *safetensors.File, name string) *tensor.Tensor {
	t.Helper()
	x, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// loadTiny loads the tiny checkpoint with the fixture's head counts (the
// keys cannot tell them).
func loadTiny(t testing.TB) *Checkpoint {
	t.Helper()
	var unetInfo struct {
		Config struct {
			NumHeads int `json:"num_heads"`
		} `json:"config"`
	}
	var clipInfo struct {
		Config struct {
			Heads int `json:"num_attention_heads"`
		} `json:"config"`
	}
	readGoldenJSON(t, "unet_tiny_info.json", &unetInfo)
	readGoldenJSON(t, "clip_tiny_info.json", &clipInfo)
	ck, err := LoadCheckpointFileWith(context.Background(), filepath.Join(goldenDir(), "tiny_sd1_checkpoint.safetensors"),
		CheckpointOptions{UNetHeads: unetInfo.Config.NumHeads, CLIPHeads: clipInfo.Config.Heads})
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func maxAbs(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

func checkRel(t testing.TB, what string, got []float32, want *tensor.Tensor, rel, abs float64) {
	t.Helper()
	if len(got) != len(want.Data) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want.Data))
	}
	ref := maxAbs(want.Data)
	worst := 0.0
	for i, w := range want.Data {
		d := math.Abs(float64(got[i]) - float64(w))
		// A NaN stays the worst: no later finite difference may hide it.
		if d > worst || math.IsNaN(d) {
			worst = d
		}
		if math.IsNaN(worst) {
			break
		}
	}
	tol := rel*ref + abs
	t.Logf("%s: max diff %.3g (%.3g of max|ref| %.3g), tolerance %.3g", what, worst, worst/ref, ref, tol)
	if !(worst <= tol) {
		t.Errorf("%s: max diff %.3g exceeds %.3g", what, worst, tol)
	}
}

// TestApplyModelGolden checks one BaseModel.apply_model call through the
// sampling Guider path's pieces: c_in scaling, integer timestep, eps to x0.
// The fixture's batch is [cond, uncond] (row 1 matches only the uncond).
func TestApplyModelGolden(t *testing.T) {
	ck := loadTiny(t)
	io := openGolden(t, "sample_tiny_io.safetensors")
	x := goldenTensor(t, io, "apply.x")
	sig := goldenTensor(t, io, "apply.sigma")
	conds := []*tensor.Tensor{goldenTensor(t, io, "cond"), goldenTensor(t, io, "uncond")}
	n := x.Shape[0]
	per := x.Numel() / n
	out := make([]float32, 0, x.Numel())
	for b := range n {
		xb := tensor.FromData(append([]float32(nil), x.Data[b*per:(b+1)*per]...), append([]int{1}, x.Shape[1:]...)...)
		s := sig.Data[b]
		ts := ck.Model.Sampling.Timestep(s)
		if want := goldenTensor(t, io, "apply.timestep").Data[b]; ts != want {
			t.Errorf("timestep(%v) = %v, want %v", s, ts, want)
		}
		xc := tensor.New(xb.Shape...)
		sampling.CalculateInput(xc, xb, s, sampling.EPS)
		eps := tensor.New(xb.Shape...)
		if err := ck.Model.Net.Apply(context.Background(), eps, xc, []float32{ts}, []float32{s}, &sampling.Cond{CrossAttn: conds[b%2]}); err != nil {
			t.Fatal(err)
		}
		den := tensor.New(xb.Shape...)
		sampling.CalculateDenoised(den, eps, xb, s, sampling.EPS)
		out = append(out, den.Data...)
	}
	checkRel(t, "apply.denoised", out, goldenTensor(t, io, "apply.denoised_f64"), 2e-5, 1e-6)
}

// TestKSamplerGolden runs every sampler fixture through sampling.KSampler
// (ComfyUI's KSampler node path) with seed 42.
func TestKSamplerGolden(t *testing.T) {
	ck := loadTiny(t)
	io := openGolden(t, "sample_tiny_io.safetensors")
	var info struct {
		Runs []struct {
			Name, Sampler, Scheduler string
			Steps                    int
			CFG                      float64
			Denoise                  float64
			LatentImage              string `json:"latent_image"`
		} `json:"runs"`
	}
	readGoldenJSON(t, "sample_tiny_info.json", &info)
	if len(info.Runs) == 0 {
		t.Fatal("no sampler runs in the fixture")
	}
	pos := sampling.Conditioning{{CrossAttn: goldenTensor(t, io, "cond"), Strength: 1}}
	neg := sampling.Conditioning{{CrossAttn: goldenTensor(t, io, "uncond"), Strength: 1}}
	for _, r := range info.Runs {
		t.Run(r.Name, func(t *testing.T) {
			latent := tensor.New(1, 4, 8, 8)
			if r.LatentImage == "given_latent" {
				latent = goldenTensor(t, io, "given_latent")
			}
			res, err := sampling.KSampler(context.Background(), sampling.NodeInputs{
				Model: ck.Model, Positive: pos, Negative: neg, Latent: latent,
				Seed: 42, Steps: r.Steps, CFG: r.CFG, Sampler: r.Sampler, Scheduler: r.Scheduler,
			}, r.Denoise)
			if err != nil {
				t.Fatal(err)
			}
			checkRel(t, "noise", res.Noise.Data, goldenTensor(t, io, "run."+r.Name+".noise"), 0, 0)
			checkRel(t, "sigmas", res.Sigmas, goldenTensor(t, io, "run."+r.Name+".sigmas"), 0, 0)
			checkRel(t, "out", res.Output.Data, goldenTensor(t, io, "run."+r.Name+".out_f64"), 5e-5, 0)
		})
	}
}

func TestCLIPAndVAEThroughCheckpoint(t *testing.T) {
	SetTokenizerDir(filepath.Join("..", "..", "shared", "golden", "sd1", "tokenizer"))
	if d := os.Getenv("COMFYD_TOKENIZER_DIR"); d != "" {
		SetTokenizerDir(d)
	}
	defer SetTokenizerDir("")
	ck := loadTiny(t)
	clipIO := openGolden(t, "clip_tiny_io.safetensors")
	for _, c := range []struct {
		layer int
		key   string
	}{{-1, "enc.p0.skip1"}, {-2, "enc.p0.skip2"}} {
		clip, err := ck.CLIP.WithLastLayer(c.layer)
		if err != nil {
			t.Fatal(err)
		}
		cond, err := clip.Encode(context.Background(), "a photo of a cat")
		if err != nil {
			t.Fatal(err)
		}
		checkRel(t, c.key+".cond", cond[0].CrossAttn.Data, goldenTensor(t, clipIO, c.key+".cond"), 2e-5, 1e-6)
		checkRel(t, c.key+".pooled", cond[0].Pooled.Data, goldenTensor(t, clipIO, c.key+".pooled"), 2e-5, 1e-6)
	}
	if _, err := ck.CLIP.WithLastLayer(0); err == nil {
		t.Error("WithLastLayer(0) should fail")
	}
	vaeIO := openGolden(t, "vae_tiny_io.safetensors")
	img, err := ck.VAE.Decode(context.Background(), goldenTensor(t, vaeIO, "latent"))
	if err != nil {
		t.Fatal(err)
	}
	checkRel(t, "decode_image", img.Data, goldenTensor(t, vaeIO, "decode_image_f64"), 2e-5, 1e-6)
	if ck.VAE.LatentChannels() != 4 {
		t.Errorf("latent channels %d", ck.VAE.LatentChannels())
	}
}

func TestMissingTokenizerIsAClearError(t *testing.T) {
	t.Setenv("COMFYD_TOKENIZER_DIR", filepath.Join(t.TempDir(), "missing"))
	SetTokenizerDir("")
	ck := loadTiny(t)
	_, err := ck.CLIP.Encode(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadCheckpointFileRejectsOtherFamilies(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, keys map[string][]int) string {
		ts := map[string]*tensor.Tensor{}
		for k, s := range keys {
			ts[k] = tensor.New(s...)
		}
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, ts, nil, true); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		keys map[string][]int
		want string
	}{
		{"sdxl.safetensors", map[string][]int{
			"model.diffusion_model.input_blocks.0.0.weight":                                 {8, 4, 3, 3},
			"model.diffusion_model.label_emb.0.0.weight":                                    {8, 8},
			"model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": {8, 2048},
		}, "SDXL checkpoints are not supported yet"},
		{"flux.safetensors", map[string][]int{"double_blocks.0.img_attn.norm.key_norm.scale": {4}}, "Flux checkpoints are not supported yet"},
		{"vae.safetensors", map[string][]int{"encoder.conv_in.weight": {4, 3, 3, 3}}, "not a recognised"},
	}
	for _, c := range cases {
		_, err := LoadCheckpointFile(context.Background(), write(c.name, c.keys))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := LoadCheckpointFile(context.Background(), filepath.Join(dir, "model.ckpt")); err == nil || !strings.Contains(err.Error(), ".safetensors") {
		t.Errorf("ckpt: err = %v", err)
	}
	if _, err := LoadCheckpointFile(context.Background(), filepath.Join(dir, "absent.safetensors")); err == nil {
		t.Error("missing file: want an error")
	}
}

// checkRel must fail on a NaN anywhere, not only in the last element.
func TestCheckRelCatchesNaN(t *testing.T) {
	want := tensor.FromData([]float32{1, 1, 1}, 3)
	rec := &failureRecorder{TB: t}
	checkRel(rec, "nan first", []float32{float32(math.NaN()), 1, 1}, want, 1e-3, 0)
	if !rec.failed {
		t.Fatal("a NaN before finite values passed checkRel")
	}
}

// failureRecorder notes Errorf calls instead of failing the test.
type failureRecorder struct {
	testing.TB
	failed bool
}

func (r *failureRecorder) Helper()               {}
func (r *failureRecorder) Logf(string, ...any)   {}
func (r *failureRecorder) Errorf(string, ...any) { r.failed = true }
