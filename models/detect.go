package models

import (
	"fmt"
	"strings"

	"comfyd/models/sd1"
)

// Family is a model architecture recognised from a checkpoint's keys.
type Family string

const (
	FamilyUnknown       Family = "unknown"
	FamilySD1           Family = "SD1.x"
	FamilySD1Inpaint    Family = "SD1.x inpainting"
	FamilySD2           Family = "SD2.x"
	FamilySDXL          Family = "SDXL"
	FamilySDXLRefiner   Family = "SDXL refiner"
	FamilySD3           Family = "SD3"
	FamilyFlux          Family = "Flux"
	FamilyStableCascade Family = "Stable Cascade"
	FamilyAuraFlow      Family = "AuraFlow"
	FamilyHunyuanDiT    Family = "HunyuanDiT"
	FamilyPixArt        Family = "PixArt"
	FamilyLTXV          Family = "LTX-Video"
	FamilyHunyuanVideo  Family = "HunyuanVideo"
	FamilyLumina2       Family = "Lumina 2"
	FamilyWan           Family = "Wan"
	FamilyUNetOther     Family = "UNet (unrecognised variant)"
)

// unetPrefix is where single-file checkpoints keep the diffusion model.
const unetPrefix = "model.diffusion_model."

// DiffusionPrefix returns the key prefix of the diffusion model:
// "model.diffusion_model." in single-file checkpoints, "" in bare
// diffusion-model files.
func DiffusionPrefix(shapes map[string][]int) string {
	for k := range shapes {
		if strings.HasPrefix(k, unetPrefix) {
			return unetPrefix
		}
	}
	return ""
}

// markers are keys (after the diffusion prefix) that identify transformer
// families, checked in order, as ComfyUI's model_detection does.
var markers = []struct {
	key    string
	family Family
}{
	{"double_blocks.0.img_attn.norm.key_norm.scale", FamilyFlux},
	{"joint_blocks.0.context_block.attn.qkv.weight", FamilySD3},
	{"clf.1.weight", FamilyStableCascade},
	{"clip_txt_mapper.weight", FamilyStableCascade},
	{"cond_seq_linear.weight", FamilyAuraFlow},
	{"mlp_t5.0.weight", FamilyHunyuanDiT},
	{"adaln_single.emb.timestep_embedder.linear_1.bias", FamilyLTXV},
	{"txt_in.individual_token_refiner.blocks.0.norm1.weight", FamilyHunyuanVideo},
	{"t_block.1.weight", FamilyPixArt},
	{"cap_embedder.1.weight", FamilyLumina2},
	{"head.modulation", FamilyWan},
}

// DetectFamily names the architecture of a checkpoint from its keys and
// shapes (the shapes tell SD1 from SD2 and SDXL from its refiner).
func DetectFamily(shapes map[string][]int) Family {
	p := DiffusionPrefix(shapes)
	for _, m := range markers {
		if _, ok := shapes[p+m.key]; ok {
			return m.family
		}
	}
	in, ok := shapes[p+"input_blocks.0.0.weight"]
	if !ok || len(in) != 4 {
		return FamilyUnknown
	}
	ctxDim := contextDim(shapes, p)
	_, adm := shapes[p+"label_emb.0.0.weight"]
	switch {
	case adm && ctxDim == 2048:
		return FamilySDXL
	case adm && ctxDim == 1280:
		return FamilySDXLRefiner
	case adm:
		return FamilyUNetOther
	case ctxDim == 1024:
		return FamilySD2
	case linearProj(shapes, p):
		return FamilyUNetOther
	case in[1] == 4:
		// SD1.5 has context 768; other widths are SD1-structured
		// models such as the tiny test checkpoints.
		return FamilySD1
	case in[1] == 9:
		return FamilySD1Inpaint
	}
	return FamilyUNetOther
}

// linearProj reports spatial transformers with linear proj_in (SD2.1,
// SDXL) instead of SD1's 1×1 convolutions.
func linearProj(shapes map[string][]int, p string) bool {
	for k, v := range shapes {
		if strings.HasPrefix(k, p) && strings.HasSuffix(k, ".proj_in.weight") {
			return len(v) == 2
		}
	}
	return false
}

// contextDim is the cross-attention context width of the first
// transformer, 0 when there is none.
func contextDim(shapes map[string][]int, p string) int {
	best := ""
	for k := range shapes {
		if strings.HasPrefix(k, p) && strings.HasSuffix(k, ".attn2.to_k.weight") && (best == "" || k < best) {
			best = k
		}
	}
	if s := shapes[best]; len(s) == 2 {
		return s[1]
	}
	return 0
}

