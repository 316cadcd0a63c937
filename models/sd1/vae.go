package sd1

import (
	"context"
	"fmt"

	"comfyd/tensor"
)

// VAEConfig is the AutoencoderKL ddconfig that matters for inference.
type VAEConfig struct {
	Ch           int   // base channels (128 for SD1)
	ChMult       []int // per level multiplier ([1,2,4,4])
	NumResBlocks int
	ZChannels    int // latent channels after post_quant_conv (4)
	EmbedDim     int // quant_conv latent channels (4)
	InChannels   int // image channels (3)
	OutChannels  int
}

// VAEConfigFromShapes reads the configuration from the first_stage_model
// keys under prefix.
func VAEConfigFromShapes(src Source, prefix string) (VAEConfig, error) {
	l := newLoader(src, prefix, nil)
	in := l.shape("encoder.conv_in.weight")
	zin := l.shape("decoder.conv_in.weight")
	q := l.shape("quant_conv.weight")
	out := l.shape("decoder.conv_out.weight")
	if len(in) != 4 || len(zin) != 4 || len(q) < 2 || len(out) != 4 {
		return VAEConfig{}, fmt.Errorf("VAE keys under %q are missing or malformed", prefix)
	}
	c := VAEConfig{Ch: in[0], InChannels: in[1], ZChannels: zin[1], EmbedDim: q[0] / 2, OutChannels: out[0]}
	if c.Ch <= 0 || c.Ch%32 != 0 || c.EmbedDim <= 0 {
		return VAEConfig{}, fmt.Errorf("VAE with %d base channels and %d latent channels is not supported (GroupNorm needs multiples of 32)", c.Ch, c.EmbedDim)
	}
	for lvl := 0; l.has(fmt.Sprintf("encoder.down.%d.block.0.conv1.weight", lvl)); lvl++ {
		s := l.shape(fmt.Sprintf("encoder.down.%d.block.0.conv1.weight", lvl))
		if len(s) != 4 || s[0] <= 0 || s[0]%c.Ch != 0 {
			return VAEConfig{}, fmt.Errorf("VAE level %d weight shape %v: channels not a positive multiple of %d", lvl, s, c.Ch)
		}
		c.ChMult = append(c.ChMult, s[0]/c.Ch)
		if l.has(fmt.Sprintf("encoder.down.%d.attn.0.q.weight", lvl)) {
			return VAEConfig{}, fmt.Errorf("VAE with attention at level %d is not supported", lvl)
		}
	}
	for c.NumResBlocks = 0; l.has(fmt.Sprintf("encoder.down.0.block.%d.conv1.weight", c.NumResBlocks)); c.NumResBlocks++ {
	}
	if len(c.ChMult) == 0 || c.NumResBlocks == 0 {
		return VAEConfig{}, fmt.Errorf("VAE encoder under %q has no levels", prefix)
	}
	return c, nil
}

type vaeResBlock struct {
	norm1, norm2 norm
	conv1, conv2 conv2d
	shortcut     *conv2d
	in, out      int
}

func (l *loader) vaeResBlock(name string, in, out int) vaeResBlock {
	b := vaeResBlock{
		in: in, out: out,
		norm1: l.norm(name+".norm1", in, 1e-6),
		conv1: l.conv(name+".conv1", in, out, 3, 1, 1),
		norm2: l.norm(name+".norm2", out, 1e-6),
		conv2: l.conv(name+".conv2", out, out, 3, 1, 1),
	}
	if in != out {
		s := l.conv(name+".nin_shortcut", in, out, 1, 1, 0)
		b.shortcut = &s
	}
	return b
}

func (b *vaeResBlock) forward(x []float32, n, h, w int) []float32 {
	hid := b.norm1.groupNorm(x, n, b.in, h*w, true)
	hid, _, _ = b.conv1.forward(hid, n, h, w)
	hid = b.norm2.groupNorm(hid, n, b.out, h*w, true)
	hid, _, _ = b.conv2.forward(hid, n, h, w)
	skip := x
	if b.shortcut != nil {
		skip, _, _ = b.shortcut.forward(x, n, h, w)
	}
	tensor.Add(hid, hid, skip)
	return hid
}

