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

// TestUNetOddSizesAndBroadcast runs latents whose sides are not multiples
// of the UNet's downscale (upsampling follows the skip connections' shapes,
// as ComfyUI's output_shape) and a batch-1 context shared by a batch of 3;
// each row must equal its own batch-1 run.
func TestUNetOddSizesAndBroadcast(t *testing.T) {
	u := loadTinyUNet(t)
	io := openGolden(t, "unet_tiny_io.safetensors")
	c := mustTensor(t, io, "context")
	ctx1 := c.Data[:c.Shape[1]*c.Shape[2]]
	const n, h, w = 3, 7, 5
	x := make([]float32, n*4*h*w)
	for i := range x {
		x[i] = float32(i%17)/8 - 1
	}
	ts := []float32{999, 500, 1}
	out, err := u.Forward(context.Background(), x, n, h, w, ts, ctx1, 1, c.Shape[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n*4*h*w {
		t.Fatalf("output of %d values, want %d", len(out), n*4*h*w)
	}
	per := 4 * h * w
	for b := range n {
		one, err := u.Forward(context.Background(), x[b*per:(b+1)*per], 1, h, w, ts[b:b+1], ctx1, 1, c.Shape[1])
		if err != nil {
			t.Fatal(err)
		}
		for i := range one {
			if one[i] != out[b*per+i] {
				t.Fatalf("row %d differs from its batch-1 run at %d: %v vs %v", b, i, out[b*per+i], one[i])
			}
		}
	}
}

func TestUNetCancelledAndBadInput(t *testing.T) {
	u := loadTinyUNet(t)
	x := make([]float32, 4*8*8)
	cx := make([]float32, 77*32)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := u.Forward(ctx, x, 1, 8, 8, []float32{1}, cx, 1, 77); err == nil {
		t.Error("cancelled context: want an error")
	}
	if _, err := u.Forward(context.Background(), x, 1, 8, 8, []float32{1, 2}, cx, 1, 77); err == nil {
		t.Error("timestep count mismatch: want an error")
	}
	if _, err := u.Forward(context.Background(), x, 1, 8, 8, []float32{1}, cx[:10], 1, 77); err == nil {
		t.Error("short context: want an error")
	}
}
