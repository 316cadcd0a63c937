package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedSD1 is the read-only fixture folder that holds the tokenizer data
// (never committed): ../shared/golden/sd1 relative to the repo root.
func sharedSD1() string { return filepath.Join("..", "..", "..", "shared", "golden", "sd1") }

func goldenDir() string {
	if d := os.Getenv("COMFYD_SD1_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "golden", "sd1")
}

func tokenizerDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	return filepath.Join(sharedSD1(), "tokenizer")
}

type goldenCase struct {
	Text       string                 `json:"text"`
	BPETokens  []string               `json:"bpe_tokens"`
	HFInputIDs []int                  `json:"hf_input_ids"`
	Chunks     [][][3]json.RawMessage `json:"comfy_chunks"`
}

func loadCases(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir(), "tokenizer_cases.json"))
	if err != nil {
		t.Fatalf("tokenizer_cases.json: %v", err)
	}
	var f struct {
		Prompts []goldenCase `json:"prompts"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Prompts) == 0 {
		t.Fatal("no tokenizer cases")
	}
	return f.Prompts
}

func loadBPE(t *testing.T) *BPE {
	t.Helper()
	b, err := LoadBPE(tokenizerDir())
	if err != nil {
		t.Fatalf("tokenizer vocabulary: %v", err)
	}
	return b
}

func TestBPEGolden(t *testing.T) {
	b := loadBPE(t)
	for i, c := range loadCases(t) {
		if got := b.Pieces(c.Text); strings.Join(got, "|") != strings.Join(c.BPETokens, "|") {
			t.Errorf("case %d %q: pieces\n got %q\nwant %q", i, c.Text, got, c.BPETokens)
		}
		ids := append(append([]int{StartToken}, b.Encode(c.Text)...), EndToken)
		if !slices.Equal(ids, c.HFInputIDs) {
			t.Errorf("case %d: ids\n got %v\nwant %v", i, ids, c.HFInputIDs)
		}
	}
}

func TestTokenizeWithWeightsGolden(t *testing.T) {
	tk := &Tokenizer{BPE: loadBPE(t), Embeddings: DirEmbeddings{Dirs: []string{filepath.Join(goldenDir(), "embeddings")}, Key: "clip_l"}}
	for i, c := range loadCases(t) {
		got := tk.TokenizeWithWeights(c.Text)
		if len(got) != len(c.Chunks) {
			t.Errorf("case %d: %d chunks, want %d", i, len(got), len(c.Chunks))
			continue
		}
		for ci, chunk := range c.Chunks {
			if len(got[ci]) != len(chunk) {
				t.Errorf("case %d chunk %d: %d tokens, want %d", i, ci, len(got[ci]), len(chunk))
				continue
			}
			for j, want := range chunk {
				g := got[ci][j]
				var weight float64
				var word int
				json.Unmarshal(want[1], &weight)
				json.Unmarshal(want[2], &word)
				var id int
				if err := json.Unmarshal(want[0], &id); err != nil {
					var emb struct {
						Embedding string `json:"embedding"`
						Row       int    `json:"row"`
					}
					if err := json.Unmarshal(want[0], &emb); err != nil {
						t.Fatal(err)
					}
					if g.ID != -1 || g.Embedding != emb.Embedding || g.Row != emb.Row || g.Vector == nil {
						t.Errorf("case %d chunk %d pos %d: got %+v, want embedding %+v", i, ci, j, g, emb)
					}
				} else if g.ID != id {
					t.Errorf("case %d chunk %d pos %d: id %d want %d", i, ci, j, g.ID, id)
				}
				if g.Weight != weight || g.WordID != word {
					t.Errorf("case %d chunk %d pos %d: weight %v word %d, want %v %d", i, ci, j, g.Weight, g.WordID, weight, word)
				}
			}
		}
	}
}

func TestDefaultDirErrorSaysWhereItLooked(t *testing.T) {
	t.Setenv(EnvDir, filepath.Join(t.TempDir(), "nope"))
	SetDir("")
	_, err := Default()
	if err == nil || !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), EnvDir) {
		t.Fatalf("err = %v", err)
	}
	t.Setenv(EnvDir, "")
	if _, err := Default(); err == nil || !strings.Contains(err.Error(), "no folder configured") {
		t.Fatalf("err = %v", err)
	}
	SetDir(tokenizerDir())
	defer SetDir("")
	if _, err := Default(); err != nil {
		t.Fatal(err)
	}
}

func TestPythonFloat(t *testing.T) {
	cases := []struct {
		in string
		ok bool
		v  float64
	}{{"1.2", true, 1.2}, {" 2 ", true, 2}, {"1_0", true, 10}, {"_1", false, 0}, {"abc", false, 0}, {"0x10", false, 0}, {"inf", true, 0}, {"", false, 0}, {"-.5", true, -0.5}, {"1e400", true, 0}}
	for _, c := range cases {
		v, err := pythonFloat(c.in)
		if (err == nil) != c.ok || (c.ok && c.v != 0 && v != c.v) {
			t.Errorf("pythonFloat(%q) = %v, %v", c.in, v, err)
		}
	}
}

func TestWeightSyntax(t *testing.T) {
	cases := []struct {
		in   string
		want []weighted
	}{
		{"a (b) c", []weighted{{"a ", 1}, {"b", 1.1}, {" c", 1}}},
		{"((x))", []weighted{{"x", 1.2100000000000002}}},
		{"(x:0.5)", []weighted{{"x", 0.5}}},
		{"(a (b:1.5) c:0.8)", []weighted{{"a ", 0.8}, {"b", 1.5}, {" c", 0.8}}},
		{"(x:abc)", []weighted{{"x:abc", 1.1}}},
		{"(unclosed", []weighted{{"(unclosed", 1}}},
		{"a) b", []weighted{{"a) b", 1}}}, // a stray ")" is text
	}
	for _, c := range cases {
		got := tokenWeights(c.in, 1)
		if len(got) != len(c.want) {
			t.Errorf("%q: %v want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v want %v", c.in, got, c.want)
			}
		}
	}
}
