package core

import (
	"fmt"

	"comfyd/nodes"
	"comfyd/sampling"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// The custom sampling nodes are v3 nodes in ComfyUI: no display names (the
// class key is shown), plain sockets and "COMBO" combos.

// customSamplerClass starts a class of comfy_extras/nodes_custom_sampler,
// which ComfyUI defines with its v3 schema (unpruned /object_info entry).
func customSamplerClass(name, category string) *nodes.Class {
	return &nodes.Class{Name: name, Category: "sampling/custom_sampling" + category, PythonModule: moduleCustomSampler, V3: true}
}

// v3Link is a link input of a v3 node: its options are an empty object.
func v3Link(name, typ string) nodes.Input {
	return nodes.Input{Name: name, Type: typ, Options: nodes.Options{}}
}

func samplerCustomAdvanced() *nodes.Class {
	c := customSamplerClass("SamplerCustomAdvanced", "")
	c.Required = []nodes.Input{
		v3Link("noise", "NOISE"),
		v3Link("guider", "GUIDER"),
		v3Link("sampler", "SAMPLER"),
		v3Link("sigmas", "SIGMAS"),
		v3Link("latent_image", "LATENT"),
	}
	c.Outputs = []nodes.Output{{Type: "LATENT", Name: "output"}, {Type: "LATENT", Name: "denoised_output"}}
	c.Run = func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
		nz, err := nodes.Value[nodes.Noise](in, "noise")
		if err != nil {
			return nodes.Result{}, err
		}
		g, err := nodes.Value[*nodes.Guider](in, "guider")
		if err != nil {
			return nodes.Result{}, err
		}
		s, err := nodes.Value[*nodes.Sampler](in, "sampler")
		if err != nil {
			return nodes.Result{}, err
		}
		sigmas, err := nodes.Value[nodes.Sigmas](in, "sigmas")
		if err != nil {
			return nodes.Result{}, err
		}
		l, err := latentInput(in, "latent_image")
		if err != nil {
			return nodes.Result{}, err
		}
		if nz == nil || g == nil || g.Model == nil || s == nil {
			return nodes.Result{}, fmt.Errorf("SamplerCustomAdvanced: noise, guider and sampler are required")
		}
		out, denoised, err := SampleCustom(ctx, nz, g, s.Name, sigmas, l)
		if err != nil {
			return nodes.Result{}, err
		}
		return nodes.Result{Outputs: []any{out, denoised}}, nil
	}
	return c
}

// SampleCustom is SamplerCustomAdvanced: the guider's model samples the
// latent (channels fixed for an empty latent) from the noise's initial
// noise over sigmas; the second result is the last denoised prediction,
// or the output itself when no step ran.
func SampleCustom(ctx *nodes.Context, nz nodes.Noise, g *nodes.Guider, samplerName string, sigmas nodes.Sigmas, l *nodes.Latent) (out, denoised *nodes.Latent, err error) {
	samples := sampling.FixEmptyLatentChannels(g.Model, l.Samples)
	latent := withSamples(l, samples)
	initial, err := nz.Generate(samples, l.BatchIndex)
	if err != nil {
		return nil, nil, err
	}
	dev, err := nodes.InternalNoiseDevice(ctx.Env)
	if err != nil {
		return nil, nil, err
	}
	res, err := sampling.Sample(ctx, sampling.SampleParams{
		Model: g.Model, Positive: g.Positive, Negative: g.Negative, CFG: g.CFG,
		Latent: samples, Noise: initial, Sigmas: sigmas, Sampler: samplerName,
		Seed: nz.Seed(), InternalDevice: dev, DenoiseMask: l.NoiseMask,
		Callback: nodes.SamplingCallback(ctx, g.Model),
	})
	if err != nil {
		return nil, nil, err
	}
	out = withSamples(latent, res.Samples)
	denoised = out
	if res.Denoised != nil {
		denoised = withSamples(latent, res.Denoised)
	}
	return out, denoised, nil
}

// comfyNoise is RandomNoise's NOISE: ComfyUI's CPU prepare_noise.
type comfyNoise struct{ seed uint64 }

func (n comfyNoise) Seed() uint64 { return n.seed }

func (n comfyNoise) Generate(samples *tensor.Tensor, batchIndex []int) (*tensor.Tensor, error) {
	return noise.PrepareComfy(samples.Shape, n.seed, batchIndex)
}

func randomNoise() *nodes.Class {
	c := customSamplerClass("RandomNoise", "/noise")
	c.Required = []nodes.Input{widget("noise_seed", "INT", seedOpts())}
	c.Outputs = []nodes.Output{out("NOISE")}
	c.Run = func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
		seed, err := in.Uint64("noise_seed")
		if err != nil {
			return nodes.Result{}, err
		}
		return single(nodes.Noise(comfyNoise{seed: seed})), nil
	}
	return c
}

