//go:build !unix

package safetensors

import "os"

func mapFile(f *os.File, off, n int64) ([]byte, func() error, error) {
	return readSection(f, off, n)
}
