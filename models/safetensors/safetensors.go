// Package safetensors reads and writes the safetensors format: a
// little-endian u64 header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets}, then the raw little-endian data.
//
// Files come from users, so the reader treats every header as hostile: the
// header size is capped, offsets must lie inside the data and agree with
// dtype and shape, tensors may not overlap, and all arithmetic is checked
// for overflow. A bad file yields an error, never a panic or an allocation
// sized by the file's claims.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"comfyd/tensor"
)

// MaxHeaderSize caps the JSON header (the reference implementation uses the
// same 100 MB limit).
const MaxHeaderSize = 100 << 20

// maxDim bounds a single dimension, so that shapes with a zero dimension
// cannot smuggle absurd sizes into later arithmetic.
const maxDim = 1 << 40

// maxRank bounds a tensor's number of dimensions.
const maxRank = 16

// DType is a safetensors element type name ("F32", "F16", ...).
type DType string

// Element types the reader understands.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size is the element size in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// Info describes one tensor of a file.
type Info struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End are byte offsets into the data section.
	Begin, End int64
}

// Numel is the number of elements.
func (i Info) Numel() int { return tensor.Numel(i.Shape) }

// Header is a parsed, validated header.
type Header struct {
	Tensors  map[string]Info
	Metadata map[string]string
	// DataOffset is where the data section starts in the file.
	DataOffset int64
}

// Names lists the tensor names, sorted.
func (h *Header) Names() []string {
	out := make([]string, 0, len(h.Tensors))
	for k := range h.Tensors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type rawInfo struct {
	DType       DType   `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ParseHeader validates the first bytes of a file: prefix holds at least the
// 8-byte length and the JSON header; fileSize is the whole file's size.
func ParseHeader(prefix []byte, fileSize int64) (*Header, error) {
	if len(prefix) < 8 || fileSize < 8 {
		return nil, errors.New("safetensors: file shorter than the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(prefix[:8])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if int64(n) > fileSize-8 {
		return nil, fmt.Errorf("safetensors: header length %d runs past the end of the %d-byte file", n, fileSize)
	}
	if uint64(len(prefix)-8) < n {
		return nil, fmt.Errorf("safetensors: need %d header bytes, have %d", n, len(prefix)-8)
	}
	js := prefix[8 : 8+n]
	if len(js) == 0 || js[0] != '{' {
		return nil, errors.New("safetensors: header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("safetensors: header JSON: %w", err)
	}
	h := &Header{Tensors: make(map[string]Info, len(raw)), DataOffset: 8 + int64(n)}
	dataSize := fileSize - h.DataOffset
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &h.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var ri rawInfo
		dec := json.NewDecoder(strings.NewReader(string(msg)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ri); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		info, err := validate(name, ri, dataSize)
		if err != nil {
			return nil, err
		}
		h.Tensors[name] = info
	}
	if err := checkOverlap(h.Tensors); err != nil {
		return nil, err
	}
	return h, nil
}

func validate(name string, ri rawInfo, dataSize int64) (Info, error) {
	size := ri.DType.Size()
	if size == 0 {
		return Info{}, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, ri.DType)
	}
	if len(ri.Shape) > maxRank {
		return Info{}, fmt.Errorf("safetensors: tensor %q: rank %d exceeds %d", name, len(ri.Shape), maxRank)
	}
	if len(ri.DataOffsets) != 2 {
		return Info{}, fmt.Errorf("safetensors: tensor %q: data_offsets must have 2 entries", name)
	}
	begin, end := ri.DataOffsets[0], ri.DataOffsets[1]
	if begin < 0 || end < begin || end > dataSize {
		return Info{}, fmt.Errorf("safetensors: tensor %q: data_offsets [%d,%d] outside the %d data bytes", name, begin, end, dataSize)
	}
	shape := make([]int, len(ri.Shape))
	numel := int64(1)
	for i, d := range ri.Shape {
		if d < 0 || d > maxDim {
			return Info{}, fmt.Errorf("safetensors: tensor %q: dimension out of range in %v", name, ri.Shape)
		}
		// Bound the product by the byte span before multiplying, so no
		// overflow is possible.
		if d != 0 && numel > (end-begin)/d+1 {
			return Info{}, fmt.Errorf("safetensors: tensor %q: shape %v does not fit its %d bytes", name, ri.Shape, end-begin)
		}
		numel *= d
		shape[i] = int(d)
	}
	if numel > math.MaxInt64/int64(size) || numel*int64(size) != end-begin {
		return Info{}, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, offsets give %d", name, ri.Shape, ri.DType, numel*int64(size), end-begin)
	}
	return Info{Name: name, DType: ri.DType, Shape: shape, Begin: begin, End: end}, nil
}

func checkOverlap(ts map[string]Info) error {
	list := make([]Info, 0, len(ts))
	for _, t := range ts {
		if t.End > t.Begin {
			list = append(list, t)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Begin < list[j].Begin })
	for i := 1; i < len(list); i++ {
		if list[i].Begin < list[i-1].End {
			return fmt.Errorf("safetensors: tensors %q and %q overlap", list[i-1].Name, list[i].Name)
		}
	}
	return nil
}
