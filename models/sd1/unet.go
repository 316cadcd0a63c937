package sd1

import (
	"context"
	"fmt"

	"comfyd/tensor"
)

// resBlock is the UNet ResBlock with its timestep-embedding injection.
type resBlock struct {
	inNorm, outNorm norm
	inConv, outConv conv2d
	emb             linear
	skip            *conv2d
	in, out         int
}

func (l *loader) resBlock(name string, in, out, embDim int) resBlock {
	b := resBlock{
		in: in, out: out,
		inNorm:  l.norm(name+".in_layers.0", in, 1e-5),
		inConv:  l.conv(name+".in_layers.2", in, out, 3, 1, 1),
		emb:     l.linear(name+".emb_layers.1", embDim, out, true),
		outNorm: l.norm(name+".out_layers.0", out, 1e-5),
		outConv: l.conv(name+".out_layers.3", out, out, 3, 1, 1),
	}
	if in != out {
		s := l.conv(name+".skip_connection", in, out, 1, 1, 0)
		b.skip = &s
	}
	return b
}

// forward: x [n, in, h, w], embSilu [n, embDim] (already SiLU'd).
func (b *resBlock) forward(x, embSilu []float32, n, h, w int) []float32 {
	hw := h * w
	hid := b.inNorm.groupNorm(x, n, b.in, hw, true)
	hid, _, _ = b.inConv.forward(hid, n, h, w)
	e := make([]float32, n*b.out)
	b.emb.forward(e, embSilu, n)
	for i := range n {
		for c := range b.out {
			v := e[i*b.out+c]
			plane := hid[(i*b.out+c)*hw : (i*b.out+c+1)*hw]
			for j := range plane {
				plane[j] += v
			}
		}
	}
	hid = b.outNorm.groupNorm(hid, n, b.out, hw, true)
	hid, _, _ = b.outConv.forward(hid, n, h, w)
	skip := x
	if b.skip != nil {
		skip, _, _ = b.skip.forward(x, n, h, w)
	}
	tensor.Add(hid, hid, skip)
	return hid
}

// crossAttention is ComfyUI's CrossAttention: biasless q/k/v, biased output.
type crossAttention struct {
	q, k, v, out linear
	heads, dh    int
}

func (l *loader) crossAttention(name string, dim, ctxDim, heads, dh int) crossAttention {
	inner := heads * dh
	return crossAttention{
		heads: heads, dh: dh,
		q:   l.linear(name+".to_q", dim, inner, false),
		k:   l.linear(name+".to_k", ctxDim, inner, false),
		v:   l.linear(name+".to_v", ctxDim, inner, false),
		out: l.linear(name+".to_out.0", inner, dim, true),
	}
}

// forward attends x [n, t, dim] to ctx [n, m, ctxDim] (ctx = x for
// self-attention) and returns [n, t, dim].
func (a *crossAttention) forward(x, ctx []float32, n, t, m int) []float32 {
	inner := a.heads * a.dh
	q := make([]float32, n*t*inner)
	k := make([]float32, n*m*inner)
	v := make([]float32, n*m*inner)
	a.q.forward(q, x, n*t)
	a.k.forward(k, ctx, n*m)
	a.v.forward(v, ctx, n*m)
	att := make([]float32, n*t*inner)
	for i := range n {
		attention(att[i*t*inner:(i+1)*t*inner], q[i*t*inner:], k[i*m*inner:], v[i*m*inner:], t, m, a.heads, a.dh, false)
	}
	out := q[:n*t*a.out.out]
	a.out.forward(out, att, n*t)
	return out
}

type transformerBlock struct {
	norm1, norm2, norm3 norm
	attn1, attn2        crossAttention
	ffIn, ffOut         linear
	dim                 int
}

func (l *loader) transformerBlock(name string, dim, ctxDim, heads, dh int) transformerBlock {
	inner := 4 * dim
	return transformerBlock{
		dim:   dim,
		norm1: l.norm(name+".norm1", dim, 1e-5),
		attn1: l.crossAttention(name+".attn1", dim, dim, heads, dh),
		norm2: l.norm(name+".norm2", dim, 1e-5),
		attn2: l.crossAttention(name+".attn2", dim, ctxDim, heads, dh),
		norm3: l.norm(name+".norm3", dim, 1e-5),
		ffIn:  l.linear(name+".ff.net.0.proj", dim, 2*inner, true),
		ffOut: l.linear(name+".ff.net.2", inner, dim, true),
	}
}

