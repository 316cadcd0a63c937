package paths

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadExtraModelPaths(t *testing.T) {
	dir := t.TempDir()
	yml := `
comfyui:
    base_path: /opt/comfy
    is_default: true
    checkpoints: models/checkpoints/
    clip: models/clip/
    loras: |
         models/loras/
         models/other_loras/
a111:
    base_path: sdwebui
    checkpoints: models/Stable-diffusion
`
	file := filepath.Join(dir, "extra.yaml")
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New(t.TempDir())
	added, err := f.LoadExtraModelPaths(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 5 {
		t.Fatalf("added %v", added)
	}
	ck := f.ModelDirs("checkpoints")
	if ck[0] != "/opt/comfy/models/checkpoints" {
		t.Fatalf("is_default folder not first: %v", ck)
	}
	if ck[len(ck)-1] != filepath.Join(dir, "sdwebui/models/Stable-diffusion") {
		t.Fatalf("relative base not resolved against the yaml: %v", ck)
	}
	te := f.ModelDirs("text_encoders")
	if te[0] != "/opt/comfy/models/clip" {
		t.Fatalf("legacy clip kind not mapped: %v", te)
	}
	if l := f.ModelDirs("loras"); len(l) != 3 {
		t.Fatalf("multi-line value: %v", l)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("a: [1, 2"), 0o644)
	if _, err := f.LoadExtraModelPaths(bad); err == nil {
		t.Fatal("bad yaml accepted")
	}
}
