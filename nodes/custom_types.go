package nodes

import (
	"fmt"

	"comfyd/sampling"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// Value types of ComfyUI's custom sampling sockets. SCHEDULER_FUNC is
// sampling.SchedulerFunc.

// Noise is a NOISE value (RandomNoise, RandomNoise //Inspire): it makes the
// initial noise of a latent and names the seed of the sampler's internal
// noise (ComfyUI's noise.seed).
type Noise interface {
	Seed() uint64
	// Generate returns noise of samples' shape (samples already have the
	// model's channel count); batchIndex is the latent's batch_index.
	Generate(samples *tensor.Tensor, batchIndex []int) (*tensor.Tensor, error)
}

// Sampler is a SAMPLER value: a sampler by ComfyUI name (KSamplerSelect).
type Sampler struct {
	Name string
}

// Sigmas is a SIGMAS value: a schedule of float32 noise levels.
type Sigmas []float32

// Guider is a GUIDER value: the model, conditionings and cfg of a sampler
// run (BasicGuider: positive only, cfg 1; CFGGuider).
type Guider struct {
	Model              *sampling.Model
	Positive, Negative sampling.Conditioning
	CFG                float64
}

// SamplingCallback returns the sampling.ProgressFunc that reports a node's
// sampler steps as progress and latent2rgb previews (see SamplingProgress).
func SamplingCallback(ctx *Context, m *sampling.Model) sampling.ProgressFunc {
	var factors [][3]float32
	var bias [3]float32
	if m != nil && m.Format != nil {
		factors, bias = m.Format.RGBFactors()
	}
	p := NewSamplingProgress(ctx, factors, bias)
	return func(step, total int, x, denoised *tensor.Tensor) { p.Step(step, total, denoised) }
}

// InternalNoiseDevice is the device whose sampler noise comfyd imitates
// (Env.NoiseDevice; the sampling default when unset).
func InternalNoiseDevice(env *Env) (noise.Device, error) {
	if env == nil || env.NoiseDevice == "" {
		return noise.DefaultInternalDevice, nil
	}
	d, err := noise.ParseDevice(env.NoiseDevice)
	if err != nil {
		return "", fmt.Errorf("server noise device: %w", err)
	}
	return d, nil
}
