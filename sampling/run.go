package sampling

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"comfyd/tensor"
)

// DenoiseFunc is the guided denoiser D(x, sigma) of spec section 3: it
// writes the CFG-combined prediction of the clean latent into dst. When
// uncond is not nil, the unconditional prediction is written there too and
// the cfg == 1 shortcut is not taken (the CFG++ samplers need it).
type DenoiseFunc func(dst, uncond, x *tensor.Tensor, sigma float32) error

// NoiseFunc fills dst with one fresh draw of standard normals (the sampler's
// internal noise source, spec 7.3). Each call is a new draw.
type NoiseFunc func(dst *tensor.Tensor)

// StepFunc is called after every sampler step with the step index, the
// current state and the denoised prediction (ComfyUI's callback).
type StepFunc func(i int, x, denoised *tensor.Tensor)

// Run is everything a sampler sees, like k-diffusion's (model, x, sigmas,
// extra_args, callback, noise_sampler).
type Run struct {
	Ctx      context.Context
	Denoise  DenoiseFunc
	Noise    NoiseFunc
	Sampling ModelSampling
	Callback StepFunc

	scratch []*tensor.Tensor
	shape   []int
}

// Scratch returns the n-th scratch tensor of x's shape, allocated once per
// run so that steps after the first allocate nothing.
func (r *Run) Scratch(n int, like *tensor.Tensor) *tensor.Tensor {
	if !tensor.EqualShape(r.shape, like.Shape) {
		r.scratch = nil
		r.shape = append([]int(nil), like.Shape...)
	}
	for len(r.scratch) <= n {
		r.scratch = append(r.scratch, tensor.New(like.Shape...))
	}
	return r.scratch[n]
}

// Step reports step i and checks for cancellation.
func (r *Run) Step(i int, x, denoised *tensor.Tensor) error {
	if r.Callback != nil {
		r.Callback(i, x, denoised)
	}
	if r.Ctx != nil {
		return r.Ctx.Err()
	}
	return nil
}

// SamplerFunc runs one sampler over sigmas, starting from x (already noise
// scaled), and returns the final state (which may be x itself).
type SamplerFunc func(r *Run, x *tensor.Tensor, sigmas []float32) (*tensor.Tensor, error)

var (
	samplersMu sync.RWMutex
	samplers   = map[string]SamplerFunc{}
)

// RegisterSampler adds a sampler by ComfyUI name; called from init.
func RegisterSampler(name string, fn SamplerFunc) {
	samplersMu.Lock()
	defer samplersMu.Unlock()
	if _, dup := samplers[name]; dup {
		panic("sampling: sampler registered twice: " + name)
	}
	samplers[name] = fn
}

// LookupSampler returns a sampler by name.
func LookupSampler(name string) (SamplerFunc, error) {
	samplersMu.RLock()
	defer samplersMu.RUnlock()
	fn, ok := samplers[name]
	if !ok {
		return nil, fmt.Errorf("unknown sampler %q", name)
	}
	return fn, nil
}

// RegisteredSamplers lists registered sampler names, sorted.
func RegisteredSamplers() []string {
	samplersMu.RLock()
	defer samplersMu.RUnlock()
	out := make([]string, 0, len(samplers))
	for n := range samplers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
