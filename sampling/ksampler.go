package sampling

import (
	"context"
	"fmt"
	"strings"

	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// NodeInputs are the inputs every KSampler-style node shares.
type NodeInputs struct {
	Model              *Model
	Positive, Negative Conditioning
	Latent             *tensor.Tensor // LATENT "samples" (VAE units)
	BatchIndex         []int          // LATENT "batch_index", nil when absent
	NoiseMask          *tensor.Tensor // LATENT "noise_mask", nil when absent
	Seed               uint64
	Steps              int
	CFG                float64
	Sampler, Scheduler string
	// SchedulerFunc, when set, replaces the scheduler by name (Inspire's
	// scheduler_func_opt input).
	SchedulerFunc SchedulerFunc
	// InternalDevice is where the sampler's internal noise is modelled:
	// "cpu" = torch CPU seeded seed+1, "cuda" = Philox seeded seed (7.3).
	InternalDevice noise.Device
	Callback       ProgressFunc
}

// Returned says which tensor a node returned (the golden "returned").
type Returned string

const (
	ReturnedSamples  Returned = "samples"
	ReturnedDenoised Returned = "denoised_x0"
	ReturnedInput    Returned = "input_latent"
)

// KSamplerResult is a node's outcome with what led to it.
type KSamplerResult struct {
	SampleResult
	Output      *tensor.Tensor // the LATENT "samples" the node returns
	Returned    Returned
	Noise       *tensor.Tensor // initial noise
	TotalSigmas []float32      // schedule before the window
	Sigmas      []float32      // what the sampler got (nil when skipped)
	Skipped     bool
	SamplerSeed uint64 // extra_args seed: seeds the internal noise (7.3)
}

func (in NodeInputs) schedulerFunc() (SchedulerFunc, error) {
	if in.SchedulerFunc != nil {
		return in.SchedulerFunc, nil
	}
	return LookupScheduler(in.Scheduler)
}

// sample runs Sample for a node and fills the result's output.
func (in NodeInputs) sample(ctx context.Context, latent, nz *tensor.Tensor, sigmas []float32, seed uint64, res *KSamplerResult) error {
	var err error
	res.SamplerSeed = seed
	res.SampleResult, err = Sample(ctx, SampleParams{
		Model: in.Model, Positive: in.Positive, Negative: in.Negative, CFG: in.CFG,
		Latent: latent, Noise: nz, Sigmas: sigmas, Sampler: in.Sampler, Seed: seed,
		InternalDevice: in.InternalDevice, DenoiseMask: in.NoiseMask, Callback: in.Callback,
	})
	res.Output, res.Returned = res.Samples, ReturnedSamples
	return err
}

func (in NodeInputs) check() error {
	if in.Model == nil || in.Latent == nil {
		return fmt.Errorf("sampling: model and latent are required")
	}
	if in.Steps < 1 {
		return fmt.Errorf("sampling: steps must be at least 1, got %d", in.Steps)
	}
	return checkWorkingSet(in.Latent)
}

// KSampler is ComfyUI's KSampler node (common_ksampler): CPU noise from
// seed, set_steps window for denoise.
func KSampler(ctx context.Context, in NodeInputs, denoise float64) (KSamplerResult, error) {
	return comfySample(ctx, in, denoise, true, -1, -1, true)
}

// KSamplerAdvanced is ComfyUI's KSamplerAdvanced node: full schedule,
// start/end steps; without leftover noise the last sigma is forced to 0.
func KSamplerAdvanced(ctx context.Context, in NodeInputs, addNoise bool, startAtStep, endAtStep int, returnWithLeftoverNoise bool) (KSamplerResult, error) {
	return comfySample(ctx, in, 1, addNoise, startAtStep, endAtStep, !returnWithLeftoverNoise)
}

func comfySample(ctx context.Context, in NodeInputs, denoise float64, addNoise bool, start, last int, force bool) (KSamplerResult, error) {
	if err := in.check(); err != nil {
		return KSamplerResult{}, err
	}
	fn, err := in.schedulerFunc()
	if err != nil {
		return KSamplerResult{}, err
	}
	latent := FixEmptyLatentChannels(in.Model, in.Latent)
	var res KSamplerResult
	if addNoise {
		res.Noise, err = noise.PrepareComfy(latent.Shape, in.Seed, in.BatchIndex)
	} else {
		res.Noise = tensor.New(latent.Shape...)
	}
	if err != nil {
		return KSamplerResult{}, err
	}
	if res.TotalSigmas, err = ComfySetSteps(fn, in.Model.Sampling, in.Sampler, in.Steps, denoise); err != nil {
		return KSamplerResult{}, err
	}
	res.Sigmas, res.Skipped = ComfyStartEnd(res.TotalSigmas, start, last, force)
	if res.Skipped {
		res.Sigmas, res.Output, res.Returned = nil, latent.Clone(), ReturnedInput
		return res, nil
	}
	err = in.sample(ctx, latent, res.Noise, res.Sigmas, in.Seed, &res)
	return res, err
}

// InspireNoise are KSampler (inspire)'s noise inputs (spec 5, 6).
type InspireNoise struct {
	NoiseMode         string // GPU(=A1111) | CPU | GPU+internal_seed | CPU+internal_seed
	BatchSeedMode     string // incremental | comfy | variation str inc:0.01 | variation str inc:0.05
	VariationSeed     uint64
	VariationStrength float64
	VariationMethod   string // linear | slerp
	// InternalSeed is the internal_seed widget; nil when absent from the
	// prompt (then seed is used).
	InternalSeed *uint64
}

// InspireNoiseModes are KSampler (inspire)'s noise_mode options.
var InspireNoiseModes = []string{"GPU(=A1111)", "CPU", "GPU+internal_seed", "CPU+internal_seed"}

// device is the prepare_noise device: CPU when the mode mentions it.
func (n InspireNoise) device() (noise.Device, error) {
	if !contains(InspireNoiseModes, n.NoiseMode) {
		return "", fmt.Errorf("unknown noise_mode %q", n.NoiseMode)
	}
	if strings.Contains(strings.ToLower(n.NoiseMode), "cpu") {
		return noise.DeviceCPU, nil
	}
	return noise.DeviceCUDA, nil
}

// samplerSeed is spec 6 step 5: internal_seed modes use the widget.
func (n InspireNoise) samplerSeed(seed uint64) uint64 {
	if strings.Contains(n.NoiseMode, "internal_seed") && n.InternalSeed != nil {
		return *n.InternalSeed
	}
	return seed
}

func (n InspireNoise) prepare(latent *tensor.Tensor, in NodeInputs) (*tensor.Tensor, error) {
	dev, err := n.device()
	if err != nil {
		return nil, err
	}
	return noise.Prepare(noise.Params{
		Shape: latent.Shape, Seed: in.Seed, BatchIndex: in.BatchIndex, Device: dev,
		BatchSeedMode: n.BatchSeedMode, VariationSeed: n.VariationSeed,
		VariationStrength: n.VariationStrength, VariationMethod: n.VariationMethod,
	})
}

// KSamplerInspire is KSampler (inspire) end to end (spec 6): Inspire noise,
// the floor(steps/denoise) window, Impact's schedule and the final state.
//
// Impact builds a BrownianTree over the whole schedule for the dpmpp SDE
// samplers; comfyd's samplers draw that noise from the default noise
// sampler instead (see samplers_dpmpp.go), so those samplers do not match
// ComfyUI's noise.
func KSamplerInspire(ctx context.Context, in NodeInputs, nz InspireNoise, denoise float64) (KSamplerResult, error) {
	if err := in.check(); err != nil {
		return KSamplerResult{}, err
	}
	total, start, err := InspireSteps(in.Steps, denoise)
	if err != nil {
		return KSamplerResult{}, err
	}
	return inspireSample(ctx, in, nz, true, total, start, -1, true)
}

// KSamplerAdvancedInspire is KSamplerAdvanced (inspire): start/end steps
// over a steps-long schedule; without leftover noise it returns the last
// denoised prediction (spec 4.5).
func KSamplerAdvancedInspire(ctx context.Context, in NodeInputs, nz InspireNoise, addNoise bool, startAtStep, endAtStep int, returnWithLeftoverNoise bool) (KSamplerResult, error) {
	if err := in.check(); err != nil {
		return KSamplerResult{}, err
	}
	res, err := inspireSample(ctx, in, nz, addNoise, in.Steps, startAtStep, endAtStep, returnWithLeftoverNoise)
	if err == nil && !returnWithLeftoverNoise && !res.Skipped && res.Denoised != nil {
		res.Output, res.Returned = res.Denoised, ReturnedDenoised
	}
	return res, err
}

func inspireSample(ctx context.Context, in NodeInputs, nz InspireNoise, addNoise bool, steps, start, end int, leftover bool) (KSamplerResult, error) {
	fn, err := in.schedulerFunc()
	if err != nil {
		return KSamplerResult{}, err
	}
	latent := FixEmptyLatentChannels(in.Model, in.Latent)
	var res KSamplerResult
	if addNoise {
		res.Noise, err = nz.prepare(latent, in)
	} else {
		_, err = nz.device() // the mode is still validated
		res.Noise = tensor.New(latent.Shape...)
	}
	if err != nil {
		return KSamplerResult{}, err
	}
	w, err := AdvancedWindow(in.Model.Sampling, fn, in.Sampler, steps, start, end, leftover)
	if err != nil {
		return KSamplerResult{}, err
	}
	res.TotalSigmas, res.Sigmas, res.Skipped = w.Total, w.Sigmas, w.Skipped
	if res.Skipped {
		res.Output, res.Returned = latent.Clone(), ReturnedInput
		return res, nil
	}
	err = in.sample(ctx, latent, res.Noise, res.Sigmas, nz.samplerSeed(in.Seed), &res)
	return res, err
}
