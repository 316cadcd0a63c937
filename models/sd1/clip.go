package sd1

import (
	"context"
	"fmt"
	"math"

	"comfyd/tensor"
)

// CLIPConfig is the text transformer's shape (SD1: CLIP ViT-L/14's text
// tower, hidden 768, 12 layers, 12 heads).
type CLIPConfig struct {
	Hidden, Layers, Heads, Intermediate int
	Positions, Vocab                    int
	// EOS is the end token id; the pooled output is read at its first
	// occurrence.
	EOS int
}

// clipHeadDim is CLIP-L's head width (768/12). The head count cannot be
// read from the weights, so it follows from the hidden size.
const clipHeadDim = 64

// CLIPConfigFromShapes reads the text model's configuration from the keys
// under prefix (e.g. "cond_stage_model.transformer.text_model."). heads <= 0
// derives the head count from 64-wide heads, as in every CLIP-L.
func CLIPConfigFromShapes(src Source, prefix string, heads int) (CLIPConfig, error) {
	l := newLoader(src, prefix, nil)
	tok := l.shape("embeddings.token_embedding.weight")
	pos := l.shape("embeddings.position_embedding.weight")
	fc1 := l.shape("encoder.layers.0.mlp.fc1.weight")
	if len(tok) != 2 || len(pos) != 2 || len(fc1) != 2 {
		return CLIPConfig{}, fmt.Errorf("CLIP text model keys under %q are missing or malformed", prefix)
	}
	c := CLIPConfig{Vocab: tok[0], Hidden: tok[1], Positions: pos[0], Intermediate: fc1[0], EOS: 49407}
	for l.has(fmt.Sprintf("encoder.layers.%d.mlp.fc1.weight", c.Layers)) {
		c.Layers++
	}
	c.Heads = heads
	if heads <= 0 {
		c.Heads = max(1, c.Hidden/clipHeadDim)
	}
	if c.Hidden%c.Heads != 0 {
		return CLIPConfig{}, fmt.Errorf("CLIP hidden size %d is not divisible by %d heads", c.Hidden, c.Heads)
	}
	return c, nil
}

type clipLayer struct {
	ln1, ln2 norm
	// qkv is the q, k and v projections fused: [rows, 3·hidden].
	qkv, out linear
	fc1, fc2 linear
}

// TextEncoder is ComfyUI's CLIPTextModel without the text projection
// (SD1 checkpoints do not use it).
type TextEncoder struct {
	cfg            CLIPConfig
	tokEmb, posEmb []float32
	layers         []clipLayer
	finalLN        norm
}

