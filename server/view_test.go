package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestViewVariants(t *testing.T) {
	ts := newTestServer(t)
	alpha := uint8(77)
	src := tinyPNG(t, 4, 3, &alpha)
	os.MkdirAll(filepath.Join(ts.dir, "output", "sub"), 0o755)
	os.WriteFile(filepath.Join(ts.dir, "output", "sub", "p.png"), src, 0o644)
	os.WriteFile(filepath.Join(ts.dir, "temp", "page.html"), []byte("<script>"), 0o644)

	code, hdr, body := ts.do(t, "GET", "/api/view?filename=p.png&subfolder=sub&type=output&rand=0.5", nil, nil)
	if code != 200 || !bytes.Equal(body, src) || hdr.Get("Content-Type") != "image/png" || hdr.Get("Content-Disposition") != `filename="p.png"` {
		t.Errorf("raw: %d %v", code, hdr)
	}
	// Annotated name selects the folder; only the basename is used.
	if code, _, body := ts.do(t, "GET", "/view?filename=p.png%20[output]&subfolder=sub&type=input", nil, nil); code != 200 || !bytes.Equal(body, src) {
		t.Errorf("annotated: %d", code)
	}
	// Range requests.
	if code, _, body := ts.do(t, "GET", "/view?filename=p.png&subfolder=sub", nil, map[string]string{"Range": "bytes=0-3"}); code != 206 || !bytes.Equal(body, src[:4]) {
		t.Errorf("range: %d %q", code, body)
	}
	// Markup is never served as markup.
	if _, hdr, _ := ts.do(t, "GET", "/view?filename=page.html&type=temp", nil, nil); hdr.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("html served as %q", hdr.Get("Content-Type"))
	}
	// channel=a: RGB zero, alpha kept.
	_, hdr, body = ts.do(t, "GET", "/view?filename=p.png&subfolder=sub&channel=a", nil, nil)
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil || hdr.Get("Content-Type") != "image/png" {
		t.Fatalf("channel=a: %v %v", err, hdr)
	}
	if c := color.NRGBAModel.Convert(img.At(1, 1)).(color.NRGBA); c != (color.NRGBA{0, 0, 0, 77}) {
		t.Errorf("channel=a pixel %v", c)
	}
	// channel=rgb: alpha dropped, colours kept.
	_, _, body = ts.do(t, "GET", "/view?filename=p.png&subfolder=sub&channel=rgb", nil, nil)
	img, _ = png.Decode(bytes.NewReader(body))
	if c := color.NRGBAModel.Convert(img.At(1, 2)).(color.NRGBA); c != (color.NRGBA{10, 20, 7, 255}) {
		t.Errorf("channel=rgb pixel %v", c)
	}
	// Previews: JPEG for an opaque result, PNG where WebP would keep alpha.
	for _, c := range []struct{ q, ctype string }{
		{"preview=jpeg;50", "image/jpeg"},
		{"preview=webp;50", "image/png"},
		{"preview=webp;50&channel=rgb", "image/jpeg"},
		{"preview=bogus", "image/png"},
	} {
		_, hdr, body := ts.do(t, "GET", "/view?filename=p.png&subfolder=sub&"+c.q, nil, nil)
		if hdr.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %q, want %q", c.q, hdr.Get("Content-Type"), c.ctype)
		}
		var err error
		if c.ctype == "image/jpeg" {
			_, err = jpeg.Decode(bytes.NewReader(body))
		} else {
			_, _, err = image.Decode(bytes.NewReader(body))
		}
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
		}
	}
	if code, _ := ts.get(t, "/view?filename="); code != 404 && code != 400 {
		t.Errorf("empty filename: %d", code)
	}
	if code, _ := ts.get(t, "/view?filename=sub"); code != 404 {
		t.Errorf("directory: %d", code)
	}
}

