package safetensors

import (
	"io"
	"os"
)

// readSection is the fallback when mapping fails: the data section is read
// into memory once.
func readSection(f *os.File, off, n int64) ([]byte, func() error, error) {
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, nil, err
	}
	return buf, func() error { return nil }, nil
}
