package sd1

import (
	"fmt"

	"comfyd/models/safetensors"
	"comfyd/tensor"
)

// Source is where weights come from: a safetensors file, or (in tests) a
// map of tensors.
type Source interface {
	Shape(name string) ([]int, bool)
	Float32(name string) (*tensor.Tensor, error)
}

// FileSource adapts an open safetensors file.
type FileSource struct{ File *safetensors.File }

func (s FileSource) Shape(name string) ([]int, bool) {
	i, ok := s.File.Tensors[name]
	return i.Shape, ok
}

func (s FileSource) Float32(name string) (*tensor.Tensor, error) { return s.File.Float32(name) }

// Float32Into converts a tensor into dst (grown as needed) without a
// fresh allocation per tensor.
func (s FileSource) Float32Into(name string, dst []float32) ([]float32, []int, error) {
	info, raw, err := s.File.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	n := info.Numel()
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if err := safetensors.Decode(dst, info.DType, raw); err != nil {
		return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	return dst, info.Shape, nil
}

// Release drops a converted tensor's file pages from the resident set.
func (s FileSource) Release(name string) { s.File.Release(name) }

// releaser is a Source whose converted tensors can be released.
type releaser interface{ Release(name string) }

// intoSource is a Source that can convert into a reused buffer.
type intoSource interface {
	Float32Into(name string, dst []float32) ([]float32, []int, error)
}

// MapSource serves tensors from memory.
type MapSource map[string]*tensor.Tensor

func (m MapSource) Shape(name string) ([]int, bool) {
	t, ok := m[name]
	if !ok {
		return nil, false
	}
	return t.Shape, true
}

func (m MapSource) Float32(name string) (*tensor.Tensor, error) {
	t, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("missing tensor %q", name)
	}
	return t, nil
}

// loader reads weights under a key prefix and keeps the first error, so
// model constructors read as a list of layers.
type loader struct {
	src    Source
	prefix string
	err    *error
	// progress, if set, is called with the element count of every tensor
	// read.
	progress func(n int)
	// scratch is reused for weights that are packed right away, so that
	// loading does not leave a garbage copy of every weight behind.
	scratch *[]float32
}

func newLoader(src Source, prefix string, progress func(int)) *loader {
	var err error
	return &loader{src: src, prefix: prefix, err: &err, progress: progress, scratch: new([]float32)}
}

func (l *loader) fail(err error) {
	if *l.err == nil {
		*l.err = err
	}
}

// get reads prefix+name and checks its element count (shapes differ in
// harmless ways, e.g. 1×1 conv weights stored as [o,i] or [o,i,1,1]).
func (l *loader) get(name string, shape ...int) []float32 {
	if *l.err != nil {
		return nil
	}
	key := l.prefix + name
	t, err := l.src.Float32(key)
	if err != nil {
		l.fail(fmt.Errorf("checkpoint tensor %s: %w", key, err))
		return nil
	}
	if t.Numel() != tensor.Numel(shape) {
		l.fail(fmt.Errorf("checkpoint tensor %s has shape %v, want %v", key, t.Shape, shape))
		return nil
	}
	if l.progress != nil {
		l.progress(t.Numel())
	}
	if r, ok := l.src.(releaser); ok {
		r.Release(key)
	}
	return t.Data
}

// getTransient is get for weights that are consumed (packed) before the
// next call: the result may alias a buffer reused by later calls.
func (l *loader) getTransient(name string, shape ...int) []float32 {
	is, ok := l.src.(intoSource)
	if !ok {
		return l.get(name, shape...)
	}
	if *l.err != nil {
		return nil
	}
	key := l.prefix + name
	data, got, err := is.Float32Into(key, *l.scratch)
	if err != nil {
		l.fail(fmt.Errorf("checkpoint tensor %s: %w", key, err))
		return nil
	}
	*l.scratch = data
	if len(data) != tensor.Numel(shape) {
		l.fail(fmt.Errorf("checkpoint tensor %s has shape %v, want %v", key, got, shape))
		return nil
	}
	if l.progress != nil {
		l.progress(len(data))
	}
	if r, ok := l.src.(releaser); ok {
		r.Release(key)
	}
	return data
}

func (l *loader) has(name string) bool {
	_, ok := l.src.Shape(l.prefix + name)
	return ok
}

func (l *loader) shape(name string) []int {
	s, _ := l.src.Shape(l.prefix + name)
	return s
}
