package safetensors

import "testing"

// FuzzHeader feeds arbitrary files to the parser: it must return an error
// or a header whose every tensor decodes, never panic.
func FuzzHeader(f *testing.F) {
	f.Add(header(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}`, 4))
	f.Add(header(`{"a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}`, 0))
	f.Add(header(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for name, info := range file.Tensors {
			if info.Numel() > 1<<20 {
				continue
			}
			if _, err := file.Float32(name); err != nil {
				t.Fatalf("validated tensor %q does not decode: %v", name, err)
			}
		}
	})
}
