package models

import (
	"os"
	"path/filepath"
	"testing"

	"comfyd/models/safetensors"
	"comfyd/models/sd1"
	"comfyd/tensor"
)

// shapeSource serves shapes only (configuration detection reads no data).
type shapeSource map[string][]int

func (s shapeSource) Shape(name string) ([]int, bool) { v, ok := s[name]; return v, ok }
func (s shapeSource) Float32(name string) (*tensor.Tensor, error) {
	return nil, os.ErrNotExist
}

// TestMalformedShapesGiveErrors corrupts each key's shape of the tiny
// checkpoint in turn (scalar, empty, zero-sized): detection and
// configuration must return errors or configs, never panic.
func TestMalformedShapesGiveErrors(t *testing.T) {
	f, err := safetensors.Open(filepath.Join(goldenDir(), "tiny_sd1_checkpoint.safetensors"))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	defer f.Close()
	base := f.Shapes()
	for _, bad := range [][]int{{}, {0}, {0, 0, 0, 0}, {1}} {
		for key := range base {
			shapes := withKeys(base, map[string][]int{key: bad})
			DetectFamily(shapes)
			if cfg, err := DetectUNetConfig(shapes, DiffusionPrefix(shapes), 2); err == nil {
				if err := cfg.Validate(); err != nil {
					t.Errorf("DetectUNetConfig returned an invalid config for %s=%v: %v", key, bad, err)
				}
			}
			src := shapeSource(shapes)
			sd1.VAEConfigFromShapes(src, vaePrefix)
			sd1.CLIPConfigFromShapes(src, clipPrefix, 0)
		}
	}
}
