package sd1

import (
	"context"
	"fmt"
	"log/slog"

	"comfyd/models/tokenizer"
	"comfyd/tensor"
)

// EncodeChunks is ComfyUI's encode_token_weights for SD1: all chunks run
// as one batch (plus an all-padding sequence when any weight differs from
// 1), weights are applied as z = (z - z_empty)·w + z_empty, the chunks are
// concatenated along the token axis, and the pooled output comes from
// chunk 0. layer is as in TextEncoder.Forward. It returns [1, 77·k, D] and
// [1, D].
func (e *TextEncoder) EncodeChunks(ctx context.Context, chunks [][]tokenizer.Token, layer int) (cond, pooled *tensor.Tensor, err error) {
	hasWeights := false
	maxLen := 0
	seqs := make([][]Input, 0, len(chunks)+1)
	for _, ch := range chunks {
		maxLen = max(maxLen, len(ch))
		seq, err := e.inputs(ch)
		if err != nil {
			return nil, nil, err
		}
		seqs = append(seqs, seq)
		for _, t := range ch {
			hasWeights = hasWeights || t.Weight != 1
		}
	}
	sections := len(seqs)
	if hasWeights || sections == 0 {
		maxLen = max(maxLen, 2)
		empty := make([]Input, maxLen)
		empty[0] = Input{ID: tokenizer.StartToken}
		for i := 1; i < maxLen; i++ {
			empty[i] = Input{ID: tokenizer.EndToken}
		}
		seqs = append(seqs, empty)
	}
	out, err := e.Forward(ctx, seqs, layer)
	if err != nil {
		return nil, nil, err
	}
	t, d := out.Hidden.Shape[1], out.Hidden.Shape[2]
	pooled = tensor.FromData(append([]float32(nil), out.Pooled.Data[:d]...), 1, d)
	if sections == 0 {
		return tensor.FromData(out.Hidden.Data, 1, t, d), pooled, nil
	}
	cond = tensor.New(1, sections*t, d)
	copy(cond.Data, out.Hidden.Data[:sections*t*d])
	if hasWeights {
		zEmpty := out.Hidden.Data[sections*t*d:]
		for k, ch := range chunks {
			for j, tok := range ch {
				if tok.Weight == 1 {
					continue
				}
				w := float32(tok.Weight)
				z := cond.Data[(k*t+j)*d : (k*t+j+1)*d]
				ze := zEmpty[j*d : (j+1)*d]
				for i := range z {
					z[i] = (z[i]-ze[i])*w + ze[i]
				}
			}
		}
	}
	return cond, pooled, nil
}

// inputs maps a chunk to encoder inputs. An embedding row whose width does
// not match the model is dropped and the chunk padded at the end, as
// ComfyUI's set_up_textual_embeddings does.
func (e *TextEncoder) inputs(ch []tokenizer.Token) ([]Input, error) {
	seq := make([]Input, 0, len(ch))
	for _, tok := range ch {
		if tok.ID >= 0 {
			seq = append(seq, Input{ID: tok.ID})
			continue
		}
		if len(tok.Vector) != e.cfg.Hidden {
			slog.Warn("embedding width does not match the text encoder, ignored", "embedding", tok.Embedding, "width", len(tok.Vector), "model", e.cfg.Hidden)
			continue
		}
		seq = append(seq, Input{Vector: tok.Vector})
	}
	for len(seq) < len(ch) {
		seq = append(seq, Input{ID: tokenizer.EndToken})
	}
	if len(seq) > e.cfg.Positions {
		return nil, fmt.Errorf("CLIP: chunk of %d tokens exceeds %d positions", len(seq), e.cfg.Positions)
	}
	return seq, nil
}
