// Package models holds the model families behind the MODEL, CLIP and VAE
// types: the built-in closed-form model (models/builtin), safetensors
// checkpoints and family detection, and the SD1.x networks.
package models

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"comfyd/sampling"
	"comfyd/tensor"
)

// CLIP is a text encoder as CLIPTextEncode and CLIPSetLastLayer use it.
type CLIP interface {
	// Encode turns a prompt (ComfyUI weight syntax included) into
	// conditioning.
	Encode(ctx context.Context, text string) (sampling.Conditioning, error)
	// WithLastLayer returns a copy that stops at layer n (negative, from
	// the end: -1 is the last layer), as CLIPSetLastLayer does.
	WithLastLayer(n int) (CLIP, error)
}

// VAE maps between images and latents.
type VAE interface {
	// Decode maps a latent [B,C,h,w] (VAE units) to an image [B,8h,8w,3]
	// in [0,1].
	Decode(ctx context.Context, latent *tensor.Tensor) (*tensor.Tensor, error)
	// Encode maps an image [B,H,W,3] in [0,1] to a latent [B,C,H/8,W/8].
	Encode(ctx context.Context, image *tensor.Tensor) (*tensor.Tensor, error)
	// LatentChannels is the latent channel count (4 for SD1).
	LatentChannels() int
}

// Checkpoint is what CheckpointLoaderSimple returns.
type Checkpoint struct {
	Model *sampling.Model
	CLIP  CLIP
	VAE   VAE
}

// BuiltinLoader builds a checkpoint that needs no file.
type BuiltinLoader func(ctx context.Context) (*Checkpoint, error)

var (
	builtinMu    sync.RWMutex
	builtins     = map[string]BuiltinLoader{}
	builtinOrder []string
)

// RegisterBuiltin adds a file-less checkpoint under name; called from init
// of the package that provides it.
func RegisterBuiltin(name string, load BuiltinLoader) {
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if _, dup := builtins[name]; dup {
		panic("models: builtin registered twice: " + name)
	}
	builtins[name] = load
	builtinOrder = append(builtinOrder, name)
}

// Builtins lists the file-less checkpoints in registration order.
func Builtins() []string {
	builtinMu.RLock()
	defer builtinMu.RUnlock()
	return append([]string(nil), builtinOrder...)
}

// LoadBuiltin loads a file-less checkpoint by name.
func LoadBuiltin(ctx context.Context, name string) (*Checkpoint, error) {
	builtinMu.RLock()
	load, ok := builtins[name]
	builtinMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("no built-in checkpoint %q (have %v)", name, sortedKeys())
	}
	return load(ctx)
}

func sortedKeys() []string {
	builtinMu.RLock()
	defer builtinMu.RUnlock()
	out := make([]string, 0, len(builtins))
	for k := range builtins {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
