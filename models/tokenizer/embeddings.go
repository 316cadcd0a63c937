package tokenizer

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"comfyd/models/safetensors"
)

// DirEmbeddings finds textual-inversion embeddings in folders (and their
// subfolders), like ComfyUI's load_embed: "name", then "name.safetensors",
// ".pt", ".bin". Only safetensors files can be read; others are reported
// and skipped.
type DirEmbeddings struct {
	Dirs []string
	// Key is the tensor to prefer in multi-encoder files ("clip_l").
	Key string
}

// Lookup implements Embeddings.
func (d DirEmbeddings) Lookup(name string) ([][]float32, bool) {
	path := d.find(name)
	if path == "" {
		return nil, false
	}
	if !strings.HasSuffix(strings.ToLower(path), ".safetensors") {
		slog.Warn("embedding format not supported (only .safetensors), skipping", "path", path)
		return nil, false
	}
	rows, err := d.load(path)
	if err != nil {
		slog.Warn("error loading embedding, skipping", "path", path, "err", err)
		return nil, false
	}
	return rows, true
}

func (d DirEmbeddings) find(name string) string {
	for _, dir := range expandDirs(d.Dirs) {
		base, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		p := filepath.Join(base, name)
		// The name may not climb out of the folder.
		if rel, err := filepath.Rel(base, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if isFile(p) {
			return p
		}
		for _, ext := range []string{".safetensors", ".pt", ".bin"} {
			if isFile(p + ext) {
				return p + ext
			}
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// expandDirs lists each folder and its subfolders, sorted.
func expandDirs(dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// load picks the embedding tensor like ComfyUI: the preferred key, then
// bundled "bundle_emb.*.string_to_param.*" rows, then the first tensor.
func (d DirEmbeddings) load(path string) ([][]float32, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := f.Names()
	var pick []string
	if d.Key != "" && f.Has(d.Key) {
		pick = []string{d.Key}
	}
	if pick == nil {
		for _, n := range names {
			if strings.HasPrefix(n, "bundle_emb.") && strings.Contains(n, ".string_to_param.") {
				pick = append(pick, n)
			}
		}
	}
	if pick == nil && len(names) > 0 {
		pick = names[:1]
	}
	var rows [][]float32
	for _, n := range pick {
		t, err := f.Float32(n)
		if err != nil {
			return nil, err
		}
		switch len(t.Shape) {
		case 1:
			rows = append(rows, t.Data)
		case 2:
			for i := range t.Shape[0] {
				rows = append(rows, t.Data[i*t.Shape[1]:(i+1)*t.Shape[1]])
			}
		default:
			return nil, &os.PathError{Op: "embedding", Path: path, Err: fs.ErrInvalid}
		}
	}
	if len(rows) == 0 {
		return nil, &os.PathError{Op: "embedding", Path: path, Err: fs.ErrNotExist}
	}
	return rows, nil
}
