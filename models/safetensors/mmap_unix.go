//go:build unix

package safetensors

import (
	"os"
	"syscall"
)

// mapFile maps [off, off+n) of f read-only. mmap needs a page-aligned
// offset, so the whole file is mapped and the data section sliced out.
func mapFile(f *os.File, off, n int64) (mapping, error) {
	if n == 0 {
		return mapping{unmap: func() error { return nil }}, nil
	}
	total := off + n
	if int64(int(total)) != total {
		return mapping{}, syscall.EFBIG
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(total), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readSection(f, off, n)
	}
	page := int64(os.Getpagesize())
	release := func(lo, hi int64) {
		// Whole pages inside [off+lo, off+hi) only: neighbours may
		// still be needed.
		a := (off + lo + page - 1) / page * page
		b := (off + hi) / page * page
		if b > a {
			syscall.Madvise(m[a:b], syscall.MADV_DONTNEED)
		}
	}
	return mapping{data: m[off:total], unmap: func() error { return syscall.Munmap(m) }, release: release}, nil
}
