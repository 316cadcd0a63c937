// Package tokenizer is the CLIP byte-level BPE tokenizer (the semantics of
// Hugging Face's slow CLIPTokenizer without ftfy, as a usual ComfyUI
// install runs it) and ComfyUI's prompt syntax on top of it: (text:1.2)
// weights, (text) emphasis, escapes, embedding:name and 77-token chunking
// with word ids.
//
// The vocabulary is not embedded: it is read at run time from a folder
// holding vocab.json and merges.txt (ComfyUI's comfy/sd1_tokenizer or a
// diffusers tokenizer/ folder), see Dir.
package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Special token ids of CLIP's vocabulary.
const (
	StartToken = 49406
	EndToken   = 49407
)

// mergesUsed is how many merges CLIP uses: 49152 - 256 - 2.
const mergesUsed = 48894

// BPE is a loaded CLIP vocabulary. It is safe for concurrent use.
type BPE struct {
	vocab     map[string]int
	ranks     map[[2]string]int
	byteRunes [256]rune

	mu    sync.Mutex
	cache map[string][]int
}

// pattern is CLIP's pre-tokenisation regex; the text is lower-cased and its
// whitespace reduced to single spaces beforehand, so Go's ASCII \s and
// case-sensitive literals behave like the original.
var pattern = regexp.MustCompile(`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`)

// LoadBPE reads vocab.json and merges.txt from dir.
func LoadBPE(dir string) (*BPE, error) {
	vb, err := os.ReadFile(filepath.Join(dir, "vocab.json"))
	if err != nil {
		return nil, err
	}
	b := &BPE{ranks: make(map[[2]string]int, mergesUsed), cache: map[string][]int{}}
	if err := json.Unmarshal(vb, &b.vocab); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "vocab.json"), err)
	}
	mf, err := os.Open(filepath.Join(dir, "merges.txt"))
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 { // "#version: 0.2"
			continue
		}
		if len(b.ranks) == mergesUsed {
			break
		}
		a, c, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			return nil, fmt.Errorf("%s line %d: not a merge pair", filepath.Join(dir, "merges.txt"), line)
		}
		b.ranks[[2]string{a, c}] = len(b.ranks)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(b.ranks) < mergesUsed || b.vocab["<|endoftext|>"] != EndToken || b.vocab["<|startoftext|>"] != StartToken {
		return nil, fmt.Errorf("%s does not hold CLIP's vocabulary (%d merges, end token %d)", dir, len(b.ranks), b.vocab["<|endoftext|>"])
	}
	b.byteRunes = bytesToUnicode()
	return b, nil
}

// bytesToUnicode is GPT-2's reversible byte→rune map: printable bytes map
// to themselves, the rest to runes from 256 up.
func bytesToUnicode() [256]rune {
	var m [256]rune
	printable := func(c int) bool {
		return (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF)
	}
	n := 0
	for c := range 256 {
		if printable(c) {
			m[c] = rune(c)
		} else {
			m[c] = rune(256 + n)
			n++
		}
	}
	return m
}

// Words splits text the way CLIPTokenizer does before BPE.
func Words(text string) []string {
	return pattern.FindAllString(clean(text), -1)
}

// clean is BasicTokenizer(strip_accents=False, do_split_on_punc=False)
// followed by lower-casing: control characters dropped, whitespace to
// spaces, CJK ideographs spaced out, NFC, lower case, single spaces.
func clean(text string) string {
	var sb strings.Builder
	for _, r := range text {
		switch {
		case r == 0 || r == 0xFFFD || r == utf8.RuneError:
			continue
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r):
			sb.WriteByte(' ')
		case isControl(r):
			continue
		case isCJK(r):
			sb.WriteByte(' ')
			sb.WriteRune(r)
			sb.WriteByte(' ')
		default:
			sb.WriteRune(r)
		}
	}
	s := norm.NFC.String(sb.String())
	fields := strings.Fields(lower(s))
	return strings.Join(fields, " ")
}

// lower is Python's str.lower: Go's simple case mapping plus the two
// special cases that change CLIP tokens: a capital sigma ending a word
// becomes the final sigma ς, and İ becomes i followed by a combining dot.
func lower(s string) string {
	if !strings.ContainsAny(s, "\u03a3\u0130") {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var sb strings.Builder
	for i, r := range rs {
		switch r {
		case 'Σ':
			if finalSigma(rs, i) {
				sb.WriteRune('ς')
			} else {
				sb.WriteRune('σ')
			}
		case 'İ':
			sb.WriteString("i\u0307")
		default:
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}

// finalSigma is Unicode's Final_Sigma condition: a cased letter before
// (skipping case-ignorable marks) and none after.
func finalSigma(rs []rune, i int) bool {
	cased := func(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }
	ignorable := func(r rune) bool {
		return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) || r == '\'' || r == '.' || r == ':'
	}
	before := false
	for j := i - 1; j >= 0; j-- {
		if ignorable(rs[j]) {
			continue
		}
		before = cased(rs[j])
		break
	}
	if !before {
		return false
	}
	for j := i + 1; j < len(rs); j++ {
		if ignorable(rs[j]) {
			continue
		}
		return !cased(rs[j])
	}
	return true
}

// isControl is Python's unicodedata category "C*" (control, format,
// surrogate, private use, unassigned).
func isControl(r rune) bool {
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// Pieces returns the BPE strings of text ("</w>" marks a word's end).
func (b *BPE) Pieces(text string) []string {
	var out []string
	for _, w := range Words(text) {
		out = append(out, b.merge(w)...)
	}
	return out
}

// Encode returns the token ids of text without start and end tokens.
func (b *BPE) Encode(text string) []int {
	var ids []int
	for _, w := range Words(text) {
		b.mu.Lock()
		cached, ok := b.cache[w]
		b.mu.Unlock()
		if !ok {
			for _, p := range b.merge(w) {
				id, known := b.vocab[p]
				if !known {
					// Every byte-level piece is in CLIP's vocabulary;
					// an unknown one means a damaged vocab file.
					id = b.vocab["<|endoftext|>"]
				}
				cached = append(cached, id)
			}
			b.mu.Lock()
			if len(b.cache) < 1<<16 {
				b.cache[w] = cached
			}
			b.mu.Unlock()
		}
		ids = append(ids, cached...)
	}
	return ids
}

// merge runs byte-level BPE on one pre-token.
func (b *BPE) merge(word string) []string {
	if word == "<|startoftext|>" || word == "<|endoftext|>" {
		return []string{word}
	}
	var syms []string
	for _, c := range []byte(word) {
		syms = append(syms, string(b.byteRunes[c]))
	}
	if len(syms) == 0 {
		return nil
	}
	syms[len(syms)-1] += "</w>"
	for len(syms) > 1 {
		best, at := -1, -1
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := b.ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		first, second := syms[at], syms[at+1]
		// Merge every occurrence of the pair, left to right.
		var next []string
		for i := 0; i < len(syms); {
			if i+1 < len(syms) && syms[i] == first && syms[i+1] == second {
				next = append(next, first+second)
				i += 2
			} else {
				next = append(next, syms[i])
				i++
			}
		}
		syms = next
	}
	return syms
}