func basicGuider() *nodes.Class {
	c := customSamplerClass("BasicGuider", "/guiders")
	c.Required = []nodes.Input{v3Link("model", "MODEL"), v3Link("conditioning", "CONDITIONING")}
	c.Outputs = []nodes.Output{out("GUIDER")}
	c.Run = func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
		m, err := nodes.Value[*sampling.Model](in, "model")
		if err != nil {
			return nodes.Result{}, err
		}
		cond, err := nodes.Value[sampling.Conditioning](in, "conditioning")
		if err != nil {
			return nodes.Result{}, err
		}
		// Guider_Basic: positive only, cfg 1 (no negative pass).
		return single(&nodes.Guider{Model: m, Positive: cond, CFG: 1}), nil
	}
	return c
}

func cfgGuider() *nodes.Class {
	c := customSamplerClass("CFGGuider", "/guiders")
	c.Required = []nodes.Input{
		v3Link("model", "MODEL"),
		v3Link("positive", "CONDITIONING"),
		v3Link("negative", "CONDITIONING"),
		widget("cfg", "FLOAT", cfgOpts()),
	}
	c.Outputs = []nodes.Output{out("GUIDER")}
	c.Run = func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
		m, err := nodes.Value[*sampling.Model](in, "model")
		if err != nil {
			return nodes.Result{}, err
		}
		pos, err := nodes.Value[sampling.Conditioning](in, "positive")
		if err != nil {
			return nodes.Result{}, err
		}
		neg, err := nodes.Value[sampling.Conditioning](in, "negative")
		if err != nil {
			return nodes.Result{}, err
		}
		cfg, err := in.Float("cfg")
		if err != nil {
			return nodes.Result{}, err
		}
		return single(&nodes.Guider{Model: m, Positive: pos, Negative: neg, CFG: cfg}), nil
	}
	return c
}

func ksamplerSelect() *nodes.Class {
	c := customSamplerClass("KSamplerSelect", "/samplers")
	c.Required = []nodes.Input{v3Combo("sampler_name", sampling.SamplerNames)}
	c.Outputs = []nodes.Output{out("SAMPLER")}
	c.Run = func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
		name, err := in.String("sampler_name")
		if err != nil {
			return nodes.Result{}, err
		}
		if _, err := sampling.LookupSampler(name); err != nil {
			return nodes.Result{}, err
		}
		return single(&nodes.Sampler{Name: name}), nil
	}
	return c
}

func basicScheduler() *nodes.Class {
	c := customSamplerClass("BasicScheduler", "/schedulers")
	c.Required = []nodes.Input{
		v3Link("model", "MODEL"),
		v3Combo("scheduler", sampling.SchedulerNames),
		widget("steps", "INT", stepsOpts()),
		widget("denoise", "FLOAT", denoiseOpts()),
	}
	c.Outputs = []nodes.Output{out("SIGMAS")}
	c.Run = func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
		m, err := nodes.Value[*sampling.Model](in, "model")
		if err != nil {
			return nodes.Result{}, err
		}
		if m == nil || m.Sampling == nil {
			return nodes.Result{}, fmt.Errorf("BasicScheduler: model has no model sampling")
		}
		name, err := in.String("scheduler")
		if err != nil {
			return nodes.Result{}, err
		}
		steps, err := in.Int("steps")
		if err != nil {
			return nodes.Result{}, err
		}
		denoise, err := in.Float("denoise")
		if err != nil {
			return nodes.Result{}, err
		}
		return singleResult(BasicSchedule(m.Sampling, name, steps, denoise))
	}
	return c
}

// BasicSchedule is BasicScheduler: for denoise < 1 the schedule of
// int(steps/denoise) steps cut to its last steps+1 sigmas, nothing for
// denoise <= 0.
func BasicSchedule(ms sampling.ModelSampling, scheduler string, steps int64, denoise float64) (nodes.Sigmas, error) {
	if steps < 1 || steps > 10000 {
		return nil, fmt.Errorf("BasicScheduler: steps %d is outside 1..10000", steps)
	}
	total := steps
	if denoise < 1 {
		if denoise <= 0 {
			return nodes.Sigmas{}, nil
		}
		t := float64(steps) / denoise
		if t > 1e6 {
			return nil, fmt.Errorf("BasicScheduler: %d steps at denoise %v is too many", steps, denoise)
		}
		total = int64(t)
	}
	s, err := sampling.CalculateSigmas(ms, scheduler, int(total))
	if err != nil {
		return nil, err
	}
	if n := int(steps) + 1; len(s) > n {
		s = s[len(s)-n:]
	}
	return nodes.Sigmas(s), nil
}
