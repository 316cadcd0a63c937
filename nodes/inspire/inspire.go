// Package inspire implements the ComfyUI Inspire pack's A1111-compatible
// sampling nodes: KSampler (inspire), KSamplerAdvanced (inspire) and
// RandomNoise (inspire), with schemas matching the pack's /object_info.
package inspire

import (
	"fmt"
	"math"
	"slices"

	"comfyd/nodes"
	"comfyd/sampling"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

const (
	module   = "custom_nodes.ComfyUI-Inspire-Pack"
	category = "InspirePack/a1111_compat"
	seedMax  = uint64(math.MaxUint64)

	seedTip         = "This is the seed for the initial noise applied to the latent."
	internalSeedTip = "This is the seed used for generating noise in intermediate steps when using ancestral and SDE-based samplers.\nNOTE: If `noise_mode` is in GPU mode and `internal_seed` is the same as `seed`, the generated image may be distorted."
)

// BatchSeedModes are the batch_seed_mode options.
var BatchSeedModes = []string{noise.ModeIncremental, noise.ModeComfy, noise.ModeVariationInc001, noise.ModeVariationInc005}

// VariationMethods are the variation_method options.
var VariationMethods = []string{noise.MethodLinear, noise.MethodSlerp}

// Register adds the Inspire classes to r.
func Register(r *nodes.Registry) {
	r.Register(ksamplerInspire(), ksamplerAdvancedInspire(), randomNoiseInspire())
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func link(name, typ string) nodes.Input { return nodes.Input{Name: name, Type: typ} }

func combo(name string, values []string) nodes.Input {
	return nodes.Input{Name: name, Choices: anyList(values)}
}

func seedInput(name string, tooltip string) nodes.Input {
	opts := nodes.Options{"default": 0, "min": 0, "max": seedMax}
	if tooltip != "" {
		opts["tooltip"] = tooltip
	}
	return nodes.Input{Name: name, Type: "INT", Options: opts}
}

func float01(name string, def float64) nodes.Input {
	return nodes.Input{Name: name, Type: "FLOAT", Options: nodes.Options{"default": def, "min": 0.0, "max": 1.0, "step": 0.01}}
}

func steps() nodes.Input {
	return nodes.Input{Name: "steps", Type: "INT", Options: nodes.Options{"default": 20, "min": 1, "max": 10000}}
}

func stepInput(name string, def int) nodes.Input {
	return nodes.Input{Name: name, Type: "INT", Options: nodes.Options{"default": def, "min": 0, "max": 10000}}
}

func toggle(name string, def bool) nodes.Input {
	return nodes.Input{Name: name, Type: "BOOLEAN", Options: nodes.Options{"default": def, "label_on": "enable", "label_off": "disable"}}
}

// variationInputs are the batch seed and variation widgets every Inspire
// sampler ends its required inputs with.
func variationInputs() []nodes.Input {
	return []nodes.Input{
		combo("batch_seed_mode", BatchSeedModes),
		seedInput("variation_seed", ""),
		float01("variation_strength", 0.0),
	}
}

func ksamplerInspire() *nodes.Class {
	return &nodes.Class{
		Name:         "KSampler //Inspire",
		DisplayName:  "KSampler (inspire)",
		Category:     category,
		PythonModule: module,
		Required: append([]nodes.Input{
			link("model", "MODEL"),
			seedInput("seed", seedTip),
			steps(),
			{Name: "cfg", Type: "FLOAT", Options: nodes.Options{"default": 8.0, "min": 0.0, "max": 100.0}},
			combo("sampler_name", sampling.SamplerNames),
			combo("scheduler", sampling.InspireSchedulerNames),
			link("positive", "CONDITIONING"),
			link("negative", "CONDITIONING"),
			link("latent_image", "LATENT"),
			float01("denoise", 1.0),
			combo("noise_mode", sampling.InspireNoiseModes),
		}, variationInputs()...),
		Optional: []nodes.Input{
			combo("variation_method", VariationMethods),
			link("scheduler_func_opt", "SCHEDULER_FUNC"),
			seedInput("internal_seed", internalSeedTip),
		},
		Outputs: []nodes.Output{{Type: "LATENT"}},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			si, l, nz, err := readSamplerInputs(ctx, in, "seed")
			if err != nil {
				return nodes.Result{}, err
			}
			denoise, err := in.Float("denoise")
			if err != nil {
				return nodes.Result{}, err
			}
			if !(denoise > 0 && denoise <= 1) {
				// The reference divides by denoise (0 raises) and keeps
				// the widget's 0..1 range.
				return nodes.Result{}, fmt.Errorf("KSampler (inspire): denoise %v must be in (0, 1]", denoise)
			}
			res, err := sampling.KSamplerInspire(ctx, si, nz, denoise)
			if err != nil {
				return nodes.Result{}, err
			}
			return nodes.Result{Outputs: []any{withSamples(l, res.Output)}}, nil
		},
	}
}

func ksamplerAdvancedInspire() *nodes.Class {
	return &nodes.Class{
		Name:         "KSamplerAdvanced //Inspire",
		DisplayName:  "KSamplerAdvanced (inspire)",
		Category:     category,
		PythonModule: module,
		Required: append([]nodes.Input{
			link("model", "MODEL"),
			toggle("add_noise", true),
			seedInput("noise_seed", seedTip),
			steps(),
			{Name: "cfg", Type: "FLOAT", Options: nodes.Options{"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.5, "round": 0.01}},
			combo("sampler_name", sampling.SamplerNames),
			combo("scheduler", sampling.InspireSchedulerNames),
			link("positive", "CONDITIONING"),
			link("negative", "CONDITIONING"),
			link("latent_image", "LATENT"),
			stepInput("start_at_step", 0),
			stepInput("end_at_step", 10000),
			combo("noise_mode", sampling.InspireNoiseModes),
			toggle("return_with_leftover_noise", false),
		}, variationInputs()...),
		Optional: []nodes.Input{
			combo("variation_method", VariationMethods),
			link("noise_opt", "NOISE_IMAGE"),
			link("scheduler_func_opt", "SCHEDULER_FUNC"),
			seedInput("internal_seed", internalSeedTip),
		},
		Outputs: []nodes.Output{{Type: "LATENT"}},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			if in.Has("noise_opt") {
				return nodes.Result{}, fmt.Errorf("KSamplerAdvanced (inspire): noise_opt (a precomputed NOISE_IMAGE) is not supported by comfyd yet")
			}
			si, l, nz, err := readSamplerInputs(ctx, in, "noise_seed")
			if err != nil {
				return nodes.Result{}, err
			}
			addNoise, err := in.Bool("add_noise")
			if err != nil {
				return nodes.Result{}, err
			}
			leftover, err := in.Bool("return_with_leftover_noise")
			if err != nil {
				return nodes.Result{}, err
			}
			start, err := in.Int("start_at_step")
			if err != nil {
				return nodes.Result{}, err
			}
			end, err := in.Int("end_at_step")
			if err != nil {
				return nodes.Result{}, err
			}
			if start < 0 || start > 10000 || end < 0 || end > 10000 {
				return nodes.Result{}, fmt.Errorf("start_at_step %d / end_at_step %d outside 0..10000", start, end)
			}
			res, err := sampling.KSamplerAdvancedInspire(ctx, si, nz, addNoise, int(start), int(end), leftover)
			if err != nil {
				return nodes.Result{}, err
			}
			return nodes.Result{Outputs: []any{withSamples(l, res.Output)}}, nil
		},
	}
}

// readSamplerInputs reads what both Inspire samplers share.
func readSamplerInputs(ctx *nodes.Context, in nodes.Inputs, seedName string) (sampling.NodeInputs, *nodes.Latent, sampling.InspireNoise, error) {
	var si sampling.NodeInputs
	var nz sampling.InspireNoise
	model, err := nodes.Value[*sampling.Model](in, "model")
	if err != nil {
		return si, nil, nz, err
	}
	if model == nil {
		return si, nil, nz, fmt.Errorf("input \"model\": no model")
	}
	l, err := nodes.Value[*nodes.Latent](in, "latent_image")
	if err != nil {
		return si, nil, nz, err
	}
	if l == nil || l.Samples == nil || len(l.Samples.Shape) != 4 {
		return si, nil, nz, fmt.Errorf("input \"latent_image\": expected a latent with [B,C,H,W] samples")
	}
	pos, err := nodes.Value[sampling.Conditioning](in, "positive")
	if err != nil {
		return si, nil, nz, err
	}
	neg, err := nodes.Value[sampling.Conditioning](in, "negative")
	if err != nil {
		return si, nil, nz, err
	}
	seed, err := in.Uint64(seedName)
	if err != nil {
		return si, nil, nz, err
	}
	n, err := in.Int("steps")
	if err != nil {
		return si, nil, nz, err
	}
	if n < 1 || n > 10000 {
		return si, nil, nz, fmt.Errorf("steps %d is outside 1..10000", n)
	}
	cfg, err := in.Float("cfg")
	if err != nil {
		return si, nil, nz, err
	}
	samplerName, err := in.String("sampler_name")
	if err != nil {
		return si, nil, nz, err
	}
	scheduler, err := in.String("scheduler")
	if err != nil {
		return si, nil, nz, err
	}
	var schedFn sampling.SchedulerFunc
	if in.Has("scheduler_func_opt") {
		if schedFn, err = nodes.Value[sampling.SchedulerFunc](in, "scheduler_func_opt"); err != nil {
			return si, nil, nz, err
		}
	}
	dev, err := nodes.InternalNoiseDevice(ctx.Env)
	if err != nil {
		return si, nil, nz, err
	}
	if nz, err = readNoiseInputs(in); err != nil {
		return si, nil, nz, err
	}
	si = sampling.NodeInputs{
		Model: model, Positive: pos, Negative: neg,
		Latent: l.Samples, BatchIndex: l.BatchIndex, NoiseMask: l.NoiseMask,
		Seed: seed, Steps: int(n), CFG: cfg, Sampler: samplerName, Scheduler: scheduler,
		SchedulerFunc: schedFn, InternalDevice: dev, Callback: nodes.SamplingCallback(ctx, model),
	}
	return si, l, nz, nil
}

// readNoiseInputs reads noise_mode, the batch seed and variation widgets
// and the optional variation_method / internal_seed.
func readNoiseInputs(in nodes.Inputs) (sampling.InspireNoise, error) {
	var nz sampling.InspireNoise
	var err error
	if nz.NoiseMode, err = in.String("noise_mode"); err != nil {
		return nz, err
	}
	if nz.BatchSeedMode, err = in.String("batch_seed_mode"); err != nil {
		return nz, err
	}
	if nz.VariationSeed, err = in.Uint64("variation_seed"); err != nil {
		return nz, err
	}
	if nz.VariationStrength, err = in.Float("variation_strength"); err != nil {
		return nz, err
	}
	nz.VariationMethod = noise.MethodLinear
	if in.Has("variation_method") {
		if nz.VariationMethod, err = in.String("variation_method"); err != nil {
			return nz, err
		}
	}
	if in.Has("internal_seed") {
		s, err := in.Uint64("internal_seed")
		if err != nil {
			return nz, err
		}
		nz.InternalSeed = &s
	}
	return nz, nil
}

// withSamples is latent.copy() with new samples.
func withSamples(l *nodes.Latent, samples *tensor.Tensor) *nodes.Latent {
	out := *l
	out.BatchIndex = slices.Clone(l.BatchIndex)
	out.Samples = samples
	return &out
}
