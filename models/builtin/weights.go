package builtin

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// weightedWord is one word of a prompt with its emphasis.
type weightedWord struct {
	word   string
	weight float64
}

// ComfyUI protects escaped parentheses by swapping them for control
// characters before parsing (sd1_clip.escape_important).
const (
	escapedClose = "\x00\x01"
	escapedOpen  = "\x00\x02"
)

// parsePrompt splits a prompt into canonical words with ComfyUI's weights:
// "(text)" multiplies by 1.1 per nesting level, "(text:1.3)" sets the weight
// to 1.3, "\(" and "\)" are literal parentheses. Square brackets carry no
// weight in ComfyUI (that is A1111 syntax): they are punctuation here too.
// Words are runs of letters and digits; punctuation separates them.
func parsePrompt(text string) ([]weightedWord, error) {
	text = strings.ReplaceAll(text, `\)`, escapedClose)
	text = strings.ReplaceAll(text, `\(`, escapedOpen)
	segs, err := tokenWeights(text, 1.0)
	if err != nil {
		return nil, err
	}
	var out []weightedWord
	for _, s := range segs {
		s.word = strings.ReplaceAll(s.word, escapedClose, ")")
		s.word = strings.ReplaceAll(s.word, escapedOpen, "(")
		for _, w := range strings.FieldsFunc(s.word, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			out = append(out, weightedWord{word: canonical(w), weight: s.weight})
		}
	}
	return out, nil
}

// tokenWeights is sd1_clip.token_weights: split at top-level parentheses
// and recurse into them with the multiplied or explicit weight.
func tokenWeights(text string, weight float64) ([]weightedWord, error) {
	var out []weightedWord
	for _, part := range parseParentheses(text) {
		if len(part) < 2 || part[0] != '(' || part[len(part)-1] != ')' {
			out = append(out, weightedWord{word: part, weight: weight})
			continue
		}
		inner := part[1 : len(part)-1]
		w := weight * 1.1
		if i := strings.LastIndexByte(inner, ':'); i > 0 {
			// Python's float() accepts surrounding blanks; a failed parse
			// keeps the text and the 1.1 emphasis, as ComfyUI does.
			if v, err := strconv.ParseFloat(strings.TrimSpace(inner[i+1:]), 64); err == nil {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("prompt weight %q is not a finite number", inner[i+1:])
				}
				w, inner = v, inner[:i]
			}
		}
		sub, err := tokenWeights(inner, w)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// parseParentheses is sd1_clip.parse_parentheses: top-level "(...)" groups
// and the text between them, unbalanced parentheses kept as text.
func parseParentheses(s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			if depth == 0 && cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			cur.WriteRune(r)
			depth++
		case r == ')':
			depth--
			if depth == 0 {
				cur.WriteRune(r)
				out = append(out, cur.String())
				cur.Reset()
			} else {
				cur.WriteRune(r)
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
