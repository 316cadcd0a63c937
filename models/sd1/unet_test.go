package sd1

import (
	"context"
	"testing"
)

// tinyUNetConfig reads the fixture's UNetModel arguments.
func tinyUNetConfig(t testing.TB) UNetConfig {
	var info struct {
		Config struct {
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
		} `json:"config"`
	}
	readJSON(t, "unet_tiny_info.json", &info)
	c := info.Config
	return UNetConfig{
		InChannels: c.InChannels, OutChannels: c.OutChannels, ModelChannels: c.ModelChannels,
		ChannelMult: c.ChannelMult, NumResBlocks: c.NumResBlocks,
		TransformerDepth: c.TransformerDepth, TransformerDepthOutput: c.TransformerDepthOutput,
		TransformerDepthMiddle: c.TransformerDepthMiddle, ContextDim: c.ContextDim,
		UseLinearInTransformer: c.UseLinear, NumHeads: c.NumHeads, NumHeadChannels: c.NumHeadChannels,
	}
}

func loadTinyUNet(t testing.TB) *UNet {
	u, err := LoadUNet(checkpointSource(t), "model.diffusion_model.", tinyUNetConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTimestepEmbeddingGolden(t *testing.T) {
	io := openGolden(t, "unet_tiny_io.safetensors")
	ts := mustTensor(t, io, "timesteps")
	want := mustTensor(t, io, "timestep_embedding")
	got := TimestepEmbedding(ts.Data, want.Shape[1])
	// sin and cos may differ by one float32 ulp at 1 (PyTorch's SLEEF
	// sin/cos are 1-ulp accurate, Go's are correctly rounded).
	checkClose(t, "timestep_embedding", got, want, 0, 0x1p-23)
}

func TestUNetGolden(t *testing.T) {
	u := loadTinyUNet(t)
	io := openGolden(t, "unet_tiny_io.safetensors")
	x := mustTensor(t, io, "x")
	ts := mustTensor(t, io, "timesteps")
	c := mustTensor(t, io, "context")
	out, err := u.Forward(context.Background(), x.Data, x.Shape[0], x.Shape[2], x.Shape[3], ts.Data, c.Data, c.Shape[0], c.Shape[1])
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "unet out", out, mustTensor(t, io, "out_f64"), passRel, passAbs)
}
