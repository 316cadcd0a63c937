package sd1

import (
	"context"
	"testing"
)

func loadTinyVAE(t *testing.T) *VAE {
	src := checkpointSource(t)
	cfg, err := VAEConfigFromShapes(src, "first_stage_model.")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		DDConfig struct {
			Ch           int   `json:"ch"`
			ChMult       []int `json:"ch_mult"`
			NumResBlocks int   `json:"num_res_blocks"`
			ZChannels    int   `json:"z_channels"`
		} `json:"ddconfig"`
		EmbedDim int `json:"embed_dim"`
	}
	readJSON(t, "vae_tiny_info.json", &info)
	d := info.DDConfig
	if cfg.Ch != d.Ch || len(cfg.ChMult) != len(d.ChMult) || cfg.NumResBlocks != d.NumResBlocks || cfg.ZChannels != d.ZChannels || cfg.EmbedDim != info.EmbedDim {
		t.Fatalf("detected VAE config %+v, fixture says %+v embed %d", cfg, d, info.EmbedDim)
	}
	for i := range d.ChMult {
		if cfg.ChMult[i] != d.ChMult[i] {
			t.Fatalf("ch_mult %v want %v", cfg.ChMult, d.ChMult)
		}
	}
	v, err := LoadVAE(src, "first_stage_model.", cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVAEDecodeGolden(t *testing.T) {
	v := loadTinyVAE(t)
	io := openGolden(t, "vae_tiny_io.safetensors")
	lat := mustTensor(t, io, "latent")
	raw, _, _, err := v.DecodeRaw(context.Background(), lat.Data, lat.Shape[0], lat.Shape[2], lat.Shape[3])
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "decode_raw", raw, mustTensor(t, io, "decode_raw_f64"), passRel, passAbs)
	img, err := v.Decode(context.Background(), lat)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "decode_image", img.Data, mustTensor(t, io, "decode_image_f64"), passRel, passAbs)
}

func TestVAEEncodeGolden(t *testing.T) {
	v := loadTinyVAE(t)
	io := openGolden(t, "vae_tiny_io.safetensors")
	img := mustTensor(t, io, "image_nhwc")
	n, h, w := img.Shape[0], img.Shape[1], img.Shape[2]
	x := make([]float32, n*3*h*w)
	for i := range h * w {
		for c := range 3 {
			x[c*h*w+i] = img.Data[i*3+c]*2 - 1
		}
	}
	mom, _, _, err := v.EncodeMoments(context.Background(), x, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "encode_moments", mom, mustTensor(t, io, "encode_moments_f64"), passRel, passAbs)
	mean, err := v.Encode(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "encode_mean", mean.Data, mustTensor(t, io, "encode_mean_f64"), passRel, passAbs)
}
