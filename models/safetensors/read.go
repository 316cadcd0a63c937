package safetensors

import (
	"io"
	"os"
)

// mapping is the data section of an open file.
type mapping struct {
	data    []byte
	unmap   func() error
	release func(lo, hi int64)
}

// readSection is the fallback when mapping fails: the data section is read
// into memory once.
func readSection(f *os.File, off, n int64) (mapping, error) {
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return mapping{}, err
	}
	return mapping{data: buf, unmap: func() error { return nil }}, nil
}