// forward updates x [n, t, dim] in place.
func (b *transformerBlock) forward(x, ctx []float32, n, t, m int) {
	rows := n * t
	h := b.norm1.layerNorm(x, rows, b.dim)
	tensor.Add(x, x, b.attn1.forward(h, h, n, t, t))
	h = b.norm2.layerNorm(x, rows, b.dim)
	tensor.Add(x, x, b.attn2.forward(h, ctx, n, t, m))
	h = b.norm3.layerNorm(x, rows, b.dim)
	inner := b.ffOut.in
	proj := make([]float32, rows*2*inner)
	b.ffIn.forward(proj, h, rows)
	// GEGLU: the first half is the value, the second the gate.
	g := make([]float32, rows*inner)
	for r := range rows {
		val := proj[r*2*inner : r*2*inner+inner]
		gate := proj[r*2*inner+inner : (r+1)*2*inner]
		tensor.GELUInPlace(gate)
		out := g[r*inner : (r+1)*inner]
		for i := range out {
			out[i] = val[i] * gate[i]
		}
	}
	b.ffOut.forward(h, g, rows)
	tensor.Add(x, x, h)
}

// spatialTransformer is the UNet's SpatialTransformer: GroupNorm, proj_in
// (1×1 conv or linear), transformer blocks, proj_out, residual.
type spatialTransformer struct {
	norm            norm
	linear          bool
	projInConv      conv2d
	projOutConv     conv2d
	projIn, projOut linear
	blocks          []transformerBlock
	ch              int
}

func (l *loader) spatialTransformer(name string, ch, depth, ctxDim, heads, dh int, useLinear bool) spatialTransformer {
	s := spatialTransformer{ch: ch, linear: useLinear, norm: l.norm(name+".norm", ch, 1e-6)}
	inner := heads * dh
	if useLinear {
		s.projIn = l.linear(name+".proj_in", ch, inner, true)
		s.projOut = l.linear(name+".proj_out", inner, ch, true)
	} else {
		s.projInConv = l.conv(name+".proj_in", ch, inner, 1, 1, 0)
		s.projOutConv = l.conv(name+".proj_out", inner, ch, 1, 1, 0)
	}
	for d := range depth {
		s.blocks = append(s.blocks, l.transformerBlock(fmt.Sprintf("%s.transformer_blocks.%d", name, d), inner, ctxDim, heads, dh))
	}
	return s
}

func (s *spatialTransformer) forward(x, ctx []float32, n, h, w, m int) []float32 {
	hw := h * w
	hid := s.norm.groupNorm(x, n, s.ch, hw, false)
	inner := s.ch
	if len(s.blocks) > 0 {
		inner = s.blocks[0].dim
	}
	tokens := make([]float32, n*hw*inner)
	if s.linear {
		tmp := make([]float32, n*hw*s.ch)
		for i := range n {
			transpose2(tmp[i*hw*s.ch:], hid[i*s.ch*hw:(i+1)*s.ch*hw], s.ch, hw)
		}
		s.projIn.forward(tokens, tmp, n*hw)
	} else {
		p, _, _ := s.projInConv.forward(hid, n, h, w)
		for i := range n {
			transpose2(tokens[i*hw*inner:], p[i*inner*hw:(i+1)*inner*hw], inner, hw)
		}
	}
	for i := range s.blocks {
		s.blocks[i].forward(tokens, ctx, n, hw, m)
	}
	var out []float32
	if s.linear {
		tmp := make([]float32, n*hw*s.ch)
		s.projOut.forward(tmp, tokens, n*hw)
		out = make([]float32, n*s.ch*hw)
		for i := range n {
			transpose2(out[i*s.ch*hw:], tmp[i*hw*s.ch:(i+1)*hw*s.ch], hw, s.ch)
		}
	} else {
		chw := make([]float32, n*inner*hw)
		for i := range n {
			transpose2(chw[i*inner*hw:], tokens[i*hw*inner:(i+1)*hw*inner], hw, inner)
		}
		out, _, _ = s.projOutConv.forward(chw, n, h, w)
	}
	tensor.Add(out, out, x)
	return out
}

// unetBlock is one entry of input_blocks / output_blocks: a ResBlock with
// an optional transformer, or a lone down/upsampling conv.
type unetBlock struct {
	res         *resBlock
	transformer *spatialTransformer
	down        *conv2d // stride-2 conv ("op")
	up          *conv2d // conv after nearest ×2 ("conv")
	outCh       int
}