func TestViewMetadataAndModels(t *testing.T) {
	ts := newTestServer(t)
	header := `{"__metadata__":{"format":"pt","modelspec.title":"tiny"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(make([]byte, 4))
	ck := filepath.Join(ts.dir, "models", "checkpoints")
	os.MkdirAll(filepath.Join(ck, "sd", ".hidden"), 0o755)
	os.WriteFile(filepath.Join(ck, "sd", "m.safetensors"), b.Bytes(), 0o644)
	os.WriteFile(filepath.Join(ck, "sd", ".hidden", "h.safetensors"), b.Bytes(), 0o644)
	os.WriteFile(filepath.Join(ck, "notes.txt"), []byte("x"), 0o644)

	code, body := ts.get(t, "/api/view_metadata/checkpoints?filename=sd/m.safetensors")
	if code != 200 || string(body) != `{"format":"pt","modelspec.title":"tiny"}` {
		t.Errorf("metadata: %d %s", code, body)
	}
	if _, body := ts.get(t, "/api/models/checkpoints"); string(body) != `["sd/m.safetensors"]` {
		t.Errorf("models: %s", body)
	}
	_, body = ts.get(t, "/api/experiment/models/checkpoints")
	var files []ModelFile
	if err := json.Unmarshal(body, &files); err != nil || len(files) != 1 || files[0].Name != "sd/m.safetensors" || files[0].PathIndex != 0 || files[0].Size != int64(b.Len()) {
		t.Errorf("experiment models: %s", body)
	}
	_, body = ts.get(t, "/api/experiment/models")
	if strings.Contains(string(body), `"configs"`) || !strings.Contains(string(body), `{"name":"checkpoints","folders":["`+ck+`"]}`) {
		t.Errorf("experiment folders: %s", body)
	}
}

// TestWSReconnectMidRun: a client reconnecting with its sid while its
// prompt runs gets status then executing {node} for the running node.
func TestWSReconnectMidRun(t *testing.T) {
	ts := newTestServer(t)
	eng := ts.engine.(*fakeEngine)
	gate := make(chan struct{})
	eng.mu.Lock()
	eng.gate = gate
	eng.mu.Unlock()
	defer close(gate)
	c := ts.dial(t, "?clientId=R")
	c.next()
	ts.queuePrompt(t, map[string]any{"prompt": map[string]any{"5": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 3}}}, "client_id": "R"})
	c.until(func(m wsMsg) bool { return m.Type == "executing" })
	c2 := ts.dial(t, "?clientId=R")
	if m := c2.next(); m.Type != "status" || m.Data["sid"] != "R" {
		t.Fatalf("%+v", m)
	}
	if m := c2.next(); m.Type != "executing" || m.Data["node"] != "5" || len(m.Data) != 1 {
		t.Fatalf("reconnect executing %+v", m)
	}
}

// bombPNG is a valid PNG header declaring w x h RGBA pixels followed by a
// tiny IDAT: a decoder that trusts the header allocates w*h*4 bytes.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// TestImageBombsRefused: every path that decodes a client's image (/view
// previews and channels, both images of /upload/mask) refuses a header
// declaring more pixels than the decoder's guard allows, with a 400 that
// says why, before allocating what the header claims. Plain /view still
// serves the bytes as stored.
func TestImageBombsRefused(t *testing.T) {
	ts := newTestServer(t)
	// Just past the guard (PIL's limit, 2 x 89478485 pixels): trusting
	// the header would allocate 729 MB.
	bomb := bombPNG(13500, 13500)
	if code, body := ts.upload(t, "/upload/image", "bomb.png", bomb, nil); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, body := ts.upload(t, "/upload/image", "small.png", tinyPNG(t, 3, 2, nil), nil); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _, body := ts.do(t, "GET", "/view?type=input&filename=bomb.png", nil, nil); code != 200 || !bytes.Equal(body, bomb) {
		t.Errorf("raw view: %d, %d bytes", code, len(body))
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	refused := func(what string, code int, body []byte) {
		t.Helper()
		if code != 400 || !strings.Contains(string(body), "13500x13500 pixels") {
			t.Errorf("%s: %d %q, want 400 naming the size", what, code, body)
		}
	}
	for _, q := range []string{"channel=rgb", "channel=a", "preview=jpeg;50", "preview=webp"} {
		code, _, body := ts.do(t, "GET", "/view?type=input&filename=bomb.png&"+q, nil, nil)
		refused(q, code, body)
	}
	code, body := ts.upload(t, "/upload/mask", "m.png", tinyPNG(t, 3, 2, nil), map[string]string{"original_ref": `{"filename": "bomb.png", "type": "input"}`})
	refused("mask over a bomb", code, body)
	code, body = ts.upload(t, "/upload/mask", "m.png", bomb, map[string]string{"original_ref": `{"filename": "small.png", "type": "input"}`})
	refused("bomb as the mask", code, body)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("refusing allocated %d MB", grew>>20)
	}
}
