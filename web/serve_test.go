package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"comfyd/paths"
	"comfyd/server"
	"comfyd/web"
)

// serve starts a real server.Server with the given frontend settings.
func serve(t *testing.T, cfg server.Config) string {
	t.Helper()
	dir := t.TempDir()
	folders := paths.New(dir)
	if err := folders.Create(); err != nil {
		t.Fatal(err)
	}
	cfg.Folders = folders
	cfg.DatabasePath = filepath.Join(dir, "comfyd.db")
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return ts.URL
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// TestServedByServer: the embedded UI as the server serves it, with the
// content types browsers insist on for modules and the no-cache headers
// of spec 2.1 (a stale module after an upgrade would break the UI).
func TestServedByServer(t *testing.T) {
	base := serve(t, server.Config{WebFS: web.FS()})
	cases := []struct {
		path, contentType, cacheControl string
	}{
		{"/", "text/html", "no-cache"},
		{"/js/app.js", "text/javascript", "no-cache"},
		{"/js/ws.js", "text/javascript", "no-cache"},
		{"/style.css", "text/css", "no-cache"},
		{"/favicon.svg", "image/svg+xml", ""},
		{"/workflows/default_t2i.api.json", "application/json", ""},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res, body := get(t, base+c.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, c.contentType)
			}
			if c.cacheControl != "" && res.Header.Get("Cache-Control") != c.cacheControl {
				t.Errorf("Cache-Control %q, want %q", res.Header.Get("Cache-Control"), c.cacheControl)
			}
			if len(body) == 0 {
				t.Error("empty body")
			}
		})
	}
	res, body := get(t, base+"/")
	if !strings.Contains(body, `src="js/app.js"`) {
		t.Error("/ is not the built-in UI's index.html")
	}
	if res.Header.Get("Pragma") != "no-cache" || res.Header.Get("Expires") != "0" {
		t.Errorf("/ headers Pragma %q Expires %q, want no-cache and 0", res.Header.Get("Pragma"), res.Header.Get("Expires"))
	}
}

// TestFrontEndRootWins: --front-end-root replaces the built-in UI, with
// the same headers (spec 2.1, 2.20 step 1).
func TestFrontEndRootWins(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"index.html":      `<!doctype html><title>frontend</title><script type="module" src="assets/index.js"></script>`,
		"assets/index.js": `console.log("frontend")`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := serve(t, server.Config{WebFS: web.FS(), FrontEndRoot: root})
	res, body := get(t, base+"/")
	if !strings.Contains(body, "<title>frontend</title>") {
		t.Errorf("/ served %q, want the front-end root's index.html", body)
	}
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Pragma") != "no-cache" || res.Header.Get("Expires") != "0" {
		t.Errorf("/ headers %v", res.Header)
	}
	res, _ = get(t, base+"/assets/index.js")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("/assets/index.js: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("/assets/index.js Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if res, _ := get(t, base+"/js/app.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("built-in UI file served alongside the front-end root: %d", res.StatusCode)
	}
}
