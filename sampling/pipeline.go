package sampling

import (
	"context"
	"fmt"

	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// ProgressFunc receives every sampler step: the step index, the number of
// steps, the current state and the denoised prediction, both in model
// space (what latent2rgb previews read). The tensors are reused: copy
// them to keep them.
type ProgressFunc func(step, total int, x, denoised *tensor.Tensor)

// SampleParams are the inputs of one sampler run (spec 7).
type SampleParams struct {
	Model              *Model
	Positive, Negative Conditioning
	CFG                float64
	Latent             *tensor.Tensor // input latent in VAE units
	Noise              *tensor.Tensor // initial noise, same shape (may be all zero)
	Sigmas             []float32      // what the sampler gets; not modified
	Sampler            string
	// Seed is extra_args["seed"]: it seeds the internal noise when
	// InternalNoise is nil and ddim's random inpainting noise.
	Seed uint64
	// InternalNoise is the sampler's noise source; nil builds ComfyUI's
	// default_noise_sampler on InternalDevice from Seed (spec 7.3).
	InternalNoise  noise.Generator
	InternalDevice noise.Device // "" means noise.DefaultInternalDevice
	// DenoiseMask enables inpainting (KSamplerX0Inpaint): 1 = resample.
	DenoiseMask *tensor.Tensor
	Callback    ProgressFunc
}

// SampleResult is what a sampler run produced.
type SampleResult struct {
	Samples *tensor.Tensor // final state after process_out (VAE units)
	// Denoised is the last prediction reported to the callback, after
	// process_out; nil when no step ran.
	Denoised *tensor.Tensor
	XFinal   *tensor.Tensor // model-space state after inverse noise scaling
	Evals    int            // guided denoiser calls
}

// Sample runs one sampler over p.Sigmas as ComfyUI's CFGGuider.sample does
// (spec 7): process_in for a non-empty latent, noise scaling, the sampler
// with the guided denoiser, inverse noise scaling and process_out. With no
// sigmas the input latent is returned unchanged.
func Sample(ctx context.Context, p SampleParams) (SampleResult, error) {
	if err := checkSampleParams(p); err != nil {
		return SampleResult{}, err
	}
	if err := checkWorkingSet(p.Latent); err != nil {
		return SampleResult{}, err
	}
	if len(p.Sigmas) == 0 {
		return SampleResult{Samples: p.Latent.Clone()}, nil
	}
	sampler, err := LookupSampler(p.Sampler)
	if err != nil {
		return SampleResult{}, err
	}
	gen, err := internalNoise(p)
	if err != nil {
		return SampleResult{}, err
	}
	m := p.Model
	kind := m.Sampling.Kind()
	latent := p.Latent.Clone()
	if !latent.IsZero() {
		m.Format.ProcessIn(latent, latent)
	}
	guider := NewGuider(m, p.Positive, p.Negative, p.CFG)
	guider.Ctx = ctx
	if p.DenoiseMask != nil {
		if err := setInpaint(guider, p, latent); err != nil {
			return SampleResult{}, err
		}
	}
	// The sampler may edit its sigmas in place (UniPC's final 0.001), and
	// inverse noise scaling must see that edit.
	sigmas := append([]float32(nil), p.Sigmas...)
	x := tensor.New(latent.Shape...)
	NoiseScaling(x, p.Noise, latent, sigmas[0], MaxDenoise(m.Sampling, sigmas[0]), kind)

	rec := newStepRecorder(len(sigmas)-1, p.Callback)
	run := &Run{Ctx: ctx, Denoise: guider.Denoise, Sampling: m.Sampling, Callback: rec.step,
		Noise: func(dst *tensor.Tensor) { gen.Randn(dst.Data) }}
	out, err := sampler(run, x, sigmas)
	if err != nil {
		return SampleResult{}, err
	}
	res := SampleResult{XFinal: tensor.New(out.Shape...), Evals: guider.Evals}
	InverseNoiseScaling(res.XFinal, out, sigmas[len(sigmas)-1], kind)
	res.Samples = tensor.New(out.Shape...)
	m.Format.ProcessOut(res.Samples, res.XFinal)
	if rec.last != nil {
		res.Denoised = tensor.New(out.Shape...)
		m.Format.ProcessOut(res.Denoised, rec.last)
	}
	return res, nil
}

func checkSampleParams(p SampleParams) error {
	switch {
	case p.Model == nil || p.Model.Net == nil || p.Model.Sampling == nil || p.Model.Format == nil:
		return fmt.Errorf("sampling: incomplete model")
	case p.Latent == nil || len(p.Latent.Shape) != 4:
		return fmt.Errorf("sampling: latent must be [B,C,H,W], got %v", p.Latent)
	case p.Noise == nil || !tensor.SameShape(p.Noise, p.Latent):
		return fmt.Errorf("sampling: noise %v does not match latent %v", p.Noise, p.Latent)
	case p.Latent.Shape[1] != p.Model.Format.Channels():
		return fmt.Errorf("sampling: latent has %d channels, model %s expects %d",
			p.Latent.Shape[1], p.Model.Name, p.Model.Format.Channels())
	}
	return nil
}

func internalNoise(p SampleParams) (noise.Generator, error) {
	if p.InternalNoise != nil {
		return p.InternalNoise, nil
	}
	dev := p.InternalDevice
	if dev == "" {
		dev = noise.DefaultInternalDevice
	}
	return noise.Internal(dev, p.Seed)
}

// setInpaint wires KSamplerX0Inpaint into the guider. ddim re-noises with
// its own CPU draw seeded seed+1 (its inpaint_options "random").
func setInpaint(g *Guider, p SampleParams, latent *tensor.Tensor) error {
	n := p.Noise
	if p.Sampler == "ddim" {
		if p.Seed == ^uint64(0) {
			return fmt.Errorf("sampling: ddim inpainting seed %d + 1 overflows", p.Seed)
		}
		n = tensor.New(p.Noise.Shape...)
		noise.NewCPU(p.Seed + 1).Randn(n.Data)
	}
	return g.SetDenoiseMask(p.DenoiseMask, latent, n)
}

// stepRecorder forwards sampler steps to the caller's callback and keeps
// a copy of the last denoised prediction (Impact returns it, spec 4.5).
type stepRecorder struct {
	total int
	user  ProgressFunc
	last  *tensor.Tensor
}

func newStepRecorder(total int, user ProgressFunc) *stepRecorder {
	return &stepRecorder{total: total, user: user}
}

func (r *stepRecorder) step(i int, x, denoised *tensor.Tensor) {
	if r.last == nil {
		r.last = tensor.New(denoised.Shape...)
	}
	copy(r.last.Data, denoised.Data)
	if r.user != nil {
		r.user(i, r.total, x, denoised)
	}
}

// FixEmptyLatentChannels is ComfyUI's fix_empty_latent_channels: an
// all-zero latent with the wrong channel count becomes zeros with the
// model's channels. Other latents are returned as they are.
func FixEmptyLatentChannels(m *Model, latent *tensor.Tensor) *tensor.Tensor {
	c := m.Format.Channels()
	if len(latent.Shape) != 4 || latent.Shape[1] == c || !latent.IsZero() {
		return latent
	}
	return tensor.New(latent.Shape[0], c, latent.Shape[2], latent.Shape[3])
}
