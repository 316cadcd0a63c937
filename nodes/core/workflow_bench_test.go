package core

import (
	"context"
	"os"
	"testing"

	"comfyd/models"
	"comfyd/models/builtin"
	"comfyd/nodes"
	"comfyd/paths"
	"comfyd/tensor"
)

// BenchmarkKSamplerPreviews measures the default KSampler (20 euler steps,
// 512x512 on the built-in model) with previews off and with latent2rgb
// previews on every step, to show what previews cost.
func BenchmarkKSamplerPreviews(b *testing.B) {
	ck, err := models.LoadBuiltin(context.Background(), builtin.Name)
	if err != nil {
		b.Fatal(err)
	}
	pos, _ := ck.CLIP.Encode(context.Background(), "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,")
	neg, _ := ck.CLIP.Encode(context.Background(), "text, watermark")
	dir, _ := os.MkdirTemp("", "bench")
	defer os.RemoveAll(dir)
	for _, method := range []string{"none", "latent2rgb"} {
		b.Run(method, func(b *testing.B) {
			ctx := &nodes.Context{Context: context.Background(), Reporter: &countingReporter{},
				Env: &nodes.Env{Folders: paths.New(dir), PreviewMethod: method}}
			in := nodes.Inputs{"model": ck.Model, "seed": int64(156680208700286), "steps": int64(20), "cfg": 8.0,
				"sampler_name": "euler", "scheduler": "normal", "positive": pos, "negative": neg,
				"latent_image": &nodes.Latent{Samples: tensor.New(1, 4, 64, 64)}, "denoise": 1.0}
			node := ksampler()
			for b.Loop() {
				if _, err := node.Run(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
