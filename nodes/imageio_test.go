package nodes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"comfyd/tensor"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func encodePNG(t *testing.T, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeImageFileAlphaAndMask(t *testing.T) {
	dir := t.TempDir()
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	rgba.Pix = []uint8{255, 0, 51, 255, 10, 20, 30, 0}
	li, err := DecodeImageFile(writeFile(t, dir, "a.png", encodePNG(t, rgba)))
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(li.Image.Shape, []int{1, 1, 2, 3}) || !tensor.EqualShape(li.Mask.Shape, []int{1, 1, 2}) {
		t.Fatalf("shapes %v %v", li.Image.Shape, li.Mask.Shape)
	}
	// RGB is kept under a transparent pixel (convert("RGB") does not premultiply).
	want := []float32{1, 0, 0.2, 10.0 / 255, 20.0 / 255, 30.0 / 255}
	for i, w := range want {
		if li.Image.Data[i] != w {
			t.Errorf("pixel value %d = %v, want %v", i, li.Image.Data[i], w)
		}
	}
	if li.Mask.Data[0] != 0 || li.Mask.Data[1] != 1 {
		t.Errorf("mask %v, want 1 - alpha", li.Mask.Data)
	}
	// An opaque RGB PNG has no alpha band: a 64x64 zero mask.
	rgb := image.NewRGBA(image.Rect(0, 0, 3, 3))
	for i := range rgb.Pix {
		rgb.Pix[i] = 255
	}
	li, err = DecodeImageFile(writeFile(t, dir, "b.png", encodePNG(t, rgb)))
	if err != nil || !tensor.EqualShape(li.Mask.Shape, []int{1, 64, 64}) || !li.Mask.IsZero() {
		t.Fatalf("opaque png: %v %v", li, err)
	}
	// A palette PNG with a transparent entry gets a mask.
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{255, 255, 255, 255}})
	pal.Pix = []uint8{0, 1}
	li, err = DecodeImageFile(writeFile(t, dir, "c.png", encodePNG(t, pal)))
	if err != nil || li.Mask.Data[0] != 1 || li.Mask.Data[1] != 0 {
		t.Fatalf("palette png mask: %v %v", li, err)
	}
	// LoadImageMask channels.
	p := writeFile(t, dir, "a2.png", encodePNG(t, rgba))
	for ch, w := range map[string][2]float32{"alpha": {0, 1}, "red": {1, 10.0 / 255}, "blue": {0.2, 30.0 / 255}} {
		m, err := DecodeMaskFile(p, ch)
		if err != nil || m.Data[0] != w[0] || m.Data[1] != w[1] {
			t.Errorf("mask channel %s: %v %v, want %v", ch, m, err, w)
		}
	}
	if _, err := DecodeMaskFile(p, "purple"); err == nil {
		t.Error("unknown channel accepted")
	}
}

func TestDecodeImageFileGIFFrames(t *testing.T) {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}}
	f1 := image.NewPaletted(image.Rect(0, 0, 2, 2), pal)
	f2 := image.NewPaletted(image.Rect(0, 0, 2, 2), pal)
	f2.Pix = []uint8{1, 1, 1, 1}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{1, 1}}); err != nil {
		t.Fatal(err)
	}
	li, err := DecodeImageFile(writeFile(t, t.TempDir(), "a.gif", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(li.Image.Shape, []int{2, 2, 2, 3}) {
		t.Fatalf("gif shape %v", li.Image.Shape)
	}
	if li.Image.Data[0] != 0 || li.Image.Data[12] != 1 {
		t.Errorf("frames %v", li.Image.Data)
	}
}

// jpegWithOrientation inserts an EXIF APP1 segment with the orientation tag.
func jpegWithOrientation(t *testing.T, img image.Image, o uint16) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	tiff = binary.LittleEndian.AppendUint16(tiff, 1)
	tiff = binary.LittleEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.LittleEndian.AppendUint16(tiff, 3)
	tiff = binary.LittleEndian.AppendUint32(tiff, 1)
	tiff = binary.LittleEndian.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xff, 0xe1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	data := buf.Bytes()
	return append(append(append([]byte{}, data[:2]...), app1...), data[2:]...)
}

