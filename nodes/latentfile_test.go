package nodes

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"comfyd/tensor"
)

func TestLatentFileRoundTrip(t *testing.T) {
	x := tensor.New(2, 4, 3, 5)
	for i := range x.Data {
		x.Data[i] = float32(i)*0.25 - 3
	}
	data, err := EncodeLatent(x, map[string]string{"prompt": `{"a": 1}`})
	if err != nil {
		t.Fatal(err)
	}
	hlen := binary.LittleEndian.Uint64(data)
	if hlen%8 != 0 {
		t.Errorf("header length %d not 8-aligned", hlen)
	}
	if !strings.HasPrefix(string(data[8:]), `{"__metadata__":{"prompt":"{\"a\": 1}"}`) {
		t.Errorf("header starts %q", data[8:60])
	}
	f, err := DecodeLatent(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Versioned || f.Metadata["prompt"] != `{"a": 1}` || !tensor.SameShape(f.Samples, x) {
		t.Fatalf("decoded %+v", f)
	}
	for i := range x.Data {
		if f.Samples.Data[i] != x.Data[i] {
			t.Fatalf("value %d: %v != %v", i, f.Samples.Data[i], x.Data[i])
		}
	}
}

// stFile builds a safetensors file from a header and data.
func stFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func TestLatentFileLegacyAndDtypes(t *testing.T) {
	// No version marker: values are divided by 0.18215 (times float32(1/0.18215)).
	f16 := []byte{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c} // 1, -2, 2^-24, +Inf
	file := stFile(`{"latent_tensor":{"dtype":"F16","shape":[1,1,1,4],"data_offsets":[0,8]}}`, f16)
	f, err := DecodeLatent(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	s := float32(1 / 0.18215)
	want := []float32{1 * s, -2 * s, float32(math.Ldexp(1, -24)) * s, float32(math.Inf(1))}
	for i, w := range want {
		if f.Samples.Data[i] != w {
			t.Errorf("value %d: %v, want %v", i, f.Samples.Data[i], w)
		}
	}
	bf := []byte{0x80, 0x3f} // 1.0
	file = stFile(`{"latent_format_version_0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"latent_tensor":{"dtype":"BF16","shape":[1,1,1,1],"data_offsets":[0,2]}}`, bf)
	if f, err = DecodeLatent(bytes.NewReader(file), int64(len(file))); err != nil || f.Samples.Data[0] != 1 {
		t.Fatalf("bf16: %v %v", f, err)
	}
}

func TestLatentFileRejectsHostileInput(t *testing.T) {
	lenOnly := binary.LittleEndian.AppendUint64(nil, 1<<60)
	cases := map[string][]byte{
		"too short":           []byte{1, 2, 3},
		"huge header length":  lenOnly,
		"header past the end": append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...),
		"not json":            stFile(`{"latent_tensor":`, nil),
		"no latent tensor":    stFile(`{"other":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"offsets past data":   stFile(`{"latent_tensor":{"dtype":"F32","shape":[1,1,1,1],"data_offsets":[0,8]}}`, make([]byte, 4)),
		"shape size mismatch": stFile(`{"latent_tensor":{"dtype":"F32","shape":[1,1,2,2],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"huge shape":          stFile(`{"latent_tensor":{"dtype":"F32","shape":[100000,100000,100000,4],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"overflowing shape":   stFile(`{"latent_tensor":{"dtype":"F32","shape":[4294967296,4294967296,1,1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"negative dimension":  stFile(`{"latent_tensor":{"dtype":"F32","shape":[-1,1,1,1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"reversed offsets":    stFile(`{"latent_tensor":{"dtype":"F32","shape":[1,1,1,1],"data_offsets":[4,0]}}`, make([]byte, 4)),
		"bad dtype":           stFile(`{"latent_tensor":{"dtype":"I8","shape":[1,1,1,1],"data_offsets":[0,1]}}`, make([]byte, 1)),
		"3-d latent":          stFile(`{"latent_tensor":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"bad metadata":        stFile(`{"__metadata__":{"a":1},"latent_tensor":{"dtype":"F32","shape":[1,1,1,1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		"one offset":          stFile(`{"latent_tensor":{"dtype":"F32","shape":[1,1,1,1],"data_offsets":[0]}}`, make([]byte, 4)),
	}
	for name, data := range cases {
		if _, err := DecodeLatent(bytes.NewReader(data), int64(len(data))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeLatent(f *testing.F) {
	x := tensor.New(1, 4, 2, 2)
	good, _ := EncodeLatent(x, map[string]string{"prompt": "{}"})
	f.Add(good)
	f.Add(stFile(`{"latent_tensor":{"dtype":"F16","shape":[1,1,1,1],"data_offsets":[0,2]}}`, []byte{0, 0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := DecodeLatent(bytes.NewReader(data), int64(len(data)))
		if err == nil && int64(len(lf.Samples.Data))*4 > int64(len(data))*4 {
			t.Fatalf("decoded more values than the file holds")
		}
	})
}
