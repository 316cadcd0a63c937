package server

import (
	"context"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestOriginCheck(t *testing.T) {
	ts := newTestServer(t)
	host := strings.TrimPrefix(ts.http.URL, "http://") // 127.0.0.1:port
	port := host[strings.LastIndex(host, ":")+1:]
	cases := []struct {
		host, origin string
		want         int
	}{
		{host, "", 200},
		{host, "http://" + host, 200},
		{host, "http://127.0.0.1", 200},    // origin without port
		{host, "http://127.0.0.1:1", 403},  // another port
		{host, "http://evil.example", 403}, // another site
		{host, "null", 403},                // sandboxed frames
		{"localhost:" + port, "http://localhost:" + port, 200},
		{"localhost:" + port, "http://127.0.0.1:" + port, 403},
		{"comfy.example:" + port, "http://evil.example", 200}, // non-loopback host: not checked
	}
	for _, c := range cases {
		hdr := map[string]string{"Host": c.host}
		if c.origin != "" {
			hdr["Origin"] = c.origin
		}
		code, _, body := ts.doHost(t, "GET", "/api/features", c.host, hdr)
		if code != c.want {
			t.Errorf("Host %s Origin %q: %d, want %d", c.host, c.origin, code, c.want)
		}
		if code == 403 && len(body) != 0 {
			t.Errorf("403 body %q", body)
		}
	}
	if code, _, body := ts.do(t, "OPTIONS", "/api/prompt", nil, map[string]string{"Origin": "http://evil.example"}); code != 200 || len(body) != 0 {
		t.Errorf("OPTIONS: %d %q", code, body)
	}
}

func TestCORS(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.EnableCORSHeader = "*" })
	code, hdr, _ := ts.do(t, "GET", "/api/features", nil, map[string]string{"Origin": "http://evil.example"})
	if code != 200 || hdr.Get("Access-Control-Allow-Origin") != "*" ||
		hdr.Get("Access-Control-Allow-Methods") != "POST, GET, DELETE, PUT, OPTIONS, PATCH" ||
		hdr.Get("Access-Control-Allow-Headers") != "Content-Type, Authorization" ||
		hdr.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("CORS: %d %v", code, hdr)
	}
	if code, _, body := ts.do(t, "OPTIONS", "/api/prompt", nil, nil); code != 200 || len(body) != 0 {
		t.Errorf("preflight: %d %q", code, body)
	}
}

func TestAPIKey(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.APIKey = "s3cret" })
	if code, _, _ := ts.do(t, "GET", "/api/features", nil, nil); code != 401 {
		t.Errorf("no key: %d", code)
	}
	if code, _, _ := ts.do(t, "GET", "/api/features", nil, map[string]string{"Authorization": "Bearer wrong"}); code != 401 {
		t.Errorf("wrong key: %d", code)
	}
	if code, _, _ := ts.do(t, "GET", "/api/features", nil, map[string]string{"Authorization": "Bearer s3cret"}); code != 200 {
		t.Errorf("right key: %d", code)
	}
	if code, _, _ := ts.do(t, "GET", "/api/features?token=s3cret", nil, nil); code != 200 {
		t.Errorf("query token: %d", code)
	}
	for _, path := range []string{"/features", "/internal/logs", "/ws"} {
		if code, _, _ := ts.do(t, "GET", path, nil, nil); code != 401 {
			t.Errorf("%s without a key: %d", path, code)
		}
	}
	// The page itself loads without the key (a browser cannot attach it
	// to module imports); the API calls it makes carry ?token=.
	if code, _, _ := ts.do(t, "GET", "/", nil, nil); code != 200 {
		t.Errorf("/ without a key: %d", code)
	}
}

func TestBodyLimitAndCacheControl(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxBodySize = 100 })
	big := `{"prompt": {"1": {"class_type": "Out", "inputs": {"x": "` + strings.Repeat("a", 200) + `"}}}}`
	if code, _ := ts.postJSON(t, "/api/prompt", big); code != 413 {
		t.Errorf("oversized body: %d", code)
	}
	_, hdr, _ := ts.do(t, "GET", "/missing.js", nil, nil)
	if hdr.Get("Cache-Control") != "no-cache" {
		t.Errorf(".js Cache-Control %q", hdr.Get("Cache-Control"))
	}
}

func TestIsLoopback(t *testing.T) {
	ctx := context.Background()
	for name, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "10.0.0.1": false, "a.localhost": true} {
		if got := isLoopback(ctx, name); got != want {
			t.Errorf("isLoopback(%s) = %v", name, got)
		}
	}
}

func TestShutdownRefusesRequests(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t, "")
	c.next()
	if err := ts.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _ := ts.get(t, "/api/queue"); code != 503 {
		t.Errorf("after Shutdown: %d", code)
	}
	// The socket got a close frame.
	for range c.msgs {
	}
	if !websocket.IsCloseError(c.readErr, websocket.CloseGoingAway) {
		t.Errorf("socket closed with %v", c.readErr)
	}
}

func TestHead(t *testing.T) {
	ts := newTestServer(t)
	if code, _, body := ts.do(t, "HEAD", "/api/system_stats", nil, nil); code != 200 || len(body) != 0 {
		t.Errorf("HEAD: %d %q", code, body)
	}
}
