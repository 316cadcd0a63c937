package paths

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// legacyKinds maps folder names older ComfyUI configs use to today's.
var legacyKinds = map[string]string{"unet": "diffusion_models", "clip": "text_encoders"}

// LoadExtraModelPaths reads a ComfyUI extra_model_paths.yaml and adds its
// folders. Each top-level section may set base_path (relative paths are
// relative to the YAML file) and is_default (its folders are searched
// first); every other key names a model kind whose value holds one folder
// per line. It returns the folders added, for the start-up log.
func (f *Folders) LoadExtraModelPaths(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	yamlDir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	var added []string
	for section, entries := range doc {
		base := ""
		if b, ok := entries["base_path"].(string); ok {
			base = expandHome(b)
			if !filepath.IsAbs(base) {
				base = filepath.Join(yamlDir, base)
			}
		}
		isDefault, _ := entries["is_default"].(bool)
		for kind, v := range entries {
			if kind == "base_path" || kind == "is_default" || kind == "download_model_base" {
				continue
			}
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: %s.%s: want a string of folders, got %T", file, section, kind, v)
			}
			if k, ok := legacyKinds[kind]; ok {
				kind = k
			}
			for _, line := range strings.Split(s, "\n") {
				line = strings.TrimSpace(line)
				if line == "" {
					continue
				}
				dir := expandHome(line)
				if base != "" && !filepath.IsAbs(dir) {
					dir = filepath.Join(base, dir)
				} else if !filepath.IsAbs(dir) {
					dir = filepath.Join(yamlDir, dir)
				}
				dir = filepath.Clean(dir)
				f.AddModelPath(kind, dir, isDefault)
				added = append(added, kind+": "+dir)
			}
		}
	}
	return added, nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return os.ExpandEnv(p)
}
