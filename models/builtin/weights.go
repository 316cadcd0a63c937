package builtin

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"comfyd/models/tokenizer"
)

// weightedWord is one word of a prompt with its emphasis.
type weightedWord struct {
	word   string
	weight float64
}

// parsePrompt splits a prompt into canonical words with ComfyUI's weights
// (tokenizer.WeightedSegments: "(text)" multiplies by 1.1 per nesting
// level, "(text:1.3)" sets the weight to 1.3, "\(" and "\)" are literal
// parentheses). Square brackets carry no weight in ComfyUI (that is A1111
// syntax): they are punctuation here too. Words are runs of letters and
// digits; punctuation separates them. A weight that is not finite is an
// error: it would turn every prediction into NaN.
func parsePrompt(text string) ([]weightedWord, error) {
	var out []weightedWord
	for _, s := range tokenizer.WeightedSegments(text) {
		if math.IsNaN(s.Weight) || math.IsInf(s.Weight, 0) {
			return nil, fmt.Errorf("prompt weight %v is not a finite number", s.Weight)
		}
		for _, w := range strings.FieldsFunc(s.Text, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			out = append(out, weightedWord{word: canonical(w), weight: s.Weight})
		}
	}
	return out, nil
}
