package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"comfyd/tensor"
)

// Write writes tensors as F32 (or F16 when half is set) in sorted
// name order with the header space-padded to 8 bytes, like the reference
// writer.
func Write(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string, half bool) error {
	names := make([]string, 0, len(tensors))
	for k := range tensors {
		if k == "__metadata__" {
			return fmt.Errorf("safetensors: %q is reserved", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	dtype, size := F32, 4
	if half {
		dtype, size = F16, 2
	}
	hdr := map[string]any{}
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var off int64
	for _, k := range names {
		t := tensors[k]
		n := int64(len(t.Data) * size)
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[k] = map[string]any{"dtype": dtype, "shape": shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte{' '}, pad)...)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for _, k := range names {
		data := tensors[k].Data
		buf := make([]byte, len(data)*size)
		for i, v := range data {
			if half {
				binary.LittleEndian.PutUint16(buf[2*i:], Float32ToHalf(v))
			} else {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
