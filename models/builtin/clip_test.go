package builtin

import (
	"context"
	"math"
	"strings"
	"testing"

	"comfyd/tensor"
)

func TestEncodeShapes(t *testing.T) {
	ctx := context.Background()
	clip := bagOfWords{stopAt: 1}
	for _, c := range []struct {
		text   string
		tokens int
	}{
		{"", 77}, {"a red circle", 77},
		{strings.Repeat("word ", 75), 77}, {strings.Repeat("word ", 76), 154},
		{strings.Repeat("word ", 151), 231},
	} {
		cond, err := clip.Encode(ctx, c.text)
		if err != nil {
			t.Fatal(err)
		}
		if len(cond) != 1 || !tensor.EqualShape(cond[0].CrossAttn.Shape, []int{1, c.tokens, embedDim}) ||
			!tensor.EqualShape(cond[0].Pooled.Shape, []int{1, embedDim}) {
			t.Errorf("%d words: shapes %v %v", len(strings.Fields(c.text)), cond[0].CrossAttn, cond[0].Pooled)
		}
	}
}

func TestEncodeDeterministicAndPromptSensitive(t *testing.T) {
	a1, a2 := encodeOne(t, "a red circle"), encodeOne(t, "a red circle")
	if !equalF32(a1.CrossAttn.Data, a2.CrossAttn.Data) || !equalF32(a1.Pooled.Data, a2.Pooled.Data) {
		t.Fatal("same prompt, different encodings")
	}
	b := encodeOne(t, "a blue circle")
	if equalF32(a1.CrossAttn.Data, b.CrossAttn.Data) {
		t.Fatal("different prompts, same encoding")
	}
}

// TestEmphasisFollowsComfyRule: a weighted token is (z - z_empty)*w + z_empty.
func TestEmphasisFollowsComfyRule(t *testing.T) {
	plain, weighted, empty := encodeOne(t, "red circle"), encodeOne(t, "(red:1.5) circle"), encodeOne(t, "")
	for k := range embedDim {
		i := embedDim + k // token slot 1: "red"
		want := (plain.CrossAttn.Data[i]-empty.CrossAttn.Data[i])*1.5 + empty.CrossAttn.Data[i]
		if math.Abs(float64(weighted.CrossAttn.Data[i]-want)) > 1e-6 {
			t.Fatalf("dim %d: %v, want %v", k, weighted.CrossAttn.Data[i], want)
		}
		j := 2*embedDim + k // "circle" keeps weight 1
		if weighted.CrossAttn.Data[j] != plain.CrossAttn.Data[j] {
			t.Fatalf("unweighted token changed at dim %d", k)
		}
	}
}

func TestCaptionMatch(t *testing.T) {
	for _, c := range []struct {
		prompt string
		want   []string // every top-scoring caption contains these words
	}{
		{"a red circle", []string{"red", "circle"}},
		{"checkerboard", []string{"checkerboard"}},
		{"(purple:1.2) galaxy", []string{"purple", "galaxy"}},
		{"snowy mountains", []string{"mountains"}},
		{"beautiful scenery nature glass bottle landscape, , purple galaxy bottle,", []string{"galaxy", "bottle"}},
	} {
		scores := matchScores(encodeOne(t, c.prompt).CrossAttn.Data)
		best := float32(math.Inf(-1))
		for _, s := range scores {
			best = max(best, s)
		}
		for i, s := range scores {
			if s < best-1e-3 {
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(catalogue[i].caption, w) {
					t.Errorf("%q: top caption %q lacks %q", c.prompt, catalogue[i].caption, w)
				}
			}
		}
	}
}

// TestEveryCaptionFindsItsPicture: prompting with a picture's own caption
// gives that picture the highest match (ties allowed).
func TestEveryCaptionFindsItsPicture(t *testing.T) {
	for i, p := range catalogue {
		scores := matchScores(encodeOne(t, p.caption).CrossAttn.Data)
		for j, s := range scores {
			if s > scores[i]+1e-4 {
				t.Errorf("caption %q matches %q better (%v > %v)", p.caption, catalogue[j].caption, s, scores[i])
				break
			}
		}
	}
}

func TestCatalogueTagsAreConcepts(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range catalogue {
		if seen[p.caption] {
			t.Errorf("duplicate caption %q", p.caption)
		}
		seen[p.caption] = true
		for tag := range p.tags {
			if _, ok := conceptIndex[tag]; !ok {
				t.Errorf("%q: tag %q is not a concept", p.caption, tag)
			}
		}
	}
	if n := len(catalogue); n < 32 || n > 128 {
		t.Errorf("%d pictures, want 32..128", n)
	}
}

func TestWithLastLayer(t *testing.T) {
	ctx := context.Background()
	base := bagOfWords{stopAt: 1}
	enc := func(n int) []float32 {
		c, err := base.WithLastLayer(n)
		if err != nil {
			t.Fatal(err)
		}
		cond, err := c.Encode(ctx, "red")
		if err != nil {
			t.Fatal(err)
		}
		return cond[0].CrossAttn.Data
	}
	last := encodeOne(t, "red").CrossAttn.Data
	if !equalF32(enc(-1), last) || !equalF32(enc(-13), last) || !equalF32(enc(-24), last) {
		t.Error("-1 and layers beyond the depth must equal the last layer")
	}
	m2, m12 := enc(-2), enc(-12)
	if equalF32(m2, last) || !equalF32(m2, enc(-2)) {
		t.Error("-2 must differ from the last layer, deterministically")
	}
	// The match with "red" shrinks by cos(tilt) per layer.
	red := conceptIndex["red"]
	cw := make([]float64, len(concepts))
	conceptWeights(cw, m2)
	if got, want := cw[red], math.Cos(layerTilt); math.Abs(got-want) > 1e-5 {
		t.Errorf("-2: red weight %v, want %v", got, want)
	}
	conceptWeights(cw, m12)
	if got, want := cw[red], math.Cos(11*layerTilt); math.Abs(got-want) > 1e-5 {
		t.Errorf("-12: red weight %v, want %v", got, want)
	}
	if _, err := base.WithLastLayer(0); err == nil {
		t.Error("layer 0 accepted")
	}
}
