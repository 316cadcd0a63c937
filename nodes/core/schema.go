// Package core implements ComfyUI's core nodes (nodes.py and the custom
// sampling nodes of comfy_extras) with schemas that match ComfyUI's
// /object_info field by field.
package core

import (
	"math"

	"comfyd/nodes"
	"comfyd/sampling"
)

// SeedMax is ComfyUI's 0xffffffffffffffff seed bound.
const SeedMax = uint64(math.MaxUint64)

// Categories and module names as /object_info shows them.
const (
	moduleNodes         = "nodes"
	moduleCustomSampler = "comfy_extras.nodes_custom_sampler"
)

// link declares a link-only socket, with a tooltip when tip is not empty.
func link(name, typ, tip string) nodes.Input {
	in := nodes.Input{Name: name, Type: typ}
	if tip != "" {
		in.Options = nodes.Options{"tooltip": tip}
	}
	return in
}

// widget declares an INT/FLOAT/STRING/BOOLEAN widget with its options.
func widget(name, typ string, opts nodes.Options) nodes.Input {
	return nodes.Input{Name: name, Type: typ, Options: opts}
}

// combo declares a legacy combo ([[values], options]).
func combo(name string, values []string, opts nodes.Options) nodes.Input {
	return nodes.Input{Name: name, Choices: strings2any(values), Options: opts}
}

// v3Combo declares a v3-style combo (["COMBO", {"multiselect": false,
// "options": [...]}]), as the comfy_extras nodes converted to the v3 API
// render.
func v3Combo(name string, values []string) nodes.Input {
	return nodes.Input{Name: name, Type: "COMBO", Options: nodes.Options{
		"multiselect": false,
		"options":     strings2any(values),
	}}
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func tip(opts nodes.Options, text string) nodes.Options {
	opts["tooltip"] = text
	return opts
}

// Shared option sets.
func seedOpts() nodes.Options {
	return nodes.Options{"default": 0, "min": 0, "max": SeedMax, "control_after_generate": true}
}

func stepsOpts() nodes.Options { return nodes.Options{"default": 20, "min": 1, "max": 10000} }

func cfgOpts() nodes.Options {
	return nodes.Options{"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01}
}

func denoiseOpts() nodes.Options {
	return nodes.Options{"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}
}

// resolutionOpts is an INT pixel widget with MAX_RESOLUTION as its bound.
func resolutionOpts(def, min, step int) nodes.Options {
	return nodes.Options{"default": def, "min": min, "max": nodes.MaxResolution, "step": step}
}

func samplerCombo(name string, opts nodes.Options) nodes.Input {
	return combo(name, sampling.SamplerNames, opts)
}

func schedulerCombo(name string, opts nodes.Options) nodes.Input {
	return combo(name, sampling.SchedulerNames, opts)
}

func out(typ string) nodes.Output { return nodes.Output{Type: typ} }

func outTip(typ, tooltip string) nodes.Output { return nodes.Output{Type: typ, Tooltip: tooltip} }

// hiddenPromptInfo is the hidden group of saving nodes.
var hiddenPromptInfo = []nodes.Hidden{{Name: "prompt", Type: "PROMPT"}, {Name: "extra_pnginfo", Type: "EXTRA_PNGINFO"}}

// single wraps one output value.
func single(v any) nodes.Result { return nodes.Result{Outputs: []any{v}} }

// singleResult is single(v), or err when there is one: a node's Run ending
// in "return singleResult(Op(...))".
func singleResult(v any, err error) (nodes.Result, error) {
	if err != nil {
		return nodes.Result{}, err
	}
	return single(v), nil
}
