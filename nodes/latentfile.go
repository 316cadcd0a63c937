package nodes

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"comfyd/tensor"
)

// ComfyUI's .latent files are safetensors files with the latent under
// "latent_tensor" and an empty "latent_format_version_0" marker; files
// without the marker predate it and hold latents multiplied by 0.18215.
const (
	latentTensorKey  = "latent_tensor"
	latentVersionKey = "latent_format_version_0"
	// maxSafetensorsHeader is the safetensors format's own header limit.
	maxSafetensorsHeader = 100_000_000
)

// legacyLatentScale is 1/0.18215 rounded to float32, as torch applies the
// Python float to a float32 tensor.
var legacyLatentScale = float32(1.0 / 0.18215)

// WriteLatentFile writes samples as a ComfyUI .latent file. metadata (may
// be nil) becomes the safetensors "__metadata__" (string values).
func WriteLatentFile(path string, samples *tensor.Tensor, metadata map[string]string) error {
	data, err := EncodeLatent(samples, metadata)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// EncodeLatent returns the bytes of a .latent file.
func EncodeLatent(samples *tensor.Tensor, metadata map[string]string) ([]byte, error) {
	if samples == nil {
		return nil, fmt.Errorf("no latent to save")
	}
	n := len(samples.Data) * 4
	type entry struct {
		Dtype       string `json:"dtype"`
		Shape       []int  `json:"shape"`
		DataOffsets [2]int `json:"data_offsets"`
	}
	// Written by hand so that __metadata__ comes first, as the reference
	// library does; tensor entries are sorted by name.
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		hdr.WriteString(`"__metadata__":`)
		hdr.Write(m)
		hdr.WriteByte(',')
	}
	shape := samples.Shape
	if shape == nil {
		shape = []int{}
	}
	v, _ := json.Marshal(entry{"F32", []int{0}, [2]int{n, n}})
	l, _ := json.Marshal(entry{"F32", shape, [2]int{0, n}})
	fmt.Fprintf(&hdr, `"%s":%s,"%s":%s}`, latentVersionKey, v, latentTensorKey, l)
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	out := make([]byte, 8, 8+hdr.Len()+n)
	binary.LittleEndian.PutUint64(out, uint64(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	for _, f := range samples.Data {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(f))
	}
	return out, nil
}

// LatentFile is a decoded .latent file.
type LatentFile struct {
	Samples  *tensor.Tensor
	Metadata map[string]string
	// Versioned reports the latent_format_version_0 marker; without it the
	// samples have already been divided by 0.18215 as ComfyUI does.
	Versioned bool
}

// ReadLatentFile loads a .latent file as ComfyUI's LoadLatent does. The file
// is validated before anything large is allocated: a malformed or hostile
// file is an error, never a panic or an oversized allocation.
func ReadLatentFile(path string) (*LatentFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return DecodeLatent(f, st.Size())
}

type stEntry struct {
	Dtype       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

var dtypeSize = map[string]int64{"F32": 4, "F16": 2, "BF16": 2, "F64": 8}

// DecodeLatent reads a .latent file of the given size from r.
func DecodeLatent(r io.ReaderAt, size int64) (*LatentFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid latent file: "+format, args...)
	}
	if size < 8 {
		return nil, bad("only %d bytes", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, err
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen == 0 || hlen > maxSafetensorsHeader || int64(hlen) > size-8 {
		return nil, bad("header length %d does not fit a file of %d bytes", hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, bad("header is not a JSON object: %v", err)
	}
	out := &LatentFile{}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &out.Metadata); err != nil {
			return nil, bad("__metadata__ must map strings to strings")
		}
	}
	dataStart := 8 + int64(hlen)
	dataLen := size - dataStart
	entries := map[string]stEntry{}
	names := make([]string, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, bad("tensor %q: %v", name, err)
		}
		es, ok := dtypeSize[e.Dtype]
		if !ok {
			return nil, bad("tensor %q has unsupported dtype %q", name, e.Dtype)
		}
		if len(e.DataOffsets) != 2 || e.DataOffsets[0] < 0 || e.DataOffsets[1] < e.DataOffsets[0] || e.DataOffsets[1] > dataLen {
			return nil, bad("tensor %q has data offsets %v outside %d data bytes", name, e.DataOffsets, dataLen)
		}
		if len(e.Shape) > 8 {
			return nil, bad("tensor %q has %d dimensions", name, len(e.Shape))
		}
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > math.MaxInt32 {
				return nil, bad("tensor %q has dimension %d", name, d)
			}
			shape[i] = int(d)
		}
		if err := CheckTensorSize(fmt.Sprintf("tensor %q", name), shape...); err != nil {
			return nil, bad("%v", err)
		}
		if int64(tensor.Numel(shape))*es != e.DataOffsets[1]-e.DataOffsets[0] {
			return nil, bad("tensor %q: shape %v of %s needs %d bytes, offsets give %d", name, shape, e.Dtype,
				int64(tensor.Numel(shape))*es, e.DataOffsets[1]-e.DataOffsets[0])
		}
		entries[name] = e
		names = append(names, name)
	}
	sort.Strings(names)
	e, ok := entries[latentTensorKey]
	if !ok {
		return nil, bad("no %q tensor (has %v)", latentTensorKey, names)
	}
	if len(e.Shape) != 4 {
		return nil, bad("latent_tensor has shape %v; comfyd supports 4-D image latents [B,C,H,W]", e.Shape)
	}
	_, out.Versioned = entries[latentVersionKey]
	shape := []int{int(e.Shape[0]), int(e.Shape[1]), int(e.Shape[2]), int(e.Shape[3])}
	buf := make([]byte, e.DataOffsets[1]-e.DataOffsets[0])
	if _, err := r.ReadAt(buf, dataStart+e.DataOffsets[0]); err != nil {
		return nil, fmt.Errorf("invalid latent file: reading latent_tensor: %w", err)
	}
	t := tensor.New(shape...)
	decodeFloats(t.Data, buf, e.Dtype)
	if !out.Versioned {
		for i := range t.Data {
			t.Data[i] *= legacyLatentScale
		}
	}
	out.Samples = t
	return out, nil
}

// decodeFloats converts little-endian values of dtype to float32 (torch's
// .float()).
func decodeFloats(dst []float32, src []byte, dtype string) {
	switch dtype {
	case "F32":
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case "F64":
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case "BF16":
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
	case "F16":
		for i := range dst {
			dst[i] = halfToFloat(binary.LittleEndian.Uint16(src[2*i:]))
		}
	}
}

// halfToFloat converts an IEEE 754 binary16 value exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant * 2^-24
		v := float32(mant) * float32(1.0/(1<<24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}
