//go:build !unix

package safetensors

import "os"

func mapFile(f *os.File, off, n int64) (mapping, error) {
	return readSection(f, off, n)
}
