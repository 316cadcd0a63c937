package builtin

import (
	"context"
	"testing"

	"comfyd/models"
	"comfyd/sampling"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// textToImage runs the default ComfyUI text-to-image graph on the built-in
// checkpoint (CLIPTextEncode x2, EmptyLatentImage, KSampler, VAEDecode) and
// returns the sampled VAE-unit latent and the decoded image.
type t2i struct {
	pos, neg           string
	cfg                float64
	seed               uint64
	sampler, scheduler string
	steps              int
	h, w               int // latent size
}

func loadBuiltin(tb testing.TB) *models.Checkpoint {
	tb.Helper()
	ck, err := models.LoadBuiltin(context.Background(), Name)
	if err != nil {
		tb.Fatal(err)
	}
	return ck
}

func (p t2i) run(tb testing.TB, ck *models.Checkpoint) (latent, image *tensor.Tensor) {
	tb.Helper()
	ctx := context.Background()
	pos, err := ck.CLIP.Encode(ctx, p.pos)
	if err != nil {
		tb.Fatal(err)
	}
	neg, err := ck.CLIP.Encode(ctx, p.neg)
	if err != nil {
		tb.Fatal(err)
	}
	latent = p.sample(tb, ck.Model, pos, neg)
	image, err = ck.VAE.Decode(ctx, latent)
	if err != nil {
		tb.Fatal(err)
	}
	return latent, image
}

// sample is KSampler on an empty latent: noise from the torch CPU
// generator, sigmas from the scheduler, the guider's CFG denoiser.
func (p t2i) sample(tb testing.TB, m *sampling.Model, pos, neg sampling.Conditioning) *tensor.Tensor {
	tb.Helper()
	shape := []int{1, latentChannels, p.h, p.w}
	sampler, scheduler := p.sampler, p.scheduler
	if sampler == "" {
		sampler = "euler"
	}
	if scheduler == "" {
		scheduler = "normal"
	}
	fn, err := sampling.LookupSampler(sampler)
	if err != nil {
		tb.Fatal(err)
	}
	sigmas, err := sampling.SigmasForSampler(m.Sampling, scheduler, p.steps, sampler)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := noise.PrepareComfy(shape, p.seed, nil)
	if err != nil {
		tb.Fatal(err)
	}
	x := tensor.New(shape...)
	empty := tensor.New(shape...)
	sampling.NoiseScaling(x, n, empty, sigmas[0], sampling.MaxDenoise(m.Sampling, sigmas[0]), m.Sampling.Kind())
	internal, err := noise.Internal(noise.DeviceCPU, p.seed)
	if err != nil {
		tb.Fatal(err)
	}
	g := sampling.NewGuider(m, pos, neg, p.cfg)
	r := &sampling.Run{
		Ctx:      context.Background(),
		Denoise:  g.Denoise,
		Noise:    func(dst *tensor.Tensor) { internal.Randn(dst.Data) },
		Sampling: m.Sampling,
	}
	out, err := fn(r, x, sigmas)
	if err != nil {
		tb.Fatalf("%s: %v", sampler, err)
	}
	res := tensor.New(shape...)
	m.Format.ProcessOut(res, out)
	return res
}

func sdFormat() sampling.LatentFormat { return sampling.SD15 }
