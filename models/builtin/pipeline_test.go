package builtin

import (
	"context"
	"math"
	"testing"

	"comfyd/models"
	"comfyd/sampling"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// t2i is one run of ComfyUI's text-to-image graph on the built-in
// checkpoint (CLIPTextEncode x2, EmptyLatentImage, KSampler, VAEDecode);
// run returns the sampled VAE-unit latent and the decoded image.
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

// sample is the KSampler node on an empty latent.
func (p t2i) sample(tb testing.TB, m *sampling.Model, pos, neg sampling.Conditioning) *tensor.Tensor {
	tb.Helper()
	sampler, scheduler := p.sampler, p.scheduler
	if sampler == "" {
		sampler = "euler"
	}
	if scheduler == "" {
		scheduler = "normal"
	}
	res, err := sampling.KSampler(context.Background(), sampling.NodeInputs{
		Model: m, Positive: pos, Negative: neg,
		Latent: tensor.New(1, latentChannels, p.h, p.w),
		Seed:   p.seed, Steps: p.steps, CFG: p.cfg, Sampler: sampler, Scheduler: scheduler,
		InternalDevice: noise.DeviceCPU,
	}, 1)
	if err != nil {
		tb.Fatalf("%s/%s: %v", sampler, scheduler, err)
	}
	return res.Output
}

// nearestPicture is the index of the built-in picture closest to a
// VAE-unit latent [1,4,h,w].
func nearestPicture(tb testing.TB, latent *tensor.Tensor) int {
	tb.Helper()
	set, err := shared.sets.get(context.Background(), latent.Shape[2], latent.Shape[3])
	if err != nil {
		tb.Fatal(err)
	}
	z := tensor.New(latent.Shape...)
	sampling.SD15.ProcessIn(z, latent)
	best, bestD := -1, math.Inf(1)
	for i := range catalogue {
		var d float64
		for j, v := range set.image(i) {
			e := float64(z.Data[j] - v)
			d += e * e
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// hasTags reports whether picture i is tagged with every word at weight
// at least 0.8 (central to the picture, not just its background).
func hasTags(i int, words ...string) bool {
	for _, w := range words {
		if catalogue[i].tags[w] < 0.8 {
			return false
		}
	}
	return true
}
