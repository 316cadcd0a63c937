package sd1

import (
	"context"
	"testing"
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
