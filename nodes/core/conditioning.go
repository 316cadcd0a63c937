package core

import (
	"fmt"

	"comfyd/models"
	"comfyd/nodes"
	"comfyd/sampling"
	"comfyd/tensor"
)

func clipTextEncode() *nodes.Class {
	return &nodes.Class{
		Name:         "CLIPTextEncode",
		DisplayName:  "CLIP Text Encode (Prompt)",
		Description:  "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.",
		Category:     "conditioning",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			widget("text", "STRING", nodes.Options{"multiline": true, "dynamicPrompts": true, "tooltip": "The text to be encoded."}),
			link("clip", "CLIP", "The CLIP model used for encoding the text."),
		},
		Outputs: []nodes.Output{outTip("CONDITIONING", "A conditioning containing the embedded text used to guide the diffusion model.")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			text, err := in.String("text")
			if err != nil {
				return nodes.Result{}, err
			}
			clip, ok := in["clip"].(models.CLIP)
			if !ok || clip == nil {
				return nodes.Result{}, fmt.Errorf("ERROR: clip input is invalid: None\n\nIf the clip is from a checkpoint loader node your checkpoint does not contain a valid clip or text encoder model.")
			}
			return singleResult(clip.Encode(ctx, text))
		},
	}
}

func clipSetLastLayer() *nodes.Class {
	return &nodes.Class{
		Name:         "CLIPSetLastLayer",
		DisplayName:  "CLIP Set Last Layer",
		Category:     "conditioning",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("clip", "CLIP", ""),
			widget("stop_at_clip_layer", "INT", nodes.Options{"default": -1, "min": -24, "max": -1, "step": 1}),
		},
		Outputs: []nodes.Output{out("CLIP")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			clip, err := nodes.Value[models.CLIP](in, "clip")
			if err != nil {
				return nodes.Result{}, err
			}
			layer, err := in.Int("stop_at_clip_layer")
			if err != nil {
				return nodes.Result{}, err
			}
			if layer < -24 || layer > -1 {
				return nodes.Result{}, fmt.Errorf("stop_at_clip_layer %d is outside -24..-1", layer)
			}
			return singleResult(clip.WithLastLayer(int(layer)))
		},
	}
}

func conditioningCombine() *nodes.Class {
	return &nodes.Class{
		Name:         "ConditioningCombine",
		DisplayName:  "Conditioning (Combine)",
		Category:     "conditioning",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("conditioning_1", "CONDITIONING", ""),
			link("conditioning_2", "CONDITIONING", ""),
		},
		Outputs: []nodes.Output{out("CONDITIONING")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			a, err := nodes.Value[sampling.Conditioning](in, "conditioning_1")
			if err != nil {
				return nodes.Result{}, err
			}
			b, err := nodes.Value[sampling.Conditioning](in, "conditioning_2")
			if err != nil {
				return nodes.Result{}, err
			}
			return single(CombineConditioning(a, b)), nil
		},
	}
}

