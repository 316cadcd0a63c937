package builtin

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

// benchApply measures one denoiser call on a 64x64 latent (a 512x512
// image) with a batch of b rows.
func benchApply(b *testing.B, rows int) {
	net := testNet(b)
	ctx := context.Background()
	shape := []int{rows, latentChannels, 64, 64}
	xc, out := randomLatent(shape, 1, 2), tensor.New(shape...)
	cond := encodeOne(b, "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,")
	sig := make([]float32, rows)
	for i := range sig {
		sig[i] = 2.5
	}
	ts := make([]float32, rows)
	if err := net.Apply(ctx, out, xc, ts, sig, cond); err != nil { // paints the set
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := net.Apply(ctx, out, xc, ts, sig, cond); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply64Batch1(b *testing.B) { benchApply(b, 1) }
func BenchmarkApply64Batch2(b *testing.B) { benchApply(b, 2) }

// BenchmarkApply64Reference is the baseline: the same posterior written
// plainly (float64, explicit distances, one core), as in the tests.
func BenchmarkApply64Reference(b *testing.B) {
	net := testNet(b)
	set, err := net.sets.get(context.Background(), 64, 64)
	if err != nil {
		b.Fatal(err)
	}
	xc := randomLatent([]int{1, latentChannels, 64, 64}, 1, 2)
	scores := matchScores(encodeOne(b, "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,").CrossAttn.Data)
	b.ReportAllocs()
	for b.Loop() {
		referenceEps(set, xc.Data, 2.5, scores)
	}
}

func BenchmarkDecode512(b *testing.B) {
	vae := testVAE(b)
	lat := randomLatent([]int{1, latentChannels, 64, 64}, 3, 4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vae.Decode(context.Background(), lat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode512(b *testing.B) {
	vae := testVAE(b)
	img := paintImage(49, 512, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vae.Encode(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTextToImage512 is ComfyUI's default workflow on the built-in
// checkpoint: load, two CLIPTextEncode, KSampler (euler, normal, 20 steps,
// cfg 8) on a 512x512 empty latent, VAEDecode, PNG encoding. The image set
// for 512x512 is painted before timing (the server warms it at load).
func BenchmarkTextToImage512(b *testing.B) {
	ck := loadBuiltin(b)
	if _, err := shared.sets.get(context.Background(), 64, 64); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		textToImagePNG(b)
	}
	_ = ck
}

// textToImagePNG runs the default workflow once and returns the PNG.
func textToImagePNG(tb testing.TB) []byte {
	ctx := context.Background()
	ck, err := Load(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	pos, err := ck.CLIP.Encode(ctx, "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,")
	if err != nil {
		tb.Fatal(err)
	}
	neg, err := ck.CLIP.Encode(ctx, "text, watermark")
	if err != nil {
		tb.Fatal(err)
	}
	res, err := sampling.KSampler(ctx, sampling.NodeInputs{
		Model: ck.Model, Positive: pos, Negative: neg, Latent: tensor.New(1, 4, 64, 64),
		Seed: 156680208700286, Steps: 20, CFG: 8, Sampler: "euler", Scheduler: "normal",
	}, 1)
	if err != nil {
		tb.Fatal(err)
	}
	img, err := ck.VAE.Decode(ctx, res.Output)
	if err != nil {
		tb.Fatal(err)
	}
	h, w := img.Shape[1], img.Shape[2]
	rgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range h * w {
		for k := range 3 {
			rgba.Pix[i*4+k] = uint8(img.Data[i*3+k]*255 + 0.5)
		}
		rgba.Pix[i*4+3] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, rgba); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkKSampler512 is the sampling part alone: KSampler, euler,
// normal, 20 steps, cfg 8 (40 denoiser calls) on a 64x64 latent.
func BenchmarkKSampler512(b *testing.B) {
	ctx := context.Background()
	ck := loadBuiltin(b)
	pos, _ := ck.CLIP.Encode(ctx, "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,")
	neg, _ := ck.CLIP.Encode(ctx, "text, watermark")
	if _, err := shared.sets.get(ctx, 64, 64); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sampling.KSampler(ctx, sampling.NodeInputs{
			Model: ck.Model, Positive: pos, Negative: neg, Latent: tensor.New(1, 4, 64, 64),
			Seed: 1, Steps: 20, CFG: 8, Sampler: "euler", Scheduler: "normal",
		}, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPaintSet64 paints and encodes the 60 pictures at 512x512, what
// the first use of a latent size costs.
func BenchmarkPaintSet64(b *testing.B) {
	vae := testVAE(b)
	for b.Loop() {
		if _, err := paintSet(context.Background(), vae, 64, 64); err != nil {
			b.Fatal(err)
		}
	}
}
