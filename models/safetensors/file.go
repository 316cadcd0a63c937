package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"comfyd/tensor"
)

// File is an open safetensors file. Its data is memory-mapped read-only
// where the platform allows (so a multi-GB checkpoint is paged in on
// demand and never held twice), otherwise read into memory.
type File struct {
	Header
	data  []byte // the data section
	unmap func() error
	// release drops the pages of data[lo:hi] from the process's resident
	// set (nil when the data is not mapped).
	release func(lo, hi int64)
}

// Open opens and validates path.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header length: %w", path, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize || int64(n) > size-8 {
		_, err := ParseHeader(lenBuf[:], size)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	prefix := make([]byte, 8+n)
	copy(prefix, lenBuf[:])
	if _, err := io.ReadFull(f, prefix[8:]); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header: %w", path, err)
	}
	h, err := ParseHeader(prefix, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := mapFile(f, h.DataOffset, size-h.DataOffset)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return &File{Header: *h, data: m.data, unmap: m.unmap, release: m.release}, nil
}

// Parse reads a whole file held in memory (not copied).
func Parse(buf []byte) (*File, error) {
	h, err := ParseHeader(buf, int64(len(buf)))
	if err != nil {
		return nil, err
	}
	return &File{Header: *h, data: buf[h.DataOffset:]}, nil
}

// Close releases the mapping; tensors already converted stay valid.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	u := f.unmap
	f.unmap, f.data = nil, nil
	return u()
}

// Release tells the OS that name's bytes will not be read again, so a
// mapped file's pages leave the resident set once converted (the page
// cache keeps them while memory allows). A no-op for unmapped data.
func (f *File) Release(name string) {
	if info, ok := f.Tensors[name]; ok && f.release != nil && f.data != nil {
		f.release(info.Begin, info.End)
	}
}

// Has reports whether the file holds name.
func (f *File) Has(name string) bool { _, ok := f.Tensors[name]; return ok }

// Raw returns the bytes of a tensor (aliasing the mapping).
func (f *File) Raw(name string) (Info, []byte, error) {
	info, ok := f.Tensors[name]
	if !ok {
		return Info{}, nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	if f.data == nil && info.End > 0 {
		return Info{}, nil, errors.New("safetensors: file is closed")
	}
	return info, f.data[info.Begin:info.End], nil
}

// Float32 converts a floating-point or integer tensor to a float32 tensor.
func (f *File) Float32(name string) (*tensor.Tensor, error) {
	info, raw, err := f.Raw(name)
	if err != nil {
		return nil, err
	}
	out := tensor.New(info.Shape...)
	if err := Decode(out.Data, info.DType, raw); err != nil {
		return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	return out, nil
}

// Int64 returns an integer tensor's values.
func (f *File) Int64(name string) ([]int64, []int, error) {
	info, raw, err := f.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int64, info.Numel())
	switch info.DType {
	case I64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	default:
		return nil, nil, fmt.Errorf("safetensors: tensor %q is %s, not an integer type", name, info.DType)
	}
	return out, info.Shape, nil
}

// Shapes maps every tensor name to its shape (what model detection reads).
func (f *File) Shapes() map[string][]int {
	out := make(map[string][]int, len(f.Tensors))
	for k, v := range f.Tensors {
		out[k] = v.Shape
	}
	return out
}

// SortedInfos lists the tensors in file order.
func (f *File) SortedInfos() []Info {
	out := make([]Info, 0, len(f.Tensors))
	for _, v := range f.Tensors {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Begin < out[j].Begin })
	return out
}
