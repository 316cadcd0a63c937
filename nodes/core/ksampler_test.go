package core

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"comfyd/models/builtin"
	"comfyd/nodes"
	"comfyd/sampling"
	"comfyd/tensor"
)

func TestCheckpointLoaderSimple(t *testing.T) {
	ctx := testCtx(t)
	node := checkpointLoaderSimple()
	res, err := node.Run(ctx, nodes.Inputs{"ckpt_name": builtin.Name})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Outputs[0].(*sampling.Model); !ok || len(res.Outputs) != 3 {
		t.Fatalf("outputs %T", res.Outputs[0])
	}
	file := filepath.Join(ctx.Env.Folders.ModelDirs("checkpoints")[0], "real.safetensors")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	choices := node.Info(ctx.Env).Input["required"]["ckpt_name"].([]any)[0].([]any)
	if len(choices) != 2 || choices[0] != builtin.Name || choices[1] != "real.safetensors" {
		t.Errorf("choices %v: built-ins first, then files", choices)
	}
	if _, err := node.Run(ctx, nodes.Inputs{"ckpt_name": "real.safetensors"}); err == nil || !strings.Contains(err.Error(), "real.safetensors") {
		t.Errorf("a junk checkpoint file must fail naming the file: %v", err)
	}
	// A real SD1-layout checkpoint (the tiny random-weight fixture) loads
	// through the node.
	tiny, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", "sd1", "tiny_sd1_checkpoint.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "tiny.safetensors"), tiny, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = node.Run(ctx, nodes.Inputs{"ckpt_name": "tiny.safetensors"})
	if err != nil {
		t.Fatalf("tiny SD1 checkpoint: %v", err)
	}
	if m, ok := res.Outputs[0].(*sampling.Model); !ok || m.Net == nil || res.Outputs[1] == nil || res.Outputs[2] == nil {
		t.Fatalf("tiny SD1 checkpoint outputs %v", res.Outputs)
	}
	if _, err := node.Run(ctx, nodes.Inputs{"ckpt_name": "../escape.safetensors"}); err == nil {
		t.Error("escaping name accepted")
	}
}

func TestKSamplerAdvancedSplitEqualsWhole(t *testing.T) {
	ctx := testCtx(t)
	ck, _ := checkpointLoaderSimple().Run(ctx, nodes.Inputs{"ckpt_name": builtin.Name})
	model := ck.Outputs[0]
	clip := ck.Outputs[1]
	enc := func(text string) sampling.Conditioning {
		r, err := clipTextEncode().Run(ctx, nodes.Inputs{"text": text, "clip": clip})
		if err != nil {
			t.Fatal(err)
		}
		return r.Outputs[0].(sampling.Conditioning)
	}
	base := func() nodes.Inputs {
		return nodes.Inputs{"model": model, "add_noise": "enable", "noise_seed": uint64(1) << 63, "steps": int64(6), "cfg": 4.0,
			"sampler_name": "euler", "scheduler": "simple", "positive": enc("green square"), "negative": enc("red"),
			"latent_image":  &nodes.Latent{Samples: tensor.New(1, 4, 8, 8), BatchIndex: []int{3}},
			"start_at_step": int64(0), "end_at_step": int64(10000), "return_with_leftover_noise": "disable"}
	}
	node := ksamplerAdvanced()
	whole, err := node.Run(ctx, base())
	if err != nil {
		t.Fatal(err)
	}
	wl := whole.Outputs[0].(*nodes.Latent)
	if !slices.Equal(wl.BatchIndex, []int{3}) {
		t.Errorf("batch_index lost: %v", wl.BatchIndex)
	}
	first := base()
	first["end_at_step"] = int64(3)
	first["return_with_leftover_noise"] = "enable"
	half, err := node.Run(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	second := base()
	second["add_noise"] = "disable"
	second["start_at_step"] = int64(3)
	second["latent_image"] = half.Outputs[0]
	rest, err := node.Run(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	a, b := rest.Outputs[0].(*nodes.Latent).Samples, wl.Samples
	for i := range a.Data {
		if d := a.Data[i] - b.Data[i]; d > 1e-3 || d < -1e-3 {
			t.Fatalf("split run differs at %d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
	bad := base()
	bad["add_noise"] = "maybe"
	if _, err := node.Run(ctx, bad); err == nil {
		t.Error("add_noise \"maybe\" accepted")
	}
	// KSampler refuses a missing model with an error, not a panic.
	if _, err := ksampler().Run(&nodes.Context{Context: context.Background()}, nodes.Inputs{"model": (*sampling.Model)(nil)}); err == nil {
		t.Error("nil model accepted")
	}
}
