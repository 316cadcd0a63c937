package models

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"comfyd/models/safetensors"
	"comfyd/models/sd1"
)

func goldenDir() string {
	if d := os.Getenv("COMFYD_SD1_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "testdata", "golden", "sd1")
}

// comfyUNetConfig is the UNetModel dict ComfyUI's detection produces.
type comfyUNetConfig struct {
	InChannels             int   `json:"in_channels"`
	OutChannels            int   `json:"out_channels"`
	ModelChannels          int   `json:"model_channels"`
	NumResBlocks           []int `json:"num_res_blocks"`
	ChannelMult            []int `json:"channel_mult"`
	TransformerDepth       []int `json:"transformer_depth"`
	TransformerDepthOutput []int `json:"transformer_depth_output"`
	TransformerDepthMiddle int   `json:"transformer_depth_middle"`
	UseLinear              bool  `json:"use_linear_in_transformer"`
	ContextDim             int   `json:"context_dim"`
	NumHeads               int   `json:"num_heads"`
	NumHeadChannels        int   `json:"num_head_channels"`
}

func (c comfyUNetConfig) sd1() sd1.UNetConfig {
	return sd1.UNetConfig{
		InChannels: c.InChannels, OutChannels: c.OutChannels, ModelChannels: c.ModelChannels,
		ChannelMult: c.ChannelMult, NumResBlocks: c.NumResBlocks,
		TransformerDepth: c.TransformerDepth, TransformerDepthOutput: c.TransformerDepthOutput,
		TransformerDepthMiddle: c.TransformerDepthMiddle, ContextDim: c.ContextDim,
		UseLinearInTransformer: c.UseLinear, NumHeads: c.NumHeads, NumHeadChannels: c.NumHeadChannels,
	}
}

type manifest struct {
	UNet struct {
		Config comfyUNetConfig  `json:"config"`
		Keys   map[string][]int `json:"keys"`
	} `json:"unet"`
	VAE struct {
		Keys map[string][]int `json:"keys"`
	} `json:"vae"`
	CLIP struct {
		Keys map[string][]int `json:"keys"`
	} `json:"clip"`
}

func loadManifest(t testing.TB) (manifest, map[string][]int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(), "sd15_full_key_manifest.json"))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	all := map[string][]int{}
	for _, part := range []map[string][]int{m.UNet.Keys, m.VAE.Keys, m.CLIP.Keys} {
		for k, v := range part {
			all[k] = v
		}
	}
	if len(m.UNet.Keys) == 0 {
		t.Fatal("manifest has no UNet keys")
	}
	return m, all
}

func TestDetectSD15Manifest(t *testing.T) {
	m, all := loadManifest(t)
	if f := DetectFamily(all); f != FamilySD1 {
		t.Fatalf("family %q, want %q", f, FamilySD1)
	}
	got, err := DetectUNetConfig(all, DiffusionPrefix(all), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := m.UNet.Config.sd1(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config\n got %+v\nwant %+v", got, want)
	}
}

func TestDetectTinyCheckpoint(t *testing.T) {
	f, err := safetensors.Open(filepath.Join(goldenDir(), "tiny_sd1_checkpoint.safetensors"))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	defer f.Close()
	var info struct {
		Config comfyUNetConfig `json:"config"`
	}
	b, err := os.ReadFile(filepath.Join(goldenDir(), "unet_tiny_info.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	shapes := f.Shapes()
	if fam := DetectFamily(shapes); fam != FamilySD1 {
		t.Errorf("family %q, want %q", fam, FamilySD1)
	}
	got, err := DetectUNetConfig(shapes, DiffusionPrefix(shapes), info.Config.NumHeads)
	if err != nil {
		t.Fatal(err)
	}
	if want := info.Config.sd1(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config\n got %+v\nwant %+v", got, want)
	}
}

// withKeys returns a copy of base with keys dropped and extra added.
func withKeys(base map[string][]int, extra map[string][]int, drop ...string) map[string][]int {
	out := map[string][]int{}
	for k, v := range base {
		out[k] = v
	}
	for _, d := range drop {
		delete(out, d)
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestDetectFamilies(t *testing.T) {
	_, sd15 := loadManifest(t)
	sd2 := map[string][]int{}
	for k, v := range sd15 {
		if len(v) == 2 && (filepath.Ext(k) == ".weight") && (strings.Contains(k, "attn2.to_k") || strings.Contains(k, "attn2.to_v")) {
			v = []int{v[0], 1024}
		}
		sd2[k] = v
	}
	cases := []struct {
		name   string
		shapes map[string][]int
		want   Family
	}{
		{"sd1.5", sd15, FamilySD1},
		{"sd2", sd2, FamilySD2},
		{"sd1 inpaint", withKeys(sd15, map[string][]int{"model.diffusion_model.input_blocks.0.0.weight": {320, 9, 3, 3}}), FamilySD1Inpaint},
		{"sdxl", map[string][]int{"model.diffusion_model.input_blocks.0.0.weight": {320, 4, 3, 3}, "model.diffusion_model.label_emb.0.0.weight": {1280, 2816}, "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": {640, 2048}}, FamilySDXL},
		{"sdxl refiner", map[string][]int{"model.diffusion_model.input_blocks.0.0.weight": {384, 4, 3, 3}, "model.diffusion_model.label_emb.0.0.weight": {1536, 2560}, "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": {768, 1280}}, FamilySDXLRefiner},
		{"flux bare", map[string][]int{"double_blocks.0.img_attn.norm.key_norm.scale": {128}, "img_in.weight": {3072, 64}}, FamilyFlux},
		{"sd3", map[string][]int{"model.diffusion_model.joint_blocks.0.context_block.attn.qkv.weight": {4608, 1536}}, FamilySD3},
		{"vae only", map[string][]int{"encoder.conv_in.weight": {128, 3, 3, 3}}, FamilyUnknown},
		{"empty", map[string][]int{}, FamilyUnknown},
	}
	for _, c := range cases {
		if got := DetectFamily(c.shapes); got != c.want {
			t.Errorf("%s: %q want %q", c.name, got, c.want)
		}
	}
}

func TestDetectUNetConfigErrors(t *testing.T) {
	_, sd15 := loadManifest(t)
	cases := []struct {
		name   string
		shapes map[string][]int
	}{
		{"no unet", map[string][]int{}},
		{"adm", withKeys(sd15, map[string][]int{"model.diffusion_model.label_emb.0.0.weight": {1280, 2816}})},
		{"no middle", withKeys(sd15, nil, "model.diffusion_model.middle_block.1.transformer_blocks.0.norm1.weight", "model.diffusion_model.middle_block.1.in_layers.0.weight")},
	}
	for _, c := range cases {
		if _, err := DetectUNetConfig(c.shapes, "model.diffusion_model.", 0); err == nil {
			t.Errorf("%s: want an error", c.name)
		}
	}
}
