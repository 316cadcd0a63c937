package core

import (
	"fmt"

	"comfyd/nodes"
	"comfyd/sampling"
	"comfyd/tensor"
)

func ksampler() *nodes.Class {
	return &nodes.Class{
		Name:         "KSampler",
		DisplayName:  "KSampler",
		Description:  "Uses the provided model, positive and negative conditioning to denoise the latent image.",
		Category:     "sampling",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("model", "MODEL", "The model used for denoising the input latent."),
			widget("seed", "INT", tip(seedOpts(), "The random seed used for creating the noise.")),
			widget("steps", "INT", tip(stepsOpts(), "The number of steps used in the denoising process.")),
			widget("cfg", "FLOAT", tip(cfgOpts(), "The Classifier-Free Guidance scale balances creativity and adherence to the prompt. Higher values result in images more closely matching the prompt however too high values will negatively impact quality.")),
			samplerCombo("sampler_name", nodes.Options{"tooltip": "The algorithm used when sampling, this can affect the quality, speed, and style of the generated output."}),
			schedulerCombo("scheduler", nodes.Options{"tooltip": "The scheduler controls how noise is gradually removed to form the image."}),
			link("positive", "CONDITIONING", "The conditioning describing the attributes you want to include in the image."),
			link("negative", "CONDITIONING", "The conditioning describing the attributes you want to exclude from the image."),
			link("latent_image", "LATENT", "The latent image to denoise."),
			widget("denoise", "FLOAT", tip(denoiseOpts(), "The amount of denoising applied, lower values will maintain the structure of the initial image allowing for image to image sampling.")),
		},
		Outputs: []nodes.Output{outTip("LATENT", "The denoised latent.")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			si, l, err := samplerInputs(ctx, in, "seed")
			if err != nil {
				return nodes.Result{}, err
			}
			denoise, err := in.Float("denoise")
			if err != nil {
				return nodes.Result{}, err
			}
			res, err := sampling.KSampler(ctx, si, denoise)
			if err != nil {
				return nodes.Result{}, err
			}
			return single(withSamples(l, res.Output)), nil
		},
	}
}

func ksamplerAdvanced() *nodes.Class {
	return &nodes.Class{
		Name:         "KSamplerAdvanced",
		DisplayName:  "KSampler (Advanced)",
		Category:     "sampling",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("model", "MODEL", ""),
			combo("add_noise", []string{"enable", "disable"}, nil),
			widget("noise_seed", "INT", seedOpts()),
			widget("steps", "INT", stepsOpts()),
			widget("cfg", "FLOAT", cfgOpts()),
			samplerCombo("sampler_name", nil),
			schedulerCombo("scheduler", nil),
			link("positive", "CONDITIONING", ""),
			link("negative", "CONDITIONING", ""),
			link("latent_image", "LATENT", ""),
			widget("start_at_step", "INT", nodes.Options{"default": 0, "min": 0, "max": 10000}),
			widget("end_at_step", "INT", nodes.Options{"default": 10000, "min": 0, "max": 10000}),
			combo("return_with_leftover_noise", []string{"disable", "enable"}, nil),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			si, l, err := samplerInputs(ctx, in, "noise_seed")
			if err != nil {
				return nodes.Result{}, err
			}
			addNoise, err := enableDisable(in, "add_noise")
			if err != nil {
				return nodes.Result{}, err
			}
			leftover, err := enableDisable(in, "return_with_leftover_noise")
			if err != nil {
				return nodes.Result{}, err
			}
			start, end, err := stepRange(in)
			if err != nil {
				return nodes.Result{}, err
			}
			res, err := sampling.KSamplerAdvanced(ctx, si, addNoise, start, end, leftover)
			if err != nil {
				return nodes.Result{}, err
			}
			return single(withSamples(l, res.Output)), nil
		},
	}
}

func enableDisable(in nodes.Inputs, name string) (bool, error) {
	s, err := in.String(name)
	if err != nil {
		return false, err
	}
	switch s {
	case "enable":
		return true, nil
	case "disable":
		return false, nil
	}
	return false, fmt.Errorf("input %q: %q is neither enable nor disable", name, s)
}

func stepRange(in nodes.Inputs) (start, end int, err error) {
	s, err := in.Int("start_at_step")
	if err != nil {
		return 0, 0, err
	}
	e, err := in.Int("end_at_step")
	if err != nil {
		return 0, 0, err
	}
	if s < 0 || s > 10000 || e < 0 || e > 10000 {
		return 0, 0, fmt.Errorf("start_at_step %d / end_at_step %d outside 0..10000", s, e)
	}
	return int(s), int(e), nil
}

// samplerInputs reads the inputs KSampler and KSamplerAdvanced share.
func samplerInputs(ctx *nodes.Context, in nodes.Inputs, seedName string) (sampling.NodeInputs, *nodes.Latent, error) {
	var si sampling.NodeInputs
	model, err := nodes.Value[*sampling.Model](in, "model")
	if err != nil {
		return si, nil, err
	}
	if model == nil {
		return si, nil, fmt.Errorf("input \"model\": no model")
	}
	l, err := latentInput(in, "latent_image")
	if err != nil {
		return si, nil, err
	}
	pos, err := nodes.Value[sampling.Conditioning](in, "positive")
	if err != nil {
		return si, nil, err
	}
	neg, err := nodes.Value[sampling.Conditioning](in, "negative")
	if err != nil {
		return si, nil, err
	}
	seed, err := in.Uint64(seedName)
	if err != nil {
		return si, nil, err
	}
	steps, err := in.Int("steps")
	if err != nil {
		return si, nil, err
	}
	if steps < 1 || steps > 10000 {
		return si, nil, fmt.Errorf("steps %d is outside 1..10000", steps)
	}
	cfg, err := in.Float("cfg")
	if err != nil {
		return si, nil, err
	}
	samplerName, err := in.String("sampler_name")
	if err != nil {
		return si, nil, err
	}
	scheduler, err := in.String("scheduler")
	if err != nil {
		return si, nil, err
	}
	dev, err := nodes.InternalNoiseDevice(ctx.Env)
	if err != nil {
		return si, nil, err
	}
	si = sampling.NodeInputs{
		Model: model, Positive: pos, Negative: neg,
		Latent: l.Samples, BatchIndex: l.BatchIndex, NoiseMask: l.NoiseMask,
		Seed: seed, Steps: int(steps), CFG: cfg, Sampler: samplerName, Scheduler: scheduler,
		InternalDevice: dev, Callback: nodes.SamplingCallback(ctx, model),
	}
	return si, l, nil
}

// withSamples is latent.copy() with new samples: noise_mask and
// batch_index travel on.
func withSamples(l *nodes.Latent, samples *tensor.Tensor) *nodes.Latent {
	out := copyLatent(l)
	out.Samples = samples
	return out
}
