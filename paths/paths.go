// Package paths is comfyd's equivalent of ComfyUI's folder_paths: where
// inputs, outputs, temp files, user data and models live, and the one safe
// way to turn a user-supplied name into a path inside one of them.
package paths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// ErrEscape is returned for a name that would leave its root folder.
var ErrEscape = errors.New("path escapes its folder")

// Folders are the directories comfyd reads and writes.
type Folders struct {
	Base   string
	Output string
	Input  string
	Temp   string
	User   string

	mu sync.RWMutex
	// models maps a model kind ("checkpoints", "vae", "loras",
	// "embeddings", ...) to its search directories, first one preferred.
	models map[string][]string
}

// ModelExtensions are the file endings listed as models, as ComfyUI's
// supported_pt_extensions.
var ModelExtensions = []string{".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}

// ModelKinds are the model folders ComfyUI creates under models/.
var ModelKinds = []string{
	"checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models",
	"clip_vision", "style_models", "embeddings", "diffusers", "vae_approx",
	"controlnet", "gligen", "upscale_models", "hypernetworks", "photomaker", "classifiers",
}

// New lays out the default folders under base, as ComfyUI does under its
// own directory: output/, input/, temp/, user/, models/<kind>/.
func New(base string) *Folders {
	f := &Folders{
		Base:   base,
		Output: filepath.Join(base, "output"),
		Input:  filepath.Join(base, "input"),
		Temp:   filepath.Join(base, "temp"),
		User:   filepath.Join(base, "user"),
		models: map[string][]string{},
	}
	for _, k := range ModelKinds {
		f.models[k] = []string{filepath.Join(base, "models", k)}
	}
	// ComfyUI accepts models/clip as text_encoders and models/unet as
	// diffusion_models.
	f.models["text_encoders"] = append(f.models["text_encoders"], filepath.Join(base, "models", "clip"))
	f.models["diffusion_models"] = append(f.models["diffusion_models"], filepath.Join(base, "models", "unet"))
	return f
}

// Create makes the input, output, temp, user and model directories.
func (f *Folders) Create() error {
	dirs := []string{f.Output, f.Input, f.Temp, f.User}
	f.mu.RLock()
	for _, k := range ModelKinds {
		if ds := f.models[k]; len(ds) > 0 {
			dirs = append(dirs, ds[0])
		}
	}
	f.mu.RUnlock()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// AddModelPath appends a search directory for a model kind.
func (f *Folders) AddModelPath(kind, dir string, first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if first {
		f.models[kind] = append([]string{dir}, f.models[kind]...)
	} else {
		f.models[kind] = append(f.models[kind], dir)
	}
}

// ModelDirs returns the search directories of a model kind.
func (f *Folders) ModelDirs(kind string) []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]string(nil), f.models[kind]...)
}

// ModelKindsWithDirs lists every kind that has directories, sorted.
func (f *Folders) ModelKindsWithDirs() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]string, 0, len(f.models))
	for k := range f.models {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Root returns the folder of a ComfyUI file type: output, input or temp.
func (f *Folders) Root(fileType string) (string, error) {
	switch fileType {
	case "", "output":
		return f.Output, nil
	case "input":
		return f.Input, nil
	case "temp":
		return f.Temp, nil
	}
	return "", fmt.Errorf("unknown folder type %q", fileType)
}

// ListModels returns the model files of a kind as ComfyUI names them:
// paths relative to their search directory with '/' separators, sorted,
// duplicates removed.
func (f *Folders) ListModels(kind string) []string {
	seen := map[string]bool{}
	var out []string
	for _, dir := range f.ModelDirs(kind) {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if strings.HasPrefix(d.Name(), ".") && p != dir {
					return filepath.SkipDir
				}
				return nil
			}
			if !hasModelExt(d.Name()) {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return nil
			}
			rel = filepath.ToSlash(rel)
			if !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

func hasModelExt(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range ModelExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// ModelPath resolves a model name of a kind to a file, refusing escapes.
func (f *Folders) ModelPath(kind, name string) (string, error) {
	for _, dir := range f.ModelDirs(kind) {
		p, err := SafeJoin(dir, name)
		if err != nil {
			return "", err
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s model %q not found", kind, name)
}

// SafeJoin joins user-supplied path parts below root and refuses anything
// that would leave it: "..", absolute parts, NUL bytes, backslashes used as
// separators, and symlinks (existing parts only) that point outside root.
func SafeJoin(root string, parts ...string) (string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	rel := ""
	for _, p := range parts {
		if strings.ContainsAny(p, "\x00\\") {
			return "", ErrEscape
		}
		if p == "" {
			continue
		}
		if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
			return "", ErrEscape
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == ".." {
				return "", ErrEscape
			}
		}
		rel = filepath.Join(rel, p)
	}
	full := filepath.Join(absRoot, rel)
	if !within(absRoot, full) {
		return "", ErrEscape
	}
	// Resolve symlinks of the existing prefix of the path.
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return full, nil
		}
		return "", err
	}
	probe := full
	for {
		real, err := filepath.EvalSymlinks(probe)
		if err == nil {
			rest, _ := filepath.Rel(probe, full)
			if !within(realRoot, filepath.Join(real, rest)) {
				return "", ErrEscape
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent
	}
	return full, nil
}

func within(root, p string) bool {
	if p == root {
		return true
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}
