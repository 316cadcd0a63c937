package server

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"testing"
)

// tinyPNG encodes a w×h NRGBA image; alpha, when given, fills the alpha
// channel.
func tinyPNG(t testing.TB, w, h int, alpha *uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if alpha != nil {
				a = *alpha
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(10 * x), uint8(10 * y), 7, a})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartBody builds an upload form; file "" omits the image part.
func multipartBody(t testing.TB, filename string, content []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if filename != "" {
		fw, err := w.CreateFormFile("image", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func (ts *testServer) upload(t testing.TB, path, filename string, content []byte, fields map[string]string) (int, []byte) {
	t.Helper()
	body, ctype := multipartBody(t, filename, content, fields)
	code, _, data := ts.do(t, "POST", path, body, map[string]string{"Content-Type": ctype})
	return code, data
}

func TestUploadCollisions(t *testing.T) {
	ts := newTestServer(t)
	a := tinyPNG(t, 2, 2, nil)
	op := uint8(100)
	b := tinyPNG(t, 2, 2, &op)
	cases := []struct {
		content []byte
		fields  map[string]string
		want    string
	}{
		{a, nil, `{"name":"x.png","subfolder":"","type":"input"}`},
		{a, nil, `{"name":"x.png","subfolder":"","type":"input"}`},     // same content: reused
		{b, nil, `{"name":"x (1).png","subfolder":"","type":"input"}`}, // different: renamed
		{b, nil, `{"name":"x (1).png","subfolder":"","type":"input"}`}, // equals "x (1).png"
		{a, map[string]string{"overwrite": "true"}, `{"name":"x.png","subfolder":"","type":"input"}`},
		{b, map[string]string{"overwrite": "1"}, `{"name":"x.png","subfolder":"","type":"input"}`},
		{a, map[string]string{"overwrite": "yes"}, `{"name":"x (2).png","subfolder":"","type":"input"}`},
		{a, map[string]string{"subfolder": "clip/space", "type": "temp"}, `{"name":"x.png","subfolder":"clip/space","type":"temp"}`},
		{a, map[string]string{"type": "output"}, `{"name":"x.png","subfolder":"","type":"output"}`},
	}
	for i, c := range cases {
		code, body := ts.upload(t, "/api/upload/image", "x.png", c.content, c.fields)
		if code != 200 || string(body) != c.want {
			t.Errorf("case %d: %d %s, want %s", i, code, body, c.want)
		}
	}
	// The overwrite really replaced x.png with b.
	if code, _, got := ts.do(t, "GET", "/view?filename=x.png&type=input", nil, nil); code != 200 || !bytes.Equal(got, b) {
		t.Errorf("x.png after overwrite: %d", code)
	}
	if code, _, got := ts.do(t, "GET", "/view?filename=x.png&type=temp&subfolder=clip/space", nil, nil); code != 200 || !bytes.Equal(got, a) {
		t.Errorf("subfolder upload: %d", code)
	}
	bad := []struct {
		name   string
		fields map[string]string
	}{
		{"", nil}, // no file part
		{"x.png", map[string]string{"type": "models"}}, // unknown type
		{"../x.png", nil},
		{"x.png", map[string]string{"subfolder": "../.."}},
		{"x.png", map[string]string{"subfolder": "/etc"}},
		{"x.png", map[string]string{"subfolder": "a\\..\\.."}},
		{"x.png", map[string]string{"subfolder": "x.png"}}, // a file, not a folder
	}
	for _, c := range bad {
		if code, body := ts.upload(t, "/upload/image", c.name, a, c.fields); code != 400 {
			t.Errorf("upload %q %v: %d %s, want 400", c.name, c.fields, code, body)
		}
	}
}

func TestUploadTooLarge(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxUploadSize = 1000 })
	code, _ := ts.upload(t, "/upload/image", "big.png", make([]byte, 5000), nil)
	if code != 413 {
		t.Errorf("oversized upload: %d, want 413", code)
	}
}

// TestUploadMask: the original's pixels with the mask's alpha, and the
// original's text chunks (the workflow) kept.
func TestUploadMask(t *testing.T) {
	ts := newTestServer(t)
	orig := tinyPNG(t, 3, 2, nil)
	orig, err := withTextChunks(orig, [][]byte{pngChunk("tEXt", []byte("workflow\x00{\"a\":1}"))})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := ts.upload(t, "/upload/image", "orig.png", orig, nil); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	alpha := uint8(33)
	mask := tinyPNG(t, 3, 2, &alpha)
	ref := `{"filename": "orig.png", "subfolder": "", "type": "input"}`
	code, body := ts.upload(t, "/upload/mask", "clipspace-mask.png", mask, map[string]string{"original_ref": ref, "subfolder": "clipspace"})
	if code != 200 || string(body) != `{"name":"clipspace-mask.png","subfolder":"clipspace","type":"input"}` {
		t.Fatalf("mask upload: %d %s", code, body)
	}
	_, _, merged := ts.do(t, "GET", "/view?filename=clipspace-mask.png&type=input&subfolder=clipspace", nil, nil)
	img, err := png.Decode(bytes.NewReader(merged))
	if err != nil {
		t.Fatal(err)
	}
	c := color.NRGBAModel.Convert(img.At(2, 1)).(color.NRGBA)
	if c != (color.NRGBA{20, 10, 7, 33}) {
		t.Errorf("merged pixel %v", c)
	}
	if chunks := textChunks(merged); len(chunks) != 1 || !bytes.Contains(chunks[0], []byte(`workflow`)) {
		t.Errorf("text chunks not kept: %d", len(chunks))
	}
	// Annotated original names select the folder.
	ref = `{"filename": "orig.png [input]", "subfolder": "", "type": "output"}`
	if code, body := ts.upload(t, "/upload/mask", "m2.png", mask, map[string]string{"original_ref": ref}); code != 200 {
		t.Errorf("annotated original_ref: %d %s", code, body)
	}
	for _, ref := range []string{``, `not json`, `{"filename": "missing.png", "type": "input"}`,
		`{"filename": "../orig.png", "type": "input"}`, `{"filename": "orig.png", "subfolder": "..", "type": "input"}`} {
		if code, _ := ts.upload(t, "/upload/mask", "m.png", mask, map[string]string{"original_ref": ref}); code != 400 {
			t.Errorf("original_ref %q: %d, want 400", ref, code)
		}
	}
	// A mask of another size is refused.
	if code, _ := ts.upload(t, "/upload/mask", "m.png", tinyPNG(t, 5, 5, &alpha), map[string]string{"original_ref": `{"filename": "orig.png", "type": "input"}`}); code != 400 {
		t.Errorf("mismatched mask size: %d", code)
	}
}

// pngChunk encodes one chunk (tests build text chunks with it).
func pngChunk(typ string, data []byte) []byte {
	b := make([]byte, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(len(data)))
	copy(b[4:], typ)
	copy(b[8:], data)
	binary.BigEndian.PutUint32(b[8+len(data):], crc32.ChecksumIEEE(b[4:8+len(data)]))
	return b
}
