package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPathEscapes tries to leave the served folders through every route
// taking a user path: "..", absolute paths, encoded separators and
// symlinks pointing out.
func TestPathEscapes(t *testing.T) {
	ts := newTestServer(t)
	secret := filepath.Join(ts.dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("top secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(ts.dir, "output")
	if err := os.Symlink(ts.dir, filepath.Join(out, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(out, "secret-link.txt")); err != nil {
		t.Fatal(err)
	}
	user := filepath.Join(ts.dir, "user", "default")
	os.MkdirAll(user, 0o755)
	if err := os.Symlink(ts.dir, filepath.Join(user, "up")); err != nil {
		t.Fatal(err)
	}
	gets := []string{
		"/view?filename=../secret.txt",
		"/view?filename=..%2Fsecret.txt",
		"/view?filename=/etc/passwd",
		"/view?filename=secret.txt&subfolder=..",
		"/view?filename=secret.txt&subfolder=../",
		"/view?filename=secret.txt&subfolder=%2E%2E",
		"/view?filename=secret.txt&subfolder=/tmp",
		"/view?filename=secret.txt&subfolder=link",
		"/view?filename=secret-link.txt",
		"/view?filename=secret.txt&subfolder=..%5C",
		"/view?filename=secret.txt [output]&subfolder=..",
		"/api/userdata/..%2Fsecret.txt",
		"/api/userdata/..%2F..%2Fsecret.txt",
		"/api/userdata/%2E%2E%2F%2E%2E%2Fsecret.txt",
		"/api/userdata/up%2Fsecret.txt",
		"/api/userdata/%2Fetc%2Fpasswd",
		"/api/userdata?dir=..",
		"/api/userdata?dir=../..",
		"/api/userdata?dir=up",
		"/api/userdata?dir=/etc",
		"/api/v2/userdata?path=..",
		"/api/v2/userdata?path=up",
		"/api/view_metadata/checkpoints?filename=../../secret.safetensors",
		"/api/experiment/models/preview/checkpoints/0/..%2F..%2Fsecret.txt",
		"/api/experiment/models/preview/checkpoints/0/../../secret.txt",
		"/view?filename=secret.txt&type=../",
	}
	for _, p := range gets {
		code, body := ts.get(t, p)
		if code == 200 || strings.Contains(string(body), "top secret") {
			t.Errorf("GET %s: %d %q", p, code, body)
		}
	}
	writes := []struct{ method, path string }{
		{"POST", "/api/userdata/..%2Fevil.txt"},
		{"POST", "/api/userdata/up%2Fevil.txt"},
		{"POST", "/api/userdata/a.txt/move/..%2Fevil.txt"},
		{"DELETE", "/api/userdata/..%2Fsecret.txt"},
		{"DELETE", "/api/userdata/up%2Fsecret.txt"},
	}
	os.WriteFile(filepath.Join(user, "a.txt"), []byte("a"), 0o644)
	for _, w := range writes {
		code, _, _ := ts.do(t, w.method, w.path, strings.NewReader("evil"), nil)
		if code < 400 {
			t.Errorf("%s %s: %d", w.method, w.path, code)
		}
	}
	if _, err := os.Stat(filepath.Join(ts.dir, "evil.txt")); err == nil {
		t.Error("a file was written outside the user folder")
	}
	if _, err := os.Stat(secret); err != nil {
		t.Error("the secret was deleted")
	}
}

// TestUserdataFiles covers write, read, list, move and delete with %2F
// separators.
func TestUserdataFiles(t *testing.T) {
	ts := newTestServer(t)
	os.MkdirAll(filepath.Join(ts.dir, "user", "default", "workflows", ".hidden"), 0o755)
	os.WriteFile(filepath.Join(ts.dir, "user", "default", "workflows", ".hidden", "h.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(ts.dir, "user", "default", "workflows", ".h.json"), []byte("{}"), 0o644)
	code, _, body := ts.do(t, "POST", "/api/userdata/workflows%2FMy%20Flow.json?overwrite=false", strings.NewReader(`{"a":1}`), nil)
	if code != 200 || string(body) != `"workflows/My Flow.json"` {
		t.Fatalf("write: %d %s", code, body)
	}
	if code, _, body = ts.do(t, "POST", "/api/userdata/workflows%2FMy%20Flow.json?overwrite=false", strings.NewReader(`x`), nil); code != 409 || string(body) != "File already exists" {
		t.Errorf("second write without overwrite: %d %s", code, body)
	}
	code, _, body = ts.do(t, "POST", "/api/userdata/workflows%2FMy%20Flow.json?overwrite=true&full_info=true", strings.NewReader(`{"a":2}`), nil)
	if code != 200 || !strings.HasPrefix(string(body), `{"path":"workflows/My Flow.json","size":7,"modified":`) {
		t.Errorf("overwrite full_info: %d %s", code, body)
	}
	code, hdr, body := ts.do(t, "GET", "/api/userdata/workflows%2FMy%20Flow.json", nil, nil)
	if code != 200 || string(body) != `{"a":2}` || hdr.Get("Content-Disposition") != "attachment" || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("read: %d %s %v", code, body, hdr)
	}
	ts.do(t, "POST", "/api/userdata/user.css", strings.NewReader(`body{}`), nil)
	ts.do(t, "POST", "/api/userdata/x.html", strings.NewReader(`<script>`), nil)
	if _, hdr, _ := ts.do(t, "GET", "/api/userdata/user.css", nil, nil); hdr.Get("Content-Type") != "text/css" || hdr.Get("Content-Disposition") != "inline" {
		t.Errorf("user.css %v", hdr)
	}
	if _, hdr, _ := ts.do(t, "GET", "/api/userdata/x.html", nil, nil); hdr.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("x.html %v", hdr)
	}
	if code, body := ts.get(t, "/api/v2/userdata?path=nope"); code != 404 {
		t.Errorf("v2 missing dir: %d %s", code, body)
	}
	// os.walk order: directories first, then files, each by name (dot
	// names included, unlike /userdata's glob).
	if code, body := ts.get(t, "/api/v2/userdata"); code != 200 || !strings.HasPrefix(string(body), `[{"name":".hidden","path":"workflows/.hidden","type":"directory"},{"name":"workflows","path":"workflows","type":"directory"},{"name":".h.json"`) {
		t.Errorf("v2 root: %d %s", code, body)
	}
	if code, body := ts.get(t, "/api/userdata?dir=workflows&recurse=true"); code != 200 || string(body) != `["My Flow.json"]` {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := ts.get(t, "/api/userdata?dir=workflows&split=true"); code != 200 || string(body) != `[["My Flow.json","My Flow.json"]]` {
		t.Errorf("list split: %d %s", code, body)
	}
	if code, body := ts.get(t, "/api/v2/userdata?path=workflows"); code != 200 || !strings.Contains(string(body), `{"name":"My Flow.json","path":"workflows/My Flow.json","type":"file","size":7`) {
		t.Errorf("v2 list: %d %s", code, body)
	}
	code, _, body = ts.do(t, "POST", "/api/userdata/workflows%2FMy%20Flow.json/move/workflows%2Fb.json", nil, nil)
	if code != 200 || string(body) != `"workflows/b.json"` {
		t.Errorf("move: %d %s", code, body)
	}
	if code, _, _ := ts.do(t, "DELETE", "/api/userdata/workflows%2Fb.json", nil, nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ := ts.do(t, "DELETE", "/api/userdata/workflows%2Fb.json", nil, nil); code != 404 {
		t.Errorf("delete missing: %d", code)
	}
}

func TestSettingsPersist(t *testing.T) {
	dir := t.TempDir()
	mk := func(c *Config) { c.DatabasePath = filepath.Join(dir, "db.sqlite") }
	ts := newTestServer(t, mk)
	if code, _ := ts.postJSON(t, "/api/settings", `{"Comfy.A": 1, "Comfy.B": "x"}`); code != 200 {
		t.Fatal(code)
	}
	if code, _ := ts.postJSON(t, "/api/settings/Comfy.C", `[1, 2]`); code != 200 {
		t.Fatal(code)
	}
	if code, _ := ts.postJSON(t, "/api/settings", `{"Comfy.A": 2}`); code != 200 {
		t.Fatal(code)
	}
	ts.http.Close()
	ts.Shutdown(t.Context())
	ts2 := newTestServer(t, mk)
	if _, body := ts2.get(t, "/api/settings"); string(body) != `{"Comfy.A":2,"Comfy.B":"x","Comfy.C":[1, 2]}` {
		t.Errorf("settings after restart: %s", body)
	}
	if _, body := ts2.get(t, "/api/settings/Comfy.B"); string(body) != `"x"` {
		t.Errorf("one setting: %s", body)
	}
	code, body := ts2.postJSON(t, "/api/users", `{"username": "Jo Doe!"}`)
	if code != 200 || !strings.HasPrefix(string(body), `"Jo-Doe-_`) {
		t.Errorf("create user: %d %s", code, body)
	}
	if code, body := ts2.postJSON(t, "/api/users", `{"username": "Jo Doe!"}`); code != 400 || string(body) != `{"error":"Duplicate username."}` {
		t.Errorf("duplicate user: %d %s", code, body)
	}
}
