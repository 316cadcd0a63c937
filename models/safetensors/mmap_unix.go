//go:build unix

package safetensors

import (
	"os"
	"syscall"
)

// mapFile maps [off, off+n) of f read-only. mmap needs a page-aligned
// offset, so the whole file is mapped and the data section sliced out.
func mapFile(f *os.File, off, n int64) ([]byte, func() error, error) {
	if n == 0 {
		return nil, func() error { return nil }, nil
	}
	total := off + n
	if int64(int(total)) != total {
		return nil, nil, syscall.EFBIG
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(total), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readSection(f, off, n)
	}
	return m[off:total], func() error { return syscall.Munmap(m) }, nil
}
