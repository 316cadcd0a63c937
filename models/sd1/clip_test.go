package sd1

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"comfyd/models/tokenizer"
	"comfyd/tensor"
)

func loadTinyCLIP(t *testing.T) *TextEncoder {
	t.Helper()
	src := checkpointSource(t)
	const prefix = "cond_stage_model.transformer.text_model."
	var info struct {
		Config struct {
			Hidden       int `json:"hidden_size"`
			Layers       int `json:"num_hidden_layers"`
			Heads        int `json:"num_attention_heads"`
			Intermediate int `json:"intermediate_size"`
		} `json:"config"`
	}
	readJSON(t, "clip_tiny_info.json", &info)
	cfg, err := CLIPConfigFromShapes(src, prefix, info.Config.Heads)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hidden != info.Config.Hidden || cfg.Layers != info.Config.Layers || cfg.Intermediate != info.Config.Intermediate || cfg.Vocab != 49408 || cfg.Positions != 77 {
		t.Fatalf("detected CLIP config %+v, fixture %+v", cfg, info.Config)
	}
	e, err := LoadTextEncoder(src, prefix, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCLIPRawGolden(t *testing.T) {
	e := loadTinyCLIP(t)
	io := openGolden(t, "clip_tiny_io.safetensors")
	ids, shape, err := io.Int64("raw.input_ids")
	if err != nil {
		t.Fatal(err)
	}
	seqs := make([][]Input, shape[0])
	for i := range seqs {
		for j := range shape[1] {
			seqs[i] = append(seqs[i], Input{ID: int(ids[i*shape[1]+j])})
		}
	}
	cases := []struct {
		layer          int
		hidden, pooled string
	}{
		{0, "raw.last_hidden_f64", "raw.pooled_f64"},
		{-1, "raw.last_hidden_f64", "raw.pooled_f64"},
		{-2, "raw.penultimate_ln_f64", "raw.pooled_f64"},
		{-99, "raw.last_hidden_f64", "raw.pooled_f64"},
	}
	for _, c := range cases {
		out, err := e.Forward(context.Background(), seqs, c.layer)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, c.hidden, out.Hidden.Data, mustTensor(t, io, c.hidden), passRel, passAbs)
		checkClose(t, c.pooled, out.Pooled.Data, mustTensor(t, io, c.pooled), passRel, passAbs)
	}
}

func tinyTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	dir := os.Getenv(tokenizer.EnvDir)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "golden", "sd1", "tokenizer")
	}
	b, err := tokenizer.LoadBPE(dir)
	if err != nil {
		t.Fatalf("tokenizer vocabulary: %v", err)
	}
	return &tokenizer.Tokenizer{BPE: b, Embeddings: tokenizer.DirEmbeddings{Dirs: []string{filepath.Join(goldenDir(t), "embeddings")}, Key: "clip_l"}}
}

func loadPrompts(t *testing.T) []string {
	t.Helper()
	var f struct {
		Prompts []struct {
			Text string `json:"text"`
		} `json:"prompts"`
	}
	data, err := os.ReadFile(filepath.Join(goldenDir(t), "tokenizer_cases.json"))
	if err != nil {
		t.Fatalf("tokenizer_cases.json: %v", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(f.Prompts))
	for i, p := range f.Prompts {
		out[i] = p.Text
	}
	return out
}

func TestCLIPEncodeGolden(t *testing.T) {
	e := loadTinyCLIP(t)
	tk := tinyTokenizer(t)
	prompts := loadPrompts(t)
	io := openGolden(t, "clip_tiny_io.safetensors")
	var info struct {
		Cases []struct {
			Prompt    int    `json:"prompt_index"`
			ClipSkip  int    `json:"clip_skip"`
			CondKey   string `json:"cond_key"`
			PooledKey string `json:"pooled_key"`
			Shape     []int  `json:"cond_shape"`
		} `json:"encode_cases"`
	}
	readJSON(t, "clip_tiny_info.json", &info)
	if len(info.Cases) == 0 {
		t.Fatal("no encode cases")
	}
	for _, c := range info.Cases {
		cond, pooled, err := e.EncodeChunks(context.Background(), tk.TokenizeWithWeights(prompts[c.Prompt]), c.ClipSkip)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.EqualShape(cond.Shape, c.Shape) {
			t.Fatalf("%s: shape %v want %v", c.CondKey, cond.Shape, c.Shape)
		}
		// enc.* exist in f32 only (ComfyUI forces f32 on this path).
		checkClose(t, c.CondKey, cond.Data, mustTensor(t, io, c.CondKey), passRel, passAbs)
		checkClose(t, c.PooledKey, pooled.Data, mustTensor(t, io, c.PooledKey), passRel, passAbs)
	}
}
