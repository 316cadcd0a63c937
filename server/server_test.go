package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"comfyd/nodes"
	"comfyd/paths"
)

// testServer is a Server on a loopback httptest listener.
type testServer struct {
	*Server
	http *httptest.Server
	dir  string
}

func newTestServer(t testing.TB, mutate ...func(*Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	folders := paths.New(dir)
	if err := folders.Create(); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Folders:      folders,
		Registry:     nodes.NewRegistry(),
		DatabasePath: filepath.Join(dir, "comfyd.db"),
		Version:      "0.3.45",
		Engine:       newFakeEngine(),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, http: httptest.NewServer(s.Handler()), dir: dir}
	s.Start(context.Background())
	t.Cleanup(func() {
		ts.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return ts
}

func (ts *testServer) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(ts.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func TestSystemStats(t *testing.T) {
	ts := newTestServer(t)
	for _, p := range []string{"/system_stats", "/api/system_stats"} {
		code, body := ts.get(t, p)
		if code != 200 {
			t.Fatalf("%s: %d", p, code)
		}
		var st SystemStats
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		if st.System.RAMTotal == 0 || st.System.RAMFree == 0 || st.System.RAMFree > st.System.RAMTotal {
			t.Errorf("memory figures %d/%d", st.System.RAMFree, st.System.RAMTotal)
		}
		if st.System.ComfyUIVersion != "0.3.45" || len(st.Devices) != 1 || st.Devices[0].Type != "cpu" {
			t.Errorf("stats %s", body)
		}
	}
}