// UNet is SD1's denoising UNet (ComfyUI openaimodel.UNetModel restricted
// to spatial transformers without ADM or temporal layers).
type UNet struct {
	cfg             UNetConfig
	timeIn, timeOut linear
	convIn          conv2d
	input           []unetBlock
	middle          []unetBlock // res, transformer (optional), res
	output          []unetBlock
	outNorm         norm
	outConv         conv2d
}

// LoadUNet reads a UNet with cfg from src under prefix (e.g.
// "model.diffusion_model.").
func LoadUNet(src Source, prefix string, cfg UNetConfig, progress func(int)) (*UNet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := newLoader(src, prefix, progress)
	mc := cfg.ModelChannels
	embDim := 4 * mc
	u := &UNet{cfg: cfg}
	u.timeIn = l.linear("time_embed.0", mc, embDim, true)
	u.timeOut = l.linear("time_embed.2", embDim, embDim, true)
	u.convIn = l.conv("input_blocks.0.0", cfg.InChannels, mc, 3, 1, 1)
	u.input = append(u.input, unetBlock{outCh: mc})
	chans := []int{mc}
	ch := mc
	depthIn := append([]int(nil), cfg.TransformerDepth...)
	transformer := func(name string, ch, depth int) (*spatialTransformer, error) {
		heads, dh, err := cfg.heads(ch)
		if err != nil {
			return nil, err
		}
		st := l.spatialTransformer(name, ch, depth, cfg.ContextDim, heads, dh, cfg.UseLinearInTransformer)
		return &st, nil
	}
	for level, mult := range cfg.ChannelMult {
		for range cfg.NumResBlocks[level] {
			idx := len(u.input)
			rb := l.resBlock(fmt.Sprintf("input_blocks.%d.0", idx), ch, mult*mc, embDim)
			ch = mult * mc
			blk := unetBlock{res: &rb, outCh: ch}
			depth := depthIn[0]
			depthIn = depthIn[1:]
			if depth > 0 {
				st, err := transformer(fmt.Sprintf("input_blocks.%d.1", idx), ch, depth)
				if err != nil {
					return nil, err
				}
				blk.transformer = st
			}
			u.input = append(u.input, blk)
			chans = append(chans, ch)
		}
		if level != len(cfg.ChannelMult)-1 {
			d := l.conv(fmt.Sprintf("input_blocks.%d.0.op", len(u.input)), ch, ch, 3, 2, 1)
			u.input = append(u.input, unetBlock{down: &d, outCh: ch})
			chans = append(chans, ch)
		}
	}
	m1 := l.resBlock("middle_block.0", ch, ch, embDim)
	u.middle = append(u.middle, unetBlock{res: &m1, outCh: ch})
	next := 1
	if cfg.TransformerDepthMiddle >= 0 {
		st, err := transformer("middle_block.1", ch, cfg.TransformerDepthMiddle)
		if err != nil {
			return nil, err
		}
		u.middle = append(u.middle, unetBlock{transformer: st, outCh: ch})
		next = 2
	}
	m2 := l.resBlock(fmt.Sprintf("middle_block.%d", next), ch, ch, embDim)
	u.middle = append(u.middle, unetBlock{res: &m2, outCh: ch})

	depthOut := append([]int(nil), cfg.TransformerDepthOutput...)
	for level := len(cfg.ChannelMult) - 1; level >= 0; level-- {
		mult := cfg.ChannelMult[level]
		for i := range cfg.NumResBlocks[level] + 1 {
			idx := len(u.output)
			skipCh := chans[len(chans)-1]
			chans = chans[:len(chans)-1]
			rb := l.resBlock(fmt.Sprintf("output_blocks.%d.0", idx), ch+skipCh, mc*mult, embDim)
			ch = mc * mult
			blk := unetBlock{res: &rb, outCh: ch}
			depth := depthOut[len(depthOut)-1]
			depthOut = depthOut[:len(depthOut)-1]
			sub := 1
			if depth > 0 {
				st, err := transformer(fmt.Sprintf("output_blocks.%d.1", idx), ch, depth)
				if err != nil {
					return nil, err
				}
				blk.transformer = st
				sub = 2
			}
			if level > 0 && i == cfg.NumResBlocks[level] {
				c := l.conv(fmt.Sprintf("output_blocks.%d.%d.conv", idx, sub), ch, ch, 3, 1, 1)
				blk.up = &c
			}
			u.output = append(u.output, blk)
		}
	}
	u.outNorm = l.norm("out.0", ch, 1e-5)
	u.outConv = l.conv("out.2", ch, cfg.OutChannels, 3, 1, 1)
	if *l.err != nil {
		return nil, *l.err
	}
	return u, nil
}

