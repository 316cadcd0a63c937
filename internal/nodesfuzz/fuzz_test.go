package nodesfuzz

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"comfyd/nodes"
)

func seedImages(tb testing.TB) [][]byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var p, j, g bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		tb.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		tb.Fatal(err)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), append(palette.Plan9[:16:16], color.Transparent))
	if err := gif.EncodeAll(&g, &gif.GIF{Image: []*image.Paletted{pal, pal}, Delay: []int{0, 0}}); err != nil {
		tb.Fatal(err)
	}
	meta, err := nodes.EncodePNG(img, []nodes.PNGText{{Key: "prompt", Value: `{"1": {}}`}, {Key: "workflow", Value: "é"}}, png.BestSpeed)
	if err != nil {
		tb.Fatal(err)
	}
	return [][]byte{p.Bytes(), j.Bytes(), g.Bytes(), meta, bomb(65535, 65535), bomb(0, 7), p.Bytes()[:40]}
}

// bomb is a PNG header declaring w x h RGBA pixels with almost no data.
func bomb(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

// FuzzDecodeImageFile: whatever an uploaded file holds, LoadImage's and
// LoadImageMask's decoders return an error or consistent tensors, never
// panic, and never build an image beyond the tensor limit.
func FuzzDecodeImageFile(f *testing.F) {
	for _, s := range seedImages(f) {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// Large declared sizes within the limit decode for real (hundreds
		// of MB each): keep the fuzzer on the parsers. The size guard
		// itself is exercised by the bomb seeds, which declare far more.
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<20 && cfg.Width*cfg.Height < 1<<28 {
			t.Skip("large image")
		}
		path := filepath.Join(dir, "in")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if img, err := nodes.DecodeImageFile(path); err == nil {
			s := img.Image.Shape
			if len(s) != 4 || s[0] < 1 || s[3] != 3 || len(img.Image.Data) != s[0]*s[1]*s[2]*3 {
				t.Fatalf("image shape %v with %d values", s, len(img.Image.Data))
			}
			if err := nodes.CheckTensorSize("image", s...); err != nil {
				t.Fatal(err)
			}
			if m := img.Mask.Shape; len(m) != 3 || m[0] != s[0] {
				t.Fatalf("mask shape %v for image %v", m, s)
			}
		}
		if m, err := nodes.DecodeMaskFile(path, "alpha"); err == nil {
			if len(m.Shape) != 3 || len(m.Data) != m.Shape[0]*m.Shape[1]*m.Shape[2] {
				t.Fatalf("mask shape %v with %d values", m.Shape, len(m.Data))
			}
		}
	})
}

// FuzzReadPNGText: the workflow-metadata reader never panics, and what it
// returns has keys.
func FuzzReadPNGText(f *testing.F) {
	for _, s := range seedImages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := nodes.ReadPNGText(data)
		if err != nil {
			return
		}
		for _, tx := range texts {
			if tx.Key == "" {
				t.Fatalf("text chunk without a key: %+v", tx)
			}
		}
	})
}