// LoadTextEncoder reads the text model under prefix.
func LoadTextEncoder(src Source, prefix string, cfg CLIPConfig, progress func(int)) (*TextEncoder, error) {
	l := newLoader(src, prefix, progress)
	d := cfg.Hidden
	e := &TextEncoder{
		cfg:    cfg,
		tokEmb: l.get("embeddings.token_embedding.weight", cfg.Vocab, d),
		posEmb: l.get("embeddings.position_embedding.weight", cfg.Positions, d),
	}
	for i := range cfg.Layers {
		p := fmt.Sprintf("encoder.layers.%d.", i)
		e.layers = append(e.layers, clipLayer{
			ln1: l.norm(p+"layer_norm1", d, 1e-5),
			qkv: l.fusedLinear([]string{p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"}, d, d),
			out: l.linear(p+"self_attn.out_proj", d, d, true),
			ln2: l.norm(p+"layer_norm2", d, 1e-5),
			fc1: l.linear(p+"mlp.fc1", d, cfg.Intermediate, true),
			fc2: l.linear(p+"mlp.fc2", cfg.Intermediate, d, true),
		})
	}
	e.finalLN = l.norm("final_layer_norm", d, 1e-5)
	if *l.err != nil {
		return nil, *l.err
	}
	return e, nil
}

// Config returns the encoder's configuration.
func (e *TextEncoder) Config() CLIPConfig { return e.cfg }

// Input is one token position: a vocabulary id, or (when Vector is set) a
// textual-inversion embedding vector used in place of the token embedding.
type Input struct {
	ID     int
	Vector []float32
}

// Output is the encoder's result for a batch of sequences.
type Output struct {
	// Hidden is [B, T, D]: the final-layer-norm output of the selected
	// layer.
	Hidden *tensor.Tensor
	// Pooled is [B, D]: the last layer's final-layer-norm output at the
	// first EOS token.
	Pooled *tensor.Tensor
}

// Forward runs the transformer on seqs (each at most Positions long, all
// of equal length). layer selects the output like ComfyUI's clip_layer:
// negative counts from the end (-1 is the last layer), and 0 or a value
// beyond the depth means the last layer. The final layer norm is applied to
// an earlier layer's output too (SD1's layer_norm_hidden_state).
func (e *TextEncoder) Forward(ctx context.Context, seqs [][]Input, layer int) (Output, error) {
	b := len(seqs)
	if b == 0 {
		return Output{}, fmt.Errorf("CLIP: no sequences to encode")
	}
	t, d := len(seqs[0]), e.cfg.Hidden
	if t == 0 || t > e.cfg.Positions {
		return Output{}, fmt.Errorf("CLIP: sequence length %d outside 1..%d", t, e.cfg.Positions)
	}
	x := make([]float32, b*t*d)
	eosAt := make([]int, b)
	for i, seq := range seqs {
		if len(seq) != t {
			return Output{}, fmt.Errorf("CLIP: sequences of different lengths %d and %d", t, len(seq))
		}
		eosAt[i] = -1
		for j, in := range seq {
			row := x[(i*t+j)*d : (i*t+j+1)*d]
			switch {
			case in.Vector != nil:
				if len(in.Vector) != d {
					return Output{}, fmt.Errorf("CLIP: embedding vector of width %d, model has %d", len(in.Vector), d)
				}
				copy(row, in.Vector)
			case in.ID < 0 || in.ID >= e.cfg.Vocab:
				return Output{}, fmt.Errorf("CLIP: token id %d outside the %d-token vocabulary", in.ID, e.cfg.Vocab)
			default:
				copy(row, e.tokEmb[in.ID*d:(in.ID+1)*d])
				if in.ID == e.cfg.EOS && eosAt[i] < 0 {
					eosAt[i] = j
				}
			}
			tensor.Add(row, row, e.posEmb[j*d:(j+1)*d])
		}
		if eosAt[i] < 0 {
			eosAt[i] = 0 // torch's argmax of an all-false row
		}
	}
	stop := len(e.layers)
	if layer < 0 && -layer <= len(e.layers) {
		stop = len(e.layers) + layer + 1
	}
	var hidden []float32
	scratch := newCLIPScratch(b*t, d, e.cfg.Intermediate)
	for li := range e.layers {
		if err := ctx.Err(); err != nil {
			return Output{}, err
		}
		e.layers[li].forward(x, b, t, d, e.cfg.Heads, scratch)
		if li+1 == stop {
			hidden = e.finalLN.layerNorm(x, b*t, d)
		}
	}
	final := hidden
	if stop != len(e.layers) {
		final = e.finalLN.layerNorm(x, b*t, d)
	}
	pooled := tensor.New(b, d)
	for i := range b {
		copy(pooled.Data[i*d:(i+1)*d], final[(i*t+eosAt[i])*d:])
	}
	return Output{Hidden: tensor.FromData(hidden, b, t, d), Pooled: pooled}, nil
}

// clipScratch holds a layer's intermediate activations, reused by every
// layer of one forward pass.
type clipScratch struct {
	h, qkv, mid []float32
}

func newCLIPScratch(rows, d, inter int) *clipScratch {
	return &clipScratch{
		h:   make([]float32, rows*d),
		qkv: make([]float32, rows*3*d),
		mid: make([]float32, rows*inter),
	}
}

// forward applies one pre-LN transformer layer to x [b·t, d] in place.
// The residual additions and the MLP activation run in the epilogues of
// the out_proj, fc2 and fc1 products.
func (c *clipLayer) forward(x []float32, b, t, d, heads int, s *clipScratch) {
	rows := b * t
	h := s.h
	c.ln1.layerNormInto(h, x, rows, d)
	c.qkv.forward(s.qkv, h, rows)
	att := h // h is no longer needed
	dh := d / heads
	scale := float32(1 / math.Sqrt(float64(dh)))
	for i := range b {
		o := i * t * d
		qkv := s.qkv[3*o:]
		tensor.AttentionLD(att[o:], d, qkv, qkv[d:], qkv[2*d:], 3*d, t, t, heads, dh, scale, true)
	}
	c.out.forwardInto(x, att, rows, tensor.Epilogue{Accumulate: true})
	c.ln2.layerNormInto(h, x, rows, d)
	c.fc1.forwardInto(s.mid, h, rows, tensor.Epilogue{Act: tensor.ActQuickGELU})
	c.fc2.forwardInto(x, s.mid, rows, tensor.Epilogue{Accumulate: true})
}
