// Package tensor is comfyd's small float32 N-d array: a shape and contiguous
// row-major (C order) data. It is deliberately minimal; numeric kernels that
// need speed live beside it and take destination buffers.
package tensor

import (
	"fmt"
	"slices"
	"strings"
)

// Tensor is a dense float32 array in C order. Image tensors follow ComfyUI's
// layouts: latents are [B,C,H,W], images [B,H,W,C] with values in [0,1],
// masks [B,H,W].
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zeroed tensor of the given shape. It panics on a negative
// dimension: shapes come from validated code, never straight from users.
func New(shape ...int) *Tensor {
	n := Numel(shape)
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// FromData wraps data (not copied) with shape. It panics when the sizes
// disagree, which is a programming error.
func FromData(data []float32, shape ...int) *Tensor {
	if Numel(shape) != len(data) {
		panic(fmt.Sprintf("tensor: %d values for shape %v", len(data), shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// Numel is the number of elements of a shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in %v", shape))
		}
		n *= d
	}
	return n
}

// Numel is the number of elements.
func (t *Tensor) Numel() int { return len(t.Data) }

// Dim returns dimension i; negative i counts from the end like Python.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	if t == nil {
		return nil
	}
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return EqualShape(a.Shape, b.Shape) }

// EqualShape reports whether two shapes are identical.
func EqualShape(a, b []int) bool { return slices.Equal(a, b) }

// Row returns the i-th slice along the first dimension (shares memory).
func (t *Tensor) Row(i int) *Tensor {
	per := Numel(t.Shape[1:])
	return &Tensor{Shape: append([]int(nil), t.Shape[1:]...), Data: t.Data[i*per : (i+1)*per]}
}

// IsZero reports whether every element is zero (ComfyUI's "empty latent").
func (t *Tensor) IsZero() bool {
	for _, v := range t.Data {
		if v != 0 {
			return false
		}
	}
	return true
}

// String describes the tensor's shape, for errors and logs.
func (t *Tensor) String() string {
	if t == nil {
		return "tensor(nil)"
	}
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = fmt.Sprint(d)
	}
	return "tensor[" + strings.Join(parts, ",") + "]"
}
