package tokenizer

import (
	"path/filepath"
	"testing"
)

func TestLowerMatchesPython(t *testing.T) {
	cases := []struct{ in, want string }{
		{"ABC Übermensch", "abc übermensch"},
		{"ΟΔΟΣ", "οδος"},          // final sigma at the end of a word
		{"ΟΔΟΣ ΣΑ", "οδος σα"},    // initial sigma stays σ
		{"ΑΣ.", "ας."},            // punctuation after: still final
		{"Σ", "σ"},                // no cased letter before
		{"İstanbul", "i̇stanbul"}, // dotted capital I keeps its dot
	}
	for _, c := range cases {
		if got := lower(c.in); got != c.want {
			t.Errorf("lower(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzTokenize checks that any prompt tokenizes into whole 77-token
// chunks that start with the start token, without panicking.
func FuzzTokenize(f *testing.F) {
	b, err := LoadBPE(tokenizerDir())
	if err != nil {
		f.Fatalf("tokenizer vocabulary: %v", err)
	}
	tk := &Tokenizer{BPE: b, Embeddings: DirEmbeddings{Dirs: []string{filepath.Join(goldenDir(), "embeddings")}}}
	for _, s := range []string{"", "(a:1.2)", "((x)) [y] \\(z\\)", "embedding:tinyemb, x", "embedding:", "(unclosed", "ΟΔΟΣ 日本 🐱", "a\x00b\tc\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, ch := range tk.TokenizeWithWeights(s) {
			if len(ch) != ChunkLength || ch[0].ID != StartToken {
				t.Fatalf("bad chunk for %q: %d tokens", s, len(ch))
			}
		}
	})
}