// CombineConditioning is ConditioningCombine: the concatenation of both
// lists (a new slice; entries are shared, nodes never mutate them).
func CombineConditioning(a, b sampling.Conditioning) sampling.Conditioning {
	out := make(sampling.Conditioning, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func conditioningSetArea() *nodes.Class {
	return &nodes.Class{
		Name:         "ConditioningSetArea",
		DisplayName:  "Conditioning (Set Area)",
		Category:     "conditioning",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("conditioning", "CONDITIONING", ""),
			widget("width", "INT", resolutionOpts(64, 64, 8)),
			widget("height", "INT", resolutionOpts(64, 64, 8)),
			widget("x", "INT", resolutionOpts(0, 0, 8)),
			widget("y", "INT", resolutionOpts(0, 0, 8)),
			widget("strength", "FLOAT", nodes.Options{"default": 1.0, "min": 0.0, "max": 10.0, "step": 0.01}),
		},
		Outputs: []nodes.Output{out("CONDITIONING")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			c, err := nodes.Value[sampling.Conditioning](in, "conditioning")
			if err != nil {
				return nodes.Result{}, err
			}
			var dims [4]int64
			for i, name := range []string{"width", "height", "x", "y"} {
				if dims[i], err = in.Int(name); err != nil {
					return nodes.Result{}, err
				}
				if err := nodes.CheckResolution(name, dims[i]); err != nil {
					return nodes.Result{}, err
				}
			}
			strength, err := in.Float("strength")
			if err != nil {
				return nodes.Result{}, err
			}
			area := sampling.Area{Height: int(dims[1] / 8), Width: int(dims[0] / 8), Y: int(dims[3] / 8), X: int(dims[2] / 8)}
			return single(SetArea(c, area, strength)), nil
		},
	}
}

// SetArea is ConditioningSetArea: a copy of every entry with the area, the
// strength and set_area_to_bounds = false.
func SetArea(c sampling.Conditioning, area sampling.Area, strength float64) sampling.Conditioning {
	out := make(sampling.Conditioning, len(c))
	for i, e := range c {
		e.Extra = cloneExtra(e.Extra)
		a := area
		e.Area = &a
		e.Strength = strength
		e.SetAreaToBounds = false
		out[i] = e
	}
	return out
}

func cloneExtra(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func conditioningAverage() *nodes.Class {
	return &nodes.Class{
		Name: "ConditioningAverage",
		// ComfyUI's display-name table has the key "ConditioningAverage "
		// (trailing space), so the class key is shown.
		DisplayName:  "ConditioningAverage",
		Category:     "conditioning",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("conditioning_to", "CONDITIONING", ""),
			link("conditioning_from", "CONDITIONING", ""),
			widget("conditioning_to_strength", "FLOAT", nodes.Options{"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.01}),
		},
		Outputs: []nodes.Output{out("CONDITIONING")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			to, err := nodes.Value[sampling.Conditioning](in, "conditioning_to")
			if err != nil {
				return nodes.Result{}, err
			}
			from, err := nodes.Value[sampling.Conditioning](in, "conditioning_from")
			if err != nil {
				return nodes.Result{}, err
			}
			s, err := in.Float("conditioning_to_strength")
			if err != nil {
				return nodes.Result{}, err
			}
			if len(from) > 1 {
				ctx.Log().Warn("ConditioningAverage conditioning_from contains more than 1 cond, only the first one will actually be applied to conditioning_to.")
			}
			return singleResult(AverageConditioning(to, from, s))
		},
	}
}

// AverageConditioning is ConditioningAverage: every entry of to becomes
// to*s + from[0]*(1-s) (float32 tensor ops, from[0] cut or zero-padded to
// to's token count); pooled outputs are mixed the same way, or taken from
// from[0] when to has none.
func AverageConditioning(to, from sampling.Conditioning, s float64) (sampling.Conditioning, error) {
	if len(from) == 0 {
		return nil, fmt.Errorf("ConditioningAverage: conditioning_from is empty")
	}
	src := from[0].CrossAttn
	pooledFrom := from[0].Pooled
	if src == nil || len(src.Shape) != 3 {
		return nil, fmt.Errorf("ConditioningAverage: conditioning_from has no [B,tokens,dim] embedding")
	}
	ws := float32(s)
	wf := float32(1.0 - s)
	out := make(sampling.Conditioning, len(to))
	for i, e := range to {
		t1 := e.CrossAttn
		if t1 == nil || len(t1.Shape) != 3 {
			return nil, fmt.Errorf("ConditioningAverage: conditioning_to entry %d has no [B,tokens,dim] embedding", i)
		}
		if t1.Shape[2] != src.Shape[2] {
			return nil, fmt.Errorf("ConditioningAverage: embedding widths differ (%d vs %d)", t1.Shape[2], src.Shape[2])
		}
		t0, err := fitTokens(src, t1.Shape[1])
		if err != nil {
			return nil, err
		}
		tw, err := weightedSum(t1, ws, t0, wf)
		if err != nil {
			return nil, fmt.Errorf("ConditioningAverage: %w", err)
		}
		n := e
		n.Extra = cloneExtra(e.Extra)
		n.CrossAttn = tw
		pooledTo := e.Pooled
		if pooledTo == nil {
			pooledTo = pooledFrom
		}
		if pooledFrom != nil && pooledTo != nil {
			p, err := weightedSum(pooledTo, ws, pooledFrom, wf)
			if err != nil {
				return nil, fmt.Errorf("ConditioningAverage: pooled output: %w", err)
			}
			n.Pooled = p
		} else if pooledFrom != nil {
			n.Pooled = pooledFrom
		}
		out[i] = n
	}
	return out, nil
}

// fitTokens is cond_from[:, :tokens], zero-padded to tokens when shorter.
// The padding has batch 1 in the reference, so it only works there for a
// batch-1 source; comfyd pads every batch row.
func fitTokens(src *tensor.Tensor, tokens int) (*tensor.Tensor, error) {
	b, n, d := src.Shape[0], src.Shape[1], src.Shape[2]
	if err := nodes.CheckTensorSize("conditioning", b, tokens, d); err != nil {
		return nil, err
	}
	out := tensor.New(b, tokens, d)
	k := min(n, tokens)
	for bi := 0; bi < b; bi++ {
		copy(out.Data[bi*tokens*d:bi*tokens*d+k*d], src.Data[bi*n*d:bi*n*d+k*d])
	}
	return out, nil
}

// weightedSum is torch.mul(a, wa) + torch.mul(b, wb) with b broadcast over
// the batch (first) dimension when it has one row.
func weightedSum(a *tensor.Tensor, wa float32, b *tensor.Tensor, wb float32) (*tensor.Tensor, error) {
	if len(a.Shape) != len(b.Shape) || len(a.Shape) == 0 {
		return nil, fmt.Errorf("shapes %v and %v do not broadcast", a.Shape, b.Shape)
	}
	if !tensor.EqualShape(a.Shape[1:], b.Shape[1:]) || (b.Shape[0] != a.Shape[0] && b.Shape[0] != 1 && a.Shape[0] != 1) {
		return nil, fmt.Errorf("shapes %v and %v do not broadcast", a.Shape, b.Shape)
	}
	rows := max(a.Shape[0], b.Shape[0])
	per := tensor.Numel(a.Shape[1:])
	shape := append([]int{rows}, a.Shape[1:]...)
	out := tensor.New(shape...)
	for r := 0; r < rows; r++ {
		ar := a.Data[(r%a.Shape[0])*per:]
		br := b.Data[(r%b.Shape[0])*per:]
		dst := out.Data[r*per : (r+1)*per]
		for i := range dst {
			dst[i] = float32(ar[i]*wa) + float32(br[i]*wb)
		}
	}
	return out, nil
}
