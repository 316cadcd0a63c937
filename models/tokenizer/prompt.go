package tokenizer

import (
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// ChunkLength is SD1's CLIP context: start token, 75 tokens, end token.
const ChunkLength = 77

// maxWordLength is ComfyUI's threshold: a segment of at least this many
// tokens may be split across chunks; shorter ones move whole.
const maxWordLength = 8

// Token is one position of a chunk.
type Token struct {
	// ID is the vocabulary id, or -1 when Vector holds an embedding row.
	ID     int
	Weight float64
	// WordID numbers the prompt's segments and embeddings from 1; 0 marks
	// start, end and padding tokens.
	WordID int
	// Embedding and Row name the textual-inversion row behind Vector.
	Embedding string
	Row       int
	Vector    []float32
}

// Embeddings resolves embedding:name references.
type Embeddings interface {
	// Lookup returns the rows of the named embedding, or found=false.
	Lookup(name string) (rows [][]float32, found bool)
}

// Tokenizer turns ComfyUI prompts into weighted 77-token chunks.
type Tokenizer struct {
	BPE *BPE
	// Embeddings is nil when no embedding folder is configured; then
	// "embedding:name" is tokenized as plain text, as in ComfyUI.
	Embeddings Embeddings
}

const embeddingIdentifier = "embedding:"

var embeddingSplit = regexp.MustCompile(` ` + embeddingIdentifier + `|\n` + embeddingIdentifier)

// group is the token list of one segment or embedding.
type group []Token

// TokenizeWithWeights is SDTokenizer.tokenize_with_weights(text,
// return_word_ids=True): chunks of exactly ChunkLength tokens.
func (t *Tokenizer) TokenizeWithWeights(text string) [][]Token {
	var groups []group
	for _, seg := range WeightedSegments(text) {
		groups = append(groups, t.segmentGroups(seg.Text, seg.Weight)...)
	}
	return chunk(groups)
}

// Segment is a run of prompt text with its emphasis.
type Segment struct {
	Text   string
	Weight float64
}

// WeightedSegments applies ComfyUI's prompt weight syntax
// (sd1_clip.token_weights): "(text)" multiplies by 1.1 per level,
// "(text:w)" sets w, "\(" and "\)" are literal parentheses. Any text
// encoder can use it before its own tokenization.
func WeightedSegments(text string) []Segment {
	segs := tokenWeights(escapeImportant(text), 1.0)
	out := make([]Segment, len(segs))
	for i, s := range segs {
		out[i] = Segment{unescapeImportant(s.text), s.weight}
	}
	return out
}

// segmentGroups splits a weighted segment at embedding references and
// tokenizes the text pieces.
func (t *Tokenizer) segmentGroups(text string, weight float64) []group {
	parts := embeddingSplit.Split(text, -1)
	words := parts[:1]
	for _, p := range parts[1:] {
		words = append(words, embeddingIdentifier+p)
	}
	var out []group
	for _, word := range words {
		if word == "" {
			continue
		}
		if strings.HasPrefix(word, embeddingIdentifier) && t.Embeddings != nil {
			name := strings.Trim(word[len(embeddingIdentifier):], "\n")
			rows, emb, leftover := t.tryEmbedding(name)
			if rows == nil {
				slog.Warn("embedding does not exist, ignoring", "embedding", name)
			} else {
				g := make(group, len(rows))
				for i, r := range rows {
					g[i] = Token{ID: -1, Weight: weight, Embedding: emb, Row: i, Vector: r}
				}
				out = append(out, g)
			}
			if leftover == "" {
				continue
			}
			word = leftover
		}
		ids := t.BPE.Encode(word)
		g := make(group, len(ids))
		for i, id := range ids {
			g[i] = Token{ID: id, Weight: weight}
		}
		out = append(out, g)
	}
	return out
}

// tryEmbedding is _try_get_embedding: the first whitespace-separated word
// names the embedding, the rest is left over; a name with trailing commas
// is retried without them.
func (t *Tokenizer) tryEmbedding(name string) (rows [][]float32, emb, leftover string) {
	fields := strings.FieldsFunc(name, unicode.IsSpace)
	if len(fields) == 0 {
		return nil, "", ""
	}
	emb, leftover = fields[0], strings.Join(fields[1:], " ")
	if rows, ok := t.Embeddings.Lookup(emb); ok {
		return rows, embeddingName(emb), leftover
	}
	stripped := strings.Trim(emb, ",")
	if len(stripped) < len(emb) {
		rows, _ := t.Embeddings.Lookup(stripped)
		return rows, embeddingName(stripped), emb[len(stripped):] + " " + leftover
	}
	return nil, emb, leftover
}

// embeddingName drops a file extension from a reference.
func embeddingName(ref string) string {
	for _, ext := range []string{".safetensors", ".pt", ".bin"} {
		if strings.HasSuffix(ref, ext) {
			return strings.TrimSuffix(ref, ext)
		}
	}
	return ref
}

// chunk packs groups into chunks with ComfyUI's boundary rules.
func chunk(groups []group) [][]Token {
	start := Token{ID: StartToken, Weight: 1}
	end := Token{ID: EndToken, Weight: 1}
	batch := []Token{start}
	var chunks [][]Token
	for i, g := range groups {
		large := len(g) >= maxWordLength
		for len(g) > 0 {
			if len(g)+len(batch) > ChunkLength-1 {
				remaining := ChunkLength - len(batch) - 1
				if large {
					for _, tok := range g[:remaining] {
						tok.WordID = i + 1
						batch = append(batch, tok)
					}
					batch = append(batch, end)
					g = g[remaining:]
				} else {
					batch = append(batch, end)
					for range remaining {
						batch = append(batch, end)
					}
				}
				chunks = append(chunks, batch)
				batch = []Token{start}
			} else {
				for _, tok := range g {
					tok.WordID = i + 1
					batch = append(batch, tok)
				}
				g = nil
			}
		}
	}
	batch = append(batch, end)
	for len(batch) < ChunkLength {
		batch = append(batch, end)
	}
	return append(chunks, batch)
}

type weighted struct {
	text   string
	weight float64
}

// escapeImportant hides \( and \) from the parser (NUL-prefixed markers).
func escapeImportant(s string) string {
	s = strings.ReplaceAll(s, `\)`, "\x00\x01")
	return strings.ReplaceAll(s, `\(`, "\x00\x02")
}

func unescapeImportant(s string) string {
	s = strings.ReplaceAll(s, "\x00\x01", ")")
	return strings.ReplaceAll(s, "\x00\x02", "(")
}

// parseParentheses splits s into top-level parenthesised groups and the
// text between them; an unclosed group runs to the end.
func parseParentheses(s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			if depth == 0 {
				if cur.Len() > 0 {
					out = append(out, cur.String())
				}
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

// tokenWeights resolves nested weights: (x) multiplies by 1.1, (x:w) sets
// w when w parses as a number (then the 1.1 is discarded).
func tokenWeights(s string, weight float64) []weighted {
	var out []weighted
	for _, x := range parseParentheses(s) {
		if len(x) >= 2 && x[0] == '(' && x[len(x)-1] == ')' {
			x = x[1 : len(x)-1]
			w := weight * 1.1
			if i := strings.LastIndex(x, ":"); i > 0 {
				if v, err := pythonFloat(x[i+1:]); err == nil {
					w = v
					x = x[:i]
				}
			}
			out = append(out, tokenWeights(x, w)...)
		} else {
			out = append(out, weighted{x, weight})
		}
	}
	return out
}

// pythonFloat parses like Python's float(): surrounding whitespace, digit
// separators "_" between digits, inf/nan; no hex.
func pythonFloat(s string) (float64, error) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	if s == "" || strings.ContainsAny(s, "xXpP") {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	if strings.Contains(s, "_") {
		b := []byte(s)
		for i, c := range b {
			if c == '_' && (i == 0 || i == len(b)-1 || !isDigit(b[i-1]) || !isDigit(b[i+1])) {
				return 0, fmt.Errorf("not a number: %q", s)
			}
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, nil // Python gives inf or 0 as well
		}
		return 0, err
	}
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