// vaeAttn is the single-head spatial self-attention of the VAE mid block
// with 1×1 convolutions for q, k, v and the output projection.
type vaeAttn struct {
	norm          norm
	q, k, v, proj conv2d
	ch            int
}

func (l *loader) vaeAttn(name string, ch int) vaeAttn {
	return vaeAttn{
		ch:   ch,
		norm: l.norm(name+".norm", ch, 1e-6),
		q:    l.conv(name+".q", ch, ch, 1, 1, 0),
		k:    l.conv(name+".k", ch, ch, 1, 1, 0),
		v:    l.conv(name+".v", ch, ch, 1, 1, 0),
		proj: l.conv(name+".proj_out", ch, ch, 1, 1, 0),
	}
}

func (a *vaeAttn) forward(x []float32, n, h, w int) []float32 {
	c, hw := a.ch, h*w
	hn := a.norm.groupNorm(x, n, c, hw, false)
	q, _, _ := a.q.forward(hn, n, h, w)
	k, _, _ := a.k.forward(hn, n, h, w)
	v, _, _ := a.v.forward(hn, n, h, w)
	// attention wants token-major [hw, c]
	qt, kt, vt, ot := make([]float32, c*hw), make([]float32, c*hw), make([]float32, c*hw), make([]float32, c*hw)
	att := make([]float32, n*c*hw)
	for b := range n {
		off := b * c * hw
		transpose2(qt, q[off:off+c*hw], c, hw)
		transpose2(kt, k[off:off+c*hw], c, hw)
		transpose2(vt, v[off:off+c*hw], c, hw)
		attention(ot, qt, kt, vt, hw, hw, 1, c, false)
		transpose2(att[off:off+c*hw], ot, hw, c)
	}
	out, _, _ := a.proj.forward(att, n, h, w)
	tensor.Add(out, out, x)
	return out
}

type vaeLevel struct {
	blocks []vaeResBlock
	resize *conv2d // downsample (encoder) or upsample conv (decoder)
}

// VAE is SD1's AutoencoderKL.
type VAE struct {
	cfg VAEConfig

	encIn             conv2d
	encLevels         []vaeLevel
	encMid1, encMid2  vaeResBlock
	encAttn           vaeAttn
	encNormOut        norm
	encOut, quantConv conv2d
	postQuant, decIn  conv2d
	decMid1, decMid2  vaeResBlock
	decAttn           vaeAttn
	decLevels         []vaeLevel // indexed by level, run from last to 0
	decNormOut        norm
	decOut            conv2d
	downscale         int
}