func TestDecodeImageFileRefusesGIFBombs(t *testing.T) {
	// 4000 frames of 1000x1000, each a few hundred bytes: 4 GPixels decoded.
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}}
	frame := image.NewPaletted(image.Rect(0, 0, 1000, 1000), pal)
	var one bytes.Buffer
	if err := gif.EncodeAll(&one, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{1}}); err != nil {
		t.Fatal(err)
	}
	if n, err := gifFrameCount(one.Bytes()); err != nil || n != 1 {
		t.Fatalf("frame count %d %v", n, err)
	}
	// Repeat the image block (everything between the header+palette and
	// the trailer) to make many frames cheaply.
	data := one.Bytes()
	head := 13 // header and screen descriptor (Go writes local palettes)
	body := data[head : len(data)-1]
	bomb := append([]byte{}, data[:head]...)
	for i := 0; i < 4000; i++ {
		bomb = append(bomb, body...)
	}
	bomb = append(bomb, 0x3b)
	if n, _ := gifFrameCount(bomb); n != 4000 {
		t.Fatalf("bomb has %d frames", n)
	}
	if _, err := DecodeImageFile(writeFile(t, t.TempDir(), "bomb.gif", bomb)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("GIF bomb: %v", err)
	}
}

func TestDecodeJPEGOrientation(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			v := uint8(0)
			if x < 8 {
				v = 255 // left half white
			}
			img.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	// Orientation 6: rotate 90 degrees clockwise -> 8 wide, 16 tall, white on top.
	li, err := DecodeImageFile(writeFile(t, t.TempDir(), "a.jpg", jpegWithOrientation(t, img, 6)))
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(li.Image.Shape, []int{1, 16, 8, 3}) {
		t.Fatalf("rotated shape %v", li.Image.Shape)
	}
	top, bottom := li.Image.Data[(2*8+4)*3], li.Image.Data[(13*8+4)*3]
	if top < 0.9 || bottom > 0.1 {
		t.Errorf("rotation wrong: top %v bottom %v", top, bottom)
	}
}

func TestDecodeImageFileRejects(t *testing.T) {
	dir := t.TempDir()
	// A PNG header claiming 100000 x 100000 pixels.
	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	huge := append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
	for name, data := range map[string][]byte{
		"huge.png": huge,
		"x.bmp":    []byte("BM not really"),
		"empty":    nil,
	} {
		if _, err := DecodeImageFile(writeFile(t, dir, name, data)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestImageRowTruncates(t *testing.T) {
	x := tensor.FromData([]float32{1.5, -0.2, 0.999, 0.5, 0.00392, float32(0)}, 1, 1, 2, 3)
	img, err := ImageRow(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := img.(*image.NRGBA)
	if want := []uint8{255, 0, 254, 255, 127, 0, 0, 255}; !bytes.Equal(n.Pix, want) {
		t.Errorf("pixels %v, want %v", n.Pix, want)
	}
}

// pngHeaderOnly is a valid PNG signature and IHDR chunk declaring w x h
// RGB pixels, with no image data.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// TestDecodeImage: the exported decoder reads each supported format and
// refuses a declared size beyond the limit before allocating pixels.
func TestDecodeImage(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, src, nil); err != nil {
		t.Fatal(err)
	}
	for format, data := range map[string][]byte{"png": encodePNG(t, src), "jpeg": jpg.Bytes(), "gif": gf.Bytes()} {
		img, got, err := DecodeImage(data)
		if err != nil || got != format || img.Bounds() != src.Bounds() {
			t.Errorf("%s: format %q bounds %v err %v", format, got, img.Bounds(), err)
		}
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, c := range []struct {
		name  string
		data  []byte
		large bool
	}{
		{"65535x65535 PNG", pngHeaderOnly(65535, 65535), true},
		{"just past the limit", pngHeaderOnly(maxImagePixels/2+1, 2), true},
		{"zero width", pngHeaderOnly(0, 5), false}, // the PNG decoder refuses it
		{"not an image", []byte("BM not really"), false},
		{"empty", nil, false},
	} {
		_, _, err := DecodeImage(c.data)
		if err == nil || errors.Is(err, ErrImageTooLarge) != c.large {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing allocated %d bytes", grew)
	}
}
