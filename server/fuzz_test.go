package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseUploadForm: any body and Content-Type either parse or fail
// cleanly, and a parsed form never names a target outside its folder.
func FuzzParseUploadForm(f *testing.F) {
	body, ctype := multipartBody(f, "x.png", []byte("\x89PNG"), map[string]string{"type": "input", "subfolder": "a/b", "overwrite": "1"})
	f.Add(body.Bytes(), ctype)
	body, ctype = multipartBody(f, "../x.png", []byte("data"), map[string]string{"original_ref": `{"filename":"a.png"}`})
	f.Add(body.Bytes(), ctype)
	f.Add([]byte("--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\"\r\n\r\n\r\n--X--\r\n"), "multipart/form-data; boundary=X")
	f.Add([]byte(""), "text/plain")
	ts := newTestServer(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		form, err := parseUploadForm(bytes.NewReader(body), contentType)
		if err != nil {
			return
		}
		dir, name, _, status := ts.uploadTarget(form)
		if status != 0 {
			return
		}
		root, _ := ts.cfg.Folders.Root(form.Type)
		if !strings.HasPrefix(dir+"/", root+"/") || strings.ContainsAny(name, "/\\") {
			t.Fatalf("target %q %q escapes %q", dir, name, root)
		}
	})
}

// FuzzClientMessage: whatever a client sends, only a first well-formed
// feature_flags message is answered, with the server's flags.
func FuzzClientMessage(f *testing.F) {
	f.Add([]byte(`{"type": "feature_flags", "data": {"supports_preview_metadata": true}}`), []byte(`{"type": "feature_flags", "data": {}}`))
	f.Add([]byte(`{"type": "other"}`), []byte(`{"type": "feature_flags", "data": {}}`))
	f.Add([]byte(`not json`), []byte(`{"type": "feature_flags", "data": null}`))
	f.Add([]byte(`{"type": "feature_flags", "data": [1]}`), []byte(``))
	ts := newTestServer(f)
	f.Fuzz(func(t *testing.T, first, second []byte) {
		c := newWSClient("fuzz", nil)
		r1 := ts.clientMessage(c, first)
		r2 := ts.clientMessage(c, second)
		if r2 != nil {
			t.Fatalf("second message answered: %s", r2)
		}
		if r1 == nil {
			return
		}
		var m struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(r1, &m); err != nil || m.Type != "feature_flags" || m.Data["supports_preview_metadata"] != true {
			t.Fatalf("reply %s", r1)
		}
	})
}
