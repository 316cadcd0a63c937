package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"comfyd/tensor"
)

func goldenDir(t testing.TB) string {
	if d := os.Getenv("COMFYD_SD1_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "golden", "sd1")
}

func TestOpenGoldenFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir(t), "*.safetensors"))
	if len(files) == 0 {
		t.Fatal("no safetensors fixtures found")
	}
	for _, p := range files {
		f, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, name := range f.Names() {
			info := f.Tensors[name]
			if info.DType == I64 {
				if _, _, err := f.Int64(name); err != nil {
					t.Errorf("%s %s: %v", p, name, err)
				}
				continue
			}
			if _, err := f.Float32(name); err != nil {
				t.Errorf("%s %s: %v", p, name, err)
			}
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestCheckpointMetadataAndPositionIDs(t *testing.T) {
	f, err := Open(filepath.Join(goldenDir(t), "tiny_sd1_checkpoint.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Tensors) != 385 {
		t.Errorf("%d tensors, want 385", len(f.Tensors))
	}
	if f.Metadata["format"] == "" || f.Metadata["generator"] == "" {
		t.Errorf("metadata %v lacks format/generator", f.Metadata)
	}
	ids, shape, err := f.Int64("cond_stage_model.transformer.text_model.embeddings.position_ids")
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(shape, []int{1, 77}) || ids[0] != 0 || ids[76] != 76 {
		t.Errorf("position_ids %v %v...", shape, ids[:3])
	}
	w, err := f.Float32("model.diffusion_model.out.2.weight")
	if err != nil {
		t.Fatal(err)
	}
	if f.Tensors["model.diffusion_model.out.2.weight"].DType != F16 || w.Numel() == 0 {
		t.Errorf("want F16 weights")
	}
}

func TestRoundTrip(t *testing.T) {
	in := map[string]*tensor.Tensor{
		"a":     tensor.FromData([]float32{1, -2.5, 3e-5, 65504}, 2, 2),
		"b.c":   tensor.FromData([]float32{0.1}, 1),
		"empty": tensor.New(0, 3),
	}
	for _, half := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, in, map[string]string{"k": "v"}, half); err != nil {
			t.Fatal(err)
		}
		if (binary.LittleEndian.Uint64(buf.Bytes())+8)%8 != 0 {
			t.Error("header not padded to 8 bytes")
		}
		f, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if f.Metadata["k"] != "v" {
			t.Errorf("metadata %v", f.Metadata)
		}
		for name, want := range in {
			got, err := f.Float32(name)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(got, want) {
				t.Fatalf("%s shape %v want %v", name, got.Shape, want.Shape)
			}
			for i := range want.Data {
				w := want.Data[i]
				if half {
					w = HalfToFloat32(Float32ToHalf(w))
				}
				if got.Data[i] != w {
					t.Errorf("%s[%d] = %v want %v (half %v)", name, i, got.Data[i], w, half)
				}
			}
		}
	}
}

func TestHalfConversionExhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := Float32ToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, back)
		}
	}
	cases := []struct {
		in   float32
		want uint16
	}{{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, {5.960464477539063e-08, 0x0001}, {1.0 + 1.0/2048, 0x3c00}, {1.0 + 3.0/2048, 0x3c02}}
	for _, c := range cases {
		if got := Float32ToHalf(c.in); got != c.want {
			t.Errorf("Float32ToHalf(%v) = %#04x want %#04x", c.in, got, c.want)
		}
	}
}

func header(js string, data int) []byte {
	b := make([]byte, 8, 8+len(js)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(js)))
	b = append(b, js...)
	return append(b, make([]byte, data)...)
}

func TestHostileHeaders(t *testing.T) {
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	cases := []struct {
		name, want string
		file       []byte
	}{
		{"short", "shorter", []byte{1, 2}},
		{"huge header length", "limit", huge},
		{"header past end", "past the end", header(`{}`, 0)[:9]},
		{"not json", "JSON", header(`{"a":`, 0)},
		{"not object", "not a JSON object", header(`[]`, 0)},
		{"unknown dtype", "unknown dtype", header(`{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}`, 4)},
		{"offsets past data", "outside", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4)},
		{"reversed offsets", "outside", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, 4)},
		{"size mismatch", "needs", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4)},
		{"negative dim", "out of range", header(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4)},
		{"overflowing shape", "does not fit", header(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}`, 4)},
		{"zero dim hides giant", "out of range", header(`{"a":{"dtype":"F32","shape":[0,9223372036854775807],"data_offsets":[0,0]}}`, 0)},
		{"overlap", "overlap", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)},
		{"bad metadata", "__metadata__", header(`{"__metadata__":{"a":1}}`, 0)},
		{"extra field", "unknown field", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4)},
		{"three offsets", "2 entries", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}`, 4)},
		{"rank", "rank", header(`{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}`, 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestOpenRejectsHostileFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.safetensors")
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	if err := os.WriteFile(p, huge, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); err == nil {
		t.Fatal("want an error for a 1 TB header claim")
	}
}

func TestMissingTensorAndClosedFile(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, map[string]*tensor.Tensor{"a": tensor.New(2)}, nil, false); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "x.safetensors")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Float32("nope"); err == nil {
		t.Error("want error for a missing tensor")
	}
	if _, _, err := f.Int64("a"); err == nil {
		t.Error("want error reading F32 as integers")
	}
	f.Close()
	if _, err := f.Float32("a"); err == nil {
		t.Error("want error after Close")
	}
}

func TestDecodeParallelMatchesSerial(t *testing.T) {
	n := parallelDecodeMin + 77
	for _, dt := range []DType{F16, BF16, F32} {
		raw := make([]byte, n*dt.Size())
		for i := range raw {
			raw[i] = byte(i*131 + i>>9)
		}
		got := make([]float32, n)
		want := make([]float32, n)
		if err := Decode(got, dt, raw); err != nil {
			t.Fatal(err)
		}
		if err := decode(want, dt, raw); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s element %d: %v vs %v", dt, i, got[i], want[i])
			}
		}
		if dt == F16 {
			for i := range n {
				h := uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
				if math.Float32bits(got[i]) != math.Float32bits(HalfToFloat32(h)) {
					t.Fatalf("table lookup differs at %d", i)
				}
			}
		}
	}
}
