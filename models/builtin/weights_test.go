package builtin

import (
	"math"
	"testing"
)

func TestParsePrompt(t *testing.T) {
	type ww = weightedWord
	cases := []struct {
		in   string
		want []ww
	}{
		{"a Red circle", []ww{{"a", 1}, {"red", 1}, {"circle", 1}}},
		{"(red:1.3) circles", []ww{{"red", 1.3}, {"circle", 1}}},
		{"(red)", []ww{{"red", 1.1}}},
		{"((red))", []ww{{"red", 1.1 * 1.1}}},
		{"(a (b:1.5) c)", []ww{{"a", 1.1}, {"b", 1.5}, {"c", 1.1}}},
		{"((b:0.5))", []ww{{"b", 0.5}}},
		{"[red]", []ww{{"red", 1}}}, // A1111 syntax: no weight in ComfyUI
		{`\(red\)`, []ww{{"red", 1}}},
		{`(\(red\):2)`, []ww{{"red", 2}}},
		{"(red:abc)", []ww{{"red", 1.1}, {"abc", 1.1}}},
		{"(red: 0.5 )", []ww{{"red", 0.5}}},
		{"(red", []ww{{"red", 1}}},
		{"red) blue (", []ww{{"red", 1}, {"blue", 1}}},
		{"violet boxes, checkered", []ww{{"purple", 1}, {"square", 1}, {"checkerboard", 1}}},
		{"", nil},
	}
	for _, c := range cases {
		got, err := parsePrompt(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i].word != c.want[i].word || math.Abs(got[i].weight-c.want[i].weight) > 1e-12 {
				t.Errorf("%q: got %v, want %v", c.in, got, c.want)
				break
			}
		}
	}
}

func TestParsePromptRejectsNonFiniteWeight(t *testing.T) {
	for _, in := range []string{"(red:nan)", "(red:inf)", "(red:-Infinity)"} {
		if _, err := parsePrompt(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
