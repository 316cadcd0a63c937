package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// EnvDir names the environment variable that points at the vocabulary
// folder.
const EnvDir = "COMFYD_TOKENIZER_DIR"

var (
	dirMu     sync.Mutex
	dirSet    string
	loaded    *BPE
	loadedDir string
)

// SetDir sets the folder holding vocab.json and merges.txt (overriding
// $COMFYD_TOKENIZER_DIR). An empty dir restores the default lookup.
func SetDir(dir string) {
	dirMu.Lock()
	defer dirMu.Unlock()
	dirSet = dir
}

// candidates lists where the vocabulary is looked for, in order.
func candidates() []string {
	var out []string
	if dirSet != "" {
		out = append(out, dirSet)
	}
	if env := os.Getenv(EnvDir); env != "" {
		out = append(out, env)
	}
	return out
}

// Default loads (once per folder) the CLIP vocabulary from the configured
// folder. A folder may be ComfyUI's comfy/sd1_tokenizer, a diffusers
// tokenizer/ folder, or a model folder containing tokenizer/.
func Default() (*BPE, error) {
	dirMu.Lock()
	defer dirMu.Unlock()
	var tried []string
	for _, d := range candidates() {
		for _, sub := range []string{"", "tokenizer", "sd1_tokenizer"} {
			p := filepath.Join(d, sub)
			if _, err := os.Stat(filepath.Join(p, "vocab.json")); err != nil {
				tried = append(tried, p)
				continue
			}
			if loaded != nil && loadedDir == p {
				return loaded, nil
			}
			b, err := LoadBPE(p)
			if err != nil {
				return nil, fmt.Errorf("CLIP tokenizer: %w", err)
			}
			loaded, loadedDir = b, p
			return b, nil
		}
	}
	where := "nowhere (no folder configured)"
	if len(tried) > 0 {
		where = strings.Join(tried, ", ")
	}
	return nil, fmt.Errorf("CLIP tokenizer vocabulary (vocab.json, merges.txt) not found: looked in %s; set %s to ComfyUI's comfy/sd1_tokenizer folder or a diffusers tokenizer/ folder", where, EnvDir)
}