// LoadVAE reads a VAE with cfg from src under prefix (e.g.
// "first_stage_model.").
func LoadVAE(src Source, prefix string, cfg VAEConfig, progress func(int)) (*VAE, error) {
	l := newLoader(src, prefix, progress)
	v := &VAE{cfg: cfg, downscale: 1 << (len(cfg.ChMult) - 1)}
	ch := cfg.Ch
	v.encIn = l.conv("encoder.conv_in", cfg.InChannels, ch, 3, 1, 1)
	blockIn := ch
	for lvl, mult := range cfg.ChMult {
		var lv vaeLevel
		out := ch * mult
		for i := range cfg.NumResBlocks {
			lv.blocks = append(lv.blocks, l.vaeResBlock(fmt.Sprintf("encoder.down.%d.block.%d", lvl, i), blockIn, out))
			blockIn = out
		}
		if lvl != len(cfg.ChMult)-1 {
			d := l.conv(fmt.Sprintf("encoder.down.%d.downsample.conv", lvl), blockIn, blockIn, 3, 2, 0)
			// ComfyUI pads (0,1,0,1): right and bottom only.
			if d.w != nil {
				d.w.P.PadBottom, d.w.P.PadRight = 1, 1
			}
			lv.resize = &d
		}
		v.encLevels = append(v.encLevels, lv)
	}
	v.encMid1 = l.vaeResBlock("encoder.mid.block_1", blockIn, blockIn)
	v.encAttn = l.vaeAttn("encoder.mid.attn_1", blockIn)
	v.encMid2 = l.vaeResBlock("encoder.mid.block_2", blockIn, blockIn)
	v.encNormOut = l.norm("encoder.norm_out", blockIn, 1e-6)
	v.encOut = l.conv("encoder.conv_out", blockIn, 2*cfg.ZChannels, 3, 1, 1)
	v.quantConv = l.conv("quant_conv", 2*cfg.ZChannels, 2*cfg.EmbedDim, 1, 1, 0)

	v.postQuant = l.conv("post_quant_conv", cfg.EmbedDim, cfg.ZChannels, 1, 1, 0)
	blockIn = ch * cfg.ChMult[len(cfg.ChMult)-1]
	v.decIn = l.conv("decoder.conv_in", cfg.ZChannels, blockIn, 3, 1, 1)
	v.decMid1 = l.vaeResBlock("decoder.mid.block_1", blockIn, blockIn)
	v.decAttn = l.vaeAttn("decoder.mid.attn_1", blockIn)
	v.decMid2 = l.vaeResBlock("decoder.mid.block_2", blockIn, blockIn)
	v.decLevels = make([]vaeLevel, len(cfg.ChMult))
	for lvl := len(cfg.ChMult) - 1; lvl >= 0; lvl-- {
		out := ch * cfg.ChMult[lvl]
		lv := &v.decLevels[lvl]
		for i := range cfg.NumResBlocks + 1 {
			lv.blocks = append(lv.blocks, l.vaeResBlock(fmt.Sprintf("decoder.up.%d.block.%d", lvl, i), blockIn, out))
			blockIn = out
		}
		if lvl != 0 {
			u := l.conv(fmt.Sprintf("decoder.up.%d.upsample.conv", lvl), blockIn, blockIn, 3, 1, 1)
			lv.resize = &u
		}
	}
	v.decNormOut = l.norm("decoder.norm_out", blockIn, 1e-6)
	v.decOut = l.conv("decoder.conv_out", blockIn, cfg.OutChannels, 3, 1, 1)
	if *l.err != nil {
		return nil, *l.err
	}
	return v, nil
}

// Config returns the VAE's configuration.
func (v *VAE) Config() VAEConfig { return v.cfg }

// Downscale is the spatial factor between image and latent (8 for SD1).
func (v *VAE) Downscale() int { return v.downscale }

// EncodeMoments maps x [n, 3, H, W] in [-1,1] to quant_conv's output
// [n, 2·embed, H/8, W/8]: the mean, then the log-variance.
func (v *VAE) EncodeMoments(ctx context.Context, x []float32, n, h, w int) ([]float32, int, int, error) {
	hid, h, w := v.encIn.forward(x, n, h, w)
	for _, lv := range v.encLevels {
		for i := range lv.blocks {
			if err := ctx.Err(); err != nil {
				return nil, 0, 0, err
			}
			hid = lv.blocks[i].forward(hid, n, h, w)
		}
		if lv.resize != nil {
			hid, h, w = lv.resize.forward(hid, n, h, w)
		}
	}
	hid = v.encMid1.forward(hid, n, h, w)
	hid = v.encAttn.forward(hid, n, h, w)
	hid = v.encMid2.forward(hid, n, h, w)
	hid = v.encNormOut.groupNorm(hid, n, v.encMid2.out, h*w, true)
	hid, _, _ = v.encOut.forward(hid, n, h, w)
	hid, _, _ = v.quantConv.forward(hid, n, h, w)
	return hid, h, w, ctx.Err()
}

