// Package builtin provides comfyd's built-in checkpoint: a complete SD1-shaped
// model (MODEL, CLIP, VAE) that needs no file and runs a text-to-image
// workflow in well under a second. Its denoiser is the exact posterior mean
// over a procedurally painted set of captioned pictures, so every sampler,
// scheduler, CFG and conditioning node can be exercised and produce a
// recognisable picture without downloading a model. See README.md.
package builtin

import (
	"context"
	"sync"

	"comfyd/models"
	"comfyd/sampling"
)

// Name is the checkpoint name the loaders list.
const Name = "comfyd-builtin-shapes.safetensors"

func init() { models.RegisterBuiltin(Name, Load) }

// defaultLatentSide is the latent side of ComfyUI's default 512x512 image.
const defaultLatentSide = 64

// shared is built once: the VAE and the painted image sets are immutable
// and every load of the checkpoint reuses them.
var shared struct {
	once sync.Once
	vae  *colourVAE
	sets *setCache
	err  error
}

// Load builds the built-in checkpoint. Pictures are painted lazily, once
// per latent size, on first use, and shared by all loads.
func Load(ctx context.Context) (*models.Checkpoint, error) {
	shared.once.Do(func() {
		shared.vae, shared.err = newColourVAE(sampling.SD15)
		if shared.err == nil {
			shared.sets = newSetCache(shared.vae)
			// Paint the default 512x512 size in the background so that
			// the first text-to-image request finds it ready.
			go shared.sets.get(context.Background(), defaultLatentSide, defaultLatentSide)
		}
	})
	if shared.err != nil {
		return nil, shared.err
	}
	vae := shared.vae
	model := &sampling.Model{
		Name:     Name,
		Net:      &posteriorNet{sets: shared.sets},
		Sampling: sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS),
		Format:   sampling.SD15,
	}
	return &models.Checkpoint{Model: model, CLIP: bagOfWords{stopAt: 1}, VAE: vae}, nil
}