// DetectUNetConfig reads an SD1-structured UNet's configuration (any width,
// depth, levels and attention placement) from its keys under prefix, like
// ComfyUI's detect_unet_config. The head count cannot be read from the
// keys: numHeads <= 0 means SD1.5's 8 heads.
func DetectUNetConfig(shapes map[string][]int, prefix string, numHeads int) (sd1.UNetConfig, error) {
	if numHeads <= 0 {
		numHeads = sd1.SD15Heads
	}
	get := func(k string) []int { return shapes[prefix+k] }
	in := get("input_blocks.0.0.weight")
	out := get("out.2.weight")
	if len(in) != 4 || len(out) != 4 {
		return sd1.UNetConfig{}, fmt.Errorf("no SD-style UNet under %q (input_blocks.0.0 / out.2 missing)", prefix)
	}
	if get("label_emb.0.0.weight") != nil {
		return sd1.UNetConfig{}, fmt.Errorf("UNet with class/ADM embedding (SDXL-style) is not an SD1 UNet")
	}
	c := sd1.UNetConfig{
		InChannels: in[1], ModelChannels: in[0], OutChannels: out[0],
		NumHeads: numHeads, NumHeadChannels: -1,
		TransformerDepthMiddle: -1,
	}
	mc := c.ModelChannels
	level, blocks := 0, 0
	for i := 1; ; i++ {
		if get(fmt.Sprintf("input_blocks.%d.0.op.weight", i)) != nil {
			c.NumResBlocks = append(c.NumResBlocks, blocks)
			level++
			blocks = 0
			continue
		}
		w := get(fmt.Sprintf("input_blocks.%d.0.in_layers.2.weight", i))
		if w == nil {
			break
		}
		if len(w) != 4 || mc <= 0 {
			return sd1.UNetConfig{}, fmt.Errorf("UNet input block %d has a malformed weight shape %v", i, w)
		}
		if blocks == 0 {
			if w[0]%mc != 0 {
				return sd1.UNetConfig{}, fmt.Errorf("UNet level %d width %d is not a multiple of %d", level, w[0], mc)
			}
			c.ChannelMult = append(c.ChannelMult, w[0]/mc)
		}
		blocks++
		d, err := transformerDepth(shapes, prefix, fmt.Sprintf("input_blocks.%d.1", i), &c)
		if err != nil {
			return sd1.UNetConfig{}, err
		}
		c.TransformerDepth = append(c.TransformerDepth, d)
	}
	if blocks == 0 {
		return sd1.UNetConfig{}, fmt.Errorf("UNet under %q: last level has no res blocks", prefix)
	}
	c.NumResBlocks = append(c.NumResBlocks, blocks)
	switch {
	case get("middle_block.1.transformer_blocks.0.norm1.weight") != nil:
		d, err := transformerDepth(shapes, prefix, "middle_block.1", &c)
		if err != nil {
			return sd1.UNetConfig{}, err
		}
		c.TransformerDepthMiddle = d
	case get("middle_block.1.in_layers.0.weight") == nil:
		return sd1.UNetConfig{}, fmt.Errorf("UNet under %q has no middle block", prefix)
	}
	var outDepths []int
	for i := 0; get(fmt.Sprintf("output_blocks.%d.0.in_layers.0.weight", i)) != nil; i++ {
		d, err := transformerDepth(shapes, prefix, fmt.Sprintf("output_blocks.%d.1", i), &c)
		if err != nil {
			return sd1.UNetConfig{}, err
		}
		outDepths = append(outDepths, d)
	}
	// ComfyUI pops transformer_depth_output from the end.
	for i := len(outDepths) - 1; i >= 0; i-- {
		c.TransformerDepthOutput = append(c.TransformerDepthOutput, outDepths[i])
	}
	if err := c.Validate(); err != nil {
		return sd1.UNetConfig{}, err
	}
	return c, nil
}

// transformerDepth counts the transformer blocks of the spatial
// transformer at block (0 when absent) and records the context width and
// projection kind.
func transformerDepth(shapes map[string][]int, prefix, block string, c *sd1.UNetConfig) (int, error) {
	d := 0
	for shapes[fmt.Sprintf("%s%s.transformer_blocks.%d.norm1.weight", prefix, block, d)] != nil {
		d++
	}
	if d == 0 {
		return 0, nil
	}
	k := shapes[fmt.Sprintf("%s%s.transformer_blocks.0.attn2.to_k.weight", prefix, block)]
	if len(k) != 2 {
		return 0, fmt.Errorf("UNet %s: cross-attention weights missing", block)
	}
	c.ContextDim = k[1]
	c.UseLinearInTransformer = len(shapes[prefix+block+".proj_in.weight"]) == 2
	return d, nil
}