// Config returns the UNet's configuration.
func (u *UNet) Config() UNetConfig { return u.cfg }

// Forward computes the network output [n, out, h, w] for x [n, in, h, w],
// one timestep per batch row and context [n or 1, m, ContextDim].
func (u *UNet) Forward(ctx context.Context, x []float32, n, h, w int, timesteps []float32, context []float32, ctxBatch, m int) ([]float32, error) {
	if n <= 0 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("UNet: empty input [%d,%d,%d,%d]", n, u.cfg.InChannels, h, w)
	}
	if len(timesteps) != n {
		return nil, fmt.Errorf("UNet: %d timesteps for batch %d", len(timesteps), n)
	}
	if len(x) != n*u.cfg.InChannels*h*w {
		return nil, fmt.Errorf("UNet: input of %d values is not [%d,%d,%d,%d]", len(x), n, u.cfg.InChannels, h, w)
	}
	if ctxBatch != n && ctxBatch != 1 || len(context) != ctxBatch*m*u.cfg.ContextDim {
		return nil, fmt.Errorf("UNet: context [%d,%d,%d] does not fit batch %d with width %d", ctxBatch, m, len(context)/max(1, ctxBatch*m), n, u.cfg.ContextDim)
	}
	if ctxBatch == 1 && n > 1 {
		rep := make([]float32, n*len(context))
		for i := range n {
			copy(rep[i*len(context):], context)
		}
		context = rep
	}
	mc := u.cfg.ModelChannels
	temb := TimestepEmbedding(timesteps, mc)
	e1 := make([]float32, n*4*mc)
	u.timeIn.forward(e1, temb, n)
	tensor.SiLU(e1)
	emb := make([]float32, n*4*mc)
	u.timeOut.forward(emb, e1, n)
	// Every ResBlock applies SiLU to the embedding first.
	tensor.SiLU(emb)

	hid, _, _ := u.convIn.forward(x, n, h, w)
	type skip struct {
		data []float32
		h, w int
	}
	skips := []skip{{hid, h, w}}
	for _, blk := range u.input[1:] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hid, h, w = u.runBlock(&blk, hid, emb, context, n, h, w, m, 0, 0)
		skips = append(skips, skip{hid, h, w})
	}
	for _, blk := range u.middle {
		hid, h, w = u.runBlock(&blk, hid, emb, context, n, h, w, m, 0, 0)
	}
	ch := u.middle[len(u.middle)-1].outCh
	for bi, blk := range u.output {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := skips[len(skips)-1]
		skips = skips[:len(skips)-1]
		cat := concatChannels(hid, s.data, n, ch, blk.res.in-ch, h*w)
		th, tw := 0, 0
		if blk.up != nil && len(skips) > 0 {
			// Upsample to the next skip's size (odd sizes round like ComfyUI's output_shape).
			th, tw = skips[len(skips)-1].h, skips[len(skips)-1].w
		}
		hid, h, w = u.runBlock(&u.output[bi], cat, emb, context, n, h, w, m, th, tw)
		ch = blk.outCh
	}
	hid = u.outNorm.groupNorm(hid, n, ch, h*w, true)
	out, _, _ := u.outConv.forward(hid, n, h, w)
	return out, ctx.Err()
}

func (u *UNet) runBlock(blk *unetBlock, x, emb, context []float32, n, h, w, m, th, tw int) ([]float32, int, int) {
	if blk.down != nil {
		return blk.down.forward(x, n, h, w)
	}
	if blk.res != nil {
		x = blk.res.forward(x, emb, n, h, w)
	}
	if blk.transformer != nil {
		x = blk.transformer.forward(x, context, n, h, w, m)
	}
	if blk.up != nil {
		if th == 0 {
			th, tw = 2*h, 2*w
		}
		x = upsampleNearest(x, n, blk.outCh, h, w, th, tw)
		return blk.up.forward(x, n, th, tw)
	}
	return x, h, w
}

// concatChannels joins a [n, ca, hw] and b [n, cb, hw] along channels.
func concatChannels(a, b []float32, n, ca, cb, hw int) []float32 {
	out := make([]float32, n*(ca+cb)*hw)
	for i := range n {
		o := out[i*(ca+cb)*hw:]
		copy(o, a[i*ca*hw:(i+1)*ca*hw])
		copy(o[ca*hw:], b[i*cb*hw:(i+1)*cb*hw])
	}
	return out
}
