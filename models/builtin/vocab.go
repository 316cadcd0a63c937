package builtin

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// embedDim is SD1's text embedding width (CLIP ViT-L/14).
const embedDim = 768

// concepts is the model's vocabulary: the words its captions are made of.
// Each gets its own direction in embedding space, orthonormal to the
// others, so that a prompt's match with a caption reads off exactly how
// strongly each concept was asked for. Order is part of the model: do not
// reorder (it seeds the directions).
var concepts = []string{
	// colours
	"red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black",
	// geometric shapes and patterns
	"circle", "square", "triangle", "ring", "stripes", "checkerboard", "dots",
	"gradient", "waves", "shape", "pattern", "horizontal", "vertical", "diagonal",
	// scenes and things
	"sunset", "sun", "sky", "sea", "landscape", "scenery", "nature", "galaxy",
	"stars", "night", "bottle", "glass", "mountain", "snow",
}

// synonyms maps other words onto a concept (after lower-casing and plural
// folding). Words neither here nor in concepts still count, weakly and
// deterministically, through their hashed direction.
var synonyms = map[string]string{
	"grey": "white", "gray": "white", "violet": "purple", "magenta": "purple",
	"lilac": "purple", "crimson": "red", "scarlet": "red", "gold": "yellow",
	"golden": "yellow", "amber": "orange", "navy": "blue", "azure": "blue",
	"cyan": "blue", "teal": "green", "lime": "green", "rose": "pink",
	"disc": "circle", "disk": "circle", "ball": "circle", "sphere": "circle",
	"round": "circle", "dot": "dots", "spot": "dots", "polka": "dots",
	"dotted": "dots", "box": "square", "cube": "square", "rectangle": "square",
	"pyramid": "triangle", "donut": "ring", "torus": "ring", "hoop": "ring",
	"stripe": "stripes", "striped": "stripes", "line": "stripes",
	"checker": "checkerboard", "checkered": "checkerboard",
	"chessboard": "checkerboard", "checkers": "checkerboard",
	"fade": "gradient", "wave": "waves", "wavy": "waves", "ocean": "sea",
	"water": "sea", "dusk": "sunset", "sunrise": "sunset", "dawn": "sunset",
	"evening": "sunset", "space": "galaxy", "cosmos": "galaxy",
	"universe": "galaxy", "nebula": "galaxy", "cosmic": "galaxy",
	"star": "stars", "starry": "stars", "mountains": "mountain", "hill": "mountain",
	"peak": "mountain", "alps": "mountain", "snowy": "snow", "flask": "bottle",
	"jar": "bottle", "vial": "bottle", "potion": "bottle", "geometric": "shape",
	"abstract": "pattern", "texture": "pattern", "outdoors": "nature",
	"view": "scenery", "scene": "scenery",
}

// conceptIndex maps a concept word to its index in concepts.
var conceptIndex = func() map[string]int {
	m := make(map[string]int, len(concepts))
	for i, c := range concepts {
		m[c] = i
	}
	return m
}()

// canonical lower-cases a word and folds synonyms and plurals onto a
// concept where it can; other words are returned lower-cased.
func canonical(word string) string {
	w := strings.ToLower(word)
	if _, ok := conceptIndex[w]; ok {
		return w
	}
	if s, ok := synonyms[w]; ok {
		return s
	}
	for _, suffix := range []string{"es", "s"} {
		if stem, ok := strings.CutSuffix(w, suffix); ok && len(stem) > 2 {
			if _, ok := conceptIndex[stem]; ok {
				return stem
			}
			if s, ok := synonyms[stem]; ok {
				return s
			}
		}
	}
	return w
}

// space holds the fixed directions of the embedding space.
type space struct {
	// concept[k] is the unit direction of concepts[k]; all are orthonormal.
	concept [][embedDim]float32
	// position[t] is the content-free embedding of token slot t (what the
	// empty prompt encodes to), orthogonal to every concept direction.
	position [tokensPerChunk][embedDim]float32
}

// tokensPerChunk is CLIP's context: start token, 75 words, end token.
const tokensPerChunk = 77

var theSpace = newSpace()

func newSpace() *space {
	sp := &space{concept: make([][embedDim]float32, len(concepts))}
	basis := make([][]float64, 0, len(concepts))
	for k, c := range concepts {
		v := hashedVector("concept:" + c)
		orthogonalize(v, basis)
		basis = append(basis, v)
		for i := range v {
			sp.concept[k][i] = float32(v[i])
		}
	}
	for t := range sp.position {
		v := hashedVector("position:" + string(rune('A'+t)))
		orthogonalize(v, basis)
		for i := range v {
			sp.position[t][i] = float32(0.25 * v[i])
		}
	}
	return sp
}

// wordDirection is the unit direction a word contributes: its concept's
// direction when it names one, else a direction hashed from the word.
func (sp *space) wordDirection(dst *[embedDim]float32, word string) {
	if k, ok := conceptIndex[word]; ok {
		*dst = sp.concept[k]
		return
	}
	v := hashedVector("word:" + word)
	for i := range v {
		dst[i] = float32(v[i])
	}
}

// tiltDirection is the direction an earlier CLIP layer turns word towards:
// hashed from (word, layer) and orthogonal to every concept, so that the
// tilt scales the word's caption match by exactly cos(angle).
func (sp *space) tiltDirection(dst *[embedDim]float32, word string, layer int) {
	v := hashedVector(fmt.Sprintf("tilt:%s@%d", word, layer))
	for range 2 {
		for _, c := range sp.concept {
			var d float64
			for i := range v {
				d += v[i] * float64(c[i])
			}
			for i := range v {
				v[i] -= d * float64(c[i])
			}
		}
	}
	normalize(v)
	for i := range v {
		dst[i] = float32(v[i])
	}
}

// hashedVector is a deterministic unit vector derived from key by a
// splitmix64 stream seeded with FNV-1a. Components are sums of two
// uniforms; only +, * and sqrt are used so every platform gets the same
// bits.
func hashedVector(key string) []float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	state := h.Sum64()
	next := func() float64 {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return float64(z>>11)/(1<<53)*2 - 1
	}
	v := make([]float64, embedDim)
	for i := range v {
		v[i] = next() + next()
	}
	normalize(v)
	return v
}

// orthogonalize removes from v its components along the orthonormal basis
// (modified Gram-Schmidt, twice for accuracy) and renormalises it.
func orthogonalize(v []float64, basis [][]float64) {
	for range 2 {
		for _, b := range basis {
			var d float64
			for i := range v {
				d += v[i] * b[i]
			}
			for i := range v {
				v[i] -= d * b[i]
			}
		}
	}
	normalize(v)
}

func normalize(v []float64) {
	var n float64
	for _, x := range v {
		n += x * x
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] /= n
	}
}
