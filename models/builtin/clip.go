package builtin

import (
	"context"
	"fmt"
	"math"

	"comfyd/models"
	"comfyd/sampling"
	"comfyd/tensor"
)

// wordsPerChunk is how many words fit between CLIP's start and end tokens.
const wordsPerChunk = tokensPerChunk - 2

// sd1Layers is the depth of SD1's text encoder; CLIPSetLastLayer beyond it
// falls back to the last layer, as ComfyUI's clip_layer does.
const sd1Layers = 12

// layerTilt is the angle (radians) by which each layer before the last
// turns a word's embedding away from its concept direction.
const layerTilt = 0.05

// bagOfWords is a deterministic text encoder with SD1's output shapes.
//
// Token slot t of a 77-token chunk encodes to position[t] (what the empty
// prompt gives) plus weight * direction(word) for the word in that slot.
// Emphasis therefore follows ComfyUI's rule (z - z_empty) * w + z_empty.
// Prompts longer than 75 words use several chunks concatenated along the
// token axis, like ComfyUI. The pooled output is the chunk's summed word
// content (position terms excluded).
//
// stopAt (1 = last layer, as CLIPSetLastLayer -1) models an earlier layer:
// every word direction is turned by layerTilt*(stopAt-1) radians towards a
// second direction hashed from (word, layer) and orthogonal to all
// concepts. Earlier layers thus match captions a little less (by the
// cosine of the angle: 0.9988 at -2, 0.85 at -12) and carry a fixed,
// word-specific component the denoiser does not read.
type bagOfWords struct {
	stopAt int
}

var _ models.CLIP = bagOfWords{}

// matchKey is the Cond.Extra key of the caption match the denoiser reads.
const matchKey = "comfyd.builtin.caption_match"

// captionMatch is the prompt's match score with each built-in image,
// computed for one CrossAttn tensor (per cond batch row). The denoiser uses
// it only while the cond still holds that very tensor; otherwise it
// recomputes the match from whatever CrossAttn holds.
type captionMatch struct {
	source *tensor.Tensor
	scores [][]float32 // [cond row][image]
}

func (c bagOfWords) WithLastLayer(n int) (models.CLIP, error) {
	if n >= 0 {
		return nil, fmt.Errorf("CLIP last layer must be negative (-1 is the last layer), got %d", n)
	}
	stop := -n
	if stop > sd1Layers {
		stop = 1
	}
	return bagOfWords{stopAt: stop}, nil
}

func (c bagOfWords) layer() int {
	if c.stopAt < 1 {
		return 1
	}
	return c.stopAt
}

func (c bagOfWords) Encode(ctx context.Context, text string) (sampling.Conditioning, error) {
	words, err := parsePrompt(text)
	if err != nil {
		return nil, err
	}
	chunks := max(1, (len(words)+wordsPerChunk-1)/wordsPerChunk)
	cross := tensor.New(1, chunks*tokensPerChunk, embedDim)
	pooled := tensor.New(1, embedDim)
	sp := theSpace
	for t := range chunks * tokensPerChunk {
		copy(cross.Data[t*embedDim:(t+1)*embedDim], sp.position[t%tokensPerChunk][:])
	}
	layer := c.layer()
	theta := layerTilt * float64(layer-1)
	cosT, sinT := float32(math.Cos(theta)), float32(math.Sin(theta))
	var dir, tilt [embedDim]float32
	for i, ww := range words {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk, slot := i/wordsPerChunk, i%wordsPerChunk+1 // slot 0 is the start token
		row := cross.Data[(chunk*tokensPerChunk+slot)*embedDim:][:embedDim]
		sp.wordDirection(&dir, ww.word)
		if layer > 1 {
			sp.tiltDirection(&tilt, ww.word, layer)
		}
		w := float32(ww.weight)
		for k := range row {
			d := dir[k]
			if layer > 1 {
				d = cosT*d + sinT*tilt[k]
			}
			row[k] += w * d
			if chunk == 0 {
				pooled.Data[k] += w * d
			}
		}
	}
	cond := sampling.Cond{CrossAttn: cross, Pooled: pooled, Strength: 1}
	cond.Extra = map[string]any{matchKey: &captionMatch{source: cross, scores: [][]float32{matchScores(cross.Data)}}}
	return sampling.Conditioning{cond}, nil
}

// conceptWeights is how strongly each concept appears in one cond row
// [tokens*embedDim]: the projection of the row's summed tokens on each
// concept direction (position terms are orthogonal to all of them).
func conceptWeights(dst []float64, row []float32) {
	var sum [embedDim]float64
	for t := 0; t+embedDim <= len(row); t += embedDim {
		for k, v := range row[t : t+embedDim] {
			sum[k] += float64(v)
		}
	}
	for c := range dst {
		var d float64
		for k, v := range theSpace.concept[c] {
			d += float64(v) * sum[k]
		}
		dst[c] = d
	}
}

// matchScores is each catalogue image's caption match for a cond row:
// sum over its tags of tag weight * concept weight in the prompt.
func matchScores(row []float32) []float32 {
	cw := make([]float64, len(concepts))
	conceptWeights(cw, row)
	out := make([]float32, len(catalogue))
	scoreImages(out, cw)
	return out
}

func scoreImages(dst []float32, conceptW []float64) {
	for i := range catalogue {
		var s float64
		for _, t := range catalogueTags[i] {
			s += t.weight * conceptW[t.concept]
		}
		dst[i] = float32(s)
	}
}

// indexedTag is a picture tag resolved to its concept index.
type indexedTag struct {
	concept int
	weight  float64
}

// catalogueTags holds each picture's tags by concept index, in concept
// order so that sums are deterministic.
var catalogueTags = func() [][]indexedTag {
	out := make([][]indexedTag, len(catalogue))
	for i, p := range catalogue {
		for c, name := range concepts {
			if w, ok := p.tags[name]; ok {
				out[i] = append(out[i], indexedTag{concept: c, weight: w})
			}
		}
	}
	return out
}()
