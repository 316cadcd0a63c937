package core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"comfyd/models"
	"comfyd/nodes"
	"comfyd/paths"
)

// The reference /object_info replaces folder-dependent lists by one example
// name; the test folders hold exactly those files.
const (
	exampleCheckpoint = "v1-5-pruned-emaonly-fp16.safetensors"
	exampleImage      = "example.png"
	exampleLatent     = "example.latent"
)

func loadReferenceInfo(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("../../testdata/object_info.comfyui.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]json.RawMessage
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// exampleEnv lays out folders holding the reference's example files.
func exampleEnv(t *testing.T) *nodes.Env {
	t.Helper()
	f := paths.New(t.TempDir())
	if err := f.Create(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(f.ModelDirs("checkpoints")[0], exampleCheckpoint),
		filepath.Join(f.Input, exampleImage),
		filepath.Join(f.Input, exampleLatent),
	} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &nodes.Env{Folders: f, PreviewMethod: "none"}
}

// withBuiltins puts the built-in checkpoints (registered by whatever model
// packages this test binary links) in front of the reference's ckpt list,
// as CheckpointLoaderSimple lists them.
func withBuiltins(t *testing.T, raw json.RawMessage) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	spec := m["input"].(map[string]any)["required"].(map[string]any)["ckpt_name"].([]any)
	var names []any
	for _, b := range models.Builtins() {
		names = append(names, b)
	}
	spec[0] = append(names, spec[0].([]any)...)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestObjectInfoMatchesComfyUI(t *testing.T) {
	ref := loadReferenceInfo(t)
	env := exampleEnv(t)
	r := nodes.NewRegistry()
	Register(r)
	for _, name := range r.Names() {
		t.Run(name, func(t *testing.T) {
			want, ok := ref[name]
			if !ok {
				t.Fatalf("%s is not in the reference /object_info", name)
			}
			if name == "CheckpointLoaderSimple" {
				want = withBuiltins(t, want)
			}
			c, _ := r.Get(name)
			diffs, gaps, err := nodes.CompareNodeInfo(c.Info(env), want)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Error(d)
			}
			for _, g := range gaps {
				t.Log("framework gap:", g)
			}
		})
	}
}
func TestRegistersEveryCoreNodeOfTheReference(t *testing.T) {
	ref := loadReferenceInfo(t)
	r := nodes.NewRegistry()
	Register(r)
	for name, raw := range ref {
		var m struct {
			PythonModule string `json:"python_module"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if m.PythonModule != moduleNodes && m.PythonModule != moduleCustomSampler {
			continue
		}
		if !slices.Contains(r.Names(), name) {
			t.Errorf("core does not register %s", name)
		}
	}
}