// DecodeRaw maps a latent z [n, embed, h, w] to the decoder output
// [n, 3, 8h, 8w] (roughly [-1,1], not clamped).
func (v *VAE) DecodeRaw(ctx context.Context, z []float32, n, h, w int) ([]float32, int, int, error) {
	hid, _, _ := v.postQuant.forward(z, n, h, w)
	hid, _, _ = v.decIn.forward(hid, n, h, w)
	hid = v.decMid1.forward(hid, n, h, w)
	hid = v.decAttn.forward(hid, n, h, w)
	hid = v.decMid2.forward(hid, n, h, w)
	ch := v.decMid2.out
	for lvl := len(v.decLevels) - 1; lvl >= 0; lvl-- {
		lv := v.decLevels[lvl]
		for i := range lv.blocks {
			if err := ctx.Err(); err != nil {
				return nil, 0, 0, err
			}
			hid = lv.blocks[i].forward(hid, n, h, w)
			ch = lv.blocks[i].out
		}
		if lv.resize != nil {
			hid = upsampleNearest(hid, n, ch, h, w, 2*h, 2*w)
			h, w = 2*h, 2*w
			hid, _, _ = lv.resize.forward(hid, n, h, w)
		}
	}
	hid = v.decNormOut.groupNorm(hid, n, ch, h*w, true)
	hid, _, _ = v.decOut.forward(hid, n, h, w)
	return hid, h, w, ctx.Err()
}

// Decode maps a latent [B, C, h, w] (VAE units) to an image [B, H, W, 3] in
// [0,1], as comfy.sd.VAE.decode: clamp((x+1)/2, 0, 1), channels last.
func (v *VAE) Decode(ctx context.Context, latent *tensor.Tensor) (*tensor.Tensor, error) {
	if len(latent.Shape) != 4 || latent.Shape[1] != v.cfg.EmbedDim {
		return nil, fmt.Errorf("VAE decode needs a [B,%d,h,w] latent, got %v", v.cfg.EmbedDim, latent.Shape)
	}
	n, h, w := latent.Shape[0], latent.Shape[2], latent.Shape[3]
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("VAE decode: empty latent %v", latent.Shape)
	}
	raw, oh, ow, err := v.DecodeRaw(ctx, latent.Data, n, h, w)
	if err != nil {
		return nil, err
	}
	c := v.cfg.OutChannels
	img := tensor.New(n, oh, ow, c)
	for b := range n {
		for ch := range c {
			plane := raw[(b*c+ch)*oh*ow : (b*c+ch+1)*oh*ow]
			for i, x := range plane {
				img.Data[(b*oh*ow+i)*c+ch] = min(max((x+1)/2, 0), 1)
			}
		}
	}
	return img, nil
}

// Encode maps an image [B, H, W, 3] in [0,1] to the posterior mean
// [B, embed, H/8, W/8], as VAEEncode does. Sides that are not multiples of
// 8 are centre-cropped first, like ComfyUI.
func (v *VAE) Encode(ctx context.Context, image *tensor.Tensor) (*tensor.Tensor, error) {
	if len(image.Shape) != 4 || image.Shape[3] < v.cfg.InChannels {
		return nil, fmt.Errorf("VAE encode needs a [B,H,W,%d] image, got %v", v.cfg.InChannels, image.Shape)
	}
	n, H, W, cIn := image.Shape[0], image.Shape[1], image.Shape[2], image.Shape[3]
	d := v.downscale
	h, w := H/d*d, W/d*d
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("image %dx%d is smaller than the VAE's %d-pixel cell", W, H, d)
	}
	y0, x0 := (H%d)/2, (W%d)/2
	c := v.cfg.InChannels
	x := make([]float32, n*c*h*w)
	for b := range n {
		for y := range h {
			for xx := range w {
				src := ((b*H+y+y0)*W + xx + x0) * cIn
				for ch := range c {
					x[((b*c+ch)*h+y)*w+xx] = image.Data[src+ch]*2 - 1
				}
			}
		}
	}
	mom, lh, lw, err := v.EncodeMoments(ctx, x, n, h, w)
	if err != nil {
		return nil, err
	}
	e := v.cfg.EmbedDim
	out := tensor.New(n, e, lh, lw)
	for b := range n {
		copy(out.Data[b*e*lh*lw:(b+1)*e*lh*lw], mom[b*2*e*lh*lw:])
	}
	return out, nil
}

// LatentChannels is the latent channel count.
func (v *VAE) LatentChannels() int { return v.cfg.EmbedDim }
