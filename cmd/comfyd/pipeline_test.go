package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"comfyd/models"
)

// The whole binary's wiring, through HTTP and the WebSocket, on the
// built-in model: what a user of the ComfyUI frontend does first.

type testServer struct {
	url  string
	base string
}

func startServer(t *testing.T, extraArgs ...string) *testServer {
	t.Helper()
	base := t.TempDir()
	cfg, err := parseConfig(append([]string{"--base-directory", base, "--preview-method", "latent2rgb"}, extraArgs...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := newServer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	srv.Start(ctx)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		cancel()
		hs.Close()
	})
	return &testServer{url: hs.URL, base: base}
}

func loadWorkflow(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf map[string]any
	if err := json.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	inputs(wf, "4")["ckpt_name"] = models.Builtins()[0]
	return wf
}

func inputs(wf map[string]any, id string) map[string]any {
	return wf[id].(map[string]any)["inputs"].(map[string]any)
}

type wsMessage struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// run queues a prompt as the frontend does and collects every WebSocket
// message of it until the final "executing" with node null.
func (s *testServer) run(t *testing.T, clientID string, wf map[string]any) (promptID string, msgs []wsMessage, previews int) {
	t.Helper()
	wsURL := "ws" + strings.TrimPrefix(s.url, "http") + "/ws?clientId=" + clientID
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The first message is the status snapshot with our sid.
	var first wsMessage
	if err := conn.ReadJSON(&first); err != nil || first.Type != "status" {
		t.Fatalf("first message %q, %v", first.Type, err)
	}
	body, _ := json.Marshal(map[string]any{
		"prompt":     wf,
		"client_id":  clientID,
		"extra_data": map[string]any{"extra_pnginfo": map[string]any{"workflow": map[string]any{"nodes": []any{}, "version": 0.4}}},
	})
	resp, err := http.Post(s.url+"/prompt", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var queued struct {
		PromptID   string         `json:"prompt_id"`
		Number     int            `json:"number"`
		NodeErrors map[string]any `json:"node_errors"`
	}
	json.NewDecoder(resp.Body).Decode(&queued)
	resp.Body.Close()
	if resp.StatusCode != 200 || queued.PromptID == "" || len(queued.NodeErrors) != 0 {
		t.Fatalf("POST /prompt: %d %+v", resp.StatusCode, queued)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn.SetReadDeadline(deadline)
		kind, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("websocket: %v (after %d messages)", err, len(msgs))
		}
		if kind == websocket.BinaryMessage {
			if len(data) < 8 || binary.BigEndian.Uint32(data) != 1 || binary.BigEndian.Uint32(data[4:]) != 1 {
				t.Fatalf("binary frame is not a JPEG preview: % x", data[:min(8, len(data))])
			}
			previews++
			continue
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "status" || m.Type == "progress_state" || m.Type == "feature_flags" {
			continue
		}
		msgs = append(msgs, m)
		if m.Type == "execution_error" {
			t.Fatalf("execution_error: %s", m.Data)
		}
		if m.Type == "executing" {
			var d struct {
				Node     *string `json:"node"`
				PromptID string  `json:"prompt_id"`
			}
			json.Unmarshal(m.Data, &d)
			if d.Node == nil && d.PromptID == queued.PromptID {
				return queued.PromptID, msgs, previews
			}
		}
	}
}

func types(msgs []wsMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Type
	}
	return out
}

func (s *testServer) history(t *testing.T, id string) map[string]any {
	t.Helper()
	resp, err := http.Get(s.url + "/history/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h[id]
}

type fileRef struct{ Filename, Subfolder, Type string }

func refs(t *testing.T, entry map[string]any, node, key string) []fileRef {
	t.Helper()
	out, _ := entry["outputs"].(map[string]any)[node].(map[string]any)
	var refs []fileRef
	raw, _ := json.Marshal(out[key])
	json.Unmarshal(raw, &refs)
	if len(refs) == 0 {
		t.Fatalf("history outputs of node %s have no %s: %v", node, key, entry["outputs"])
	}
	return refs
}

func (s *testServer) view(t *testing.T, r fileRef) []byte {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/view?filename=%s&subfolder=%s&type=%s", s.url, r.Filename, r.Subfolder, r.Type))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/view %v: %d", r, resp.StatusCode)
	}
	return data
}

// pngText returns the tEXt chunks of a PNG, checking each chunk's CRC.
func pngText(t *testing.T, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	if len(data) < 8 {
		t.Fatal("not a PNG")
	}
	for p := 8; p+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		chunk := data[p+8 : p+8+n]
		if crc32.ChecksumIEEE(data[p+4:p+8+n]) != binary.BigEndian.Uint32(data[p+8+n:]) {
			t.Fatalf("bad CRC in %s chunk", typ)
		}
		if typ == "tEXt" {
			if k, v, ok := bytes.Cut(chunk, []byte{0}); ok {
				out[string(k)] = string(v)
			}
		}
		p += 12 + n
	}
	return out
}

func TestDefaultWorkflowThroughServer(t *testing.T) {
	s := startServer(t)
	wf := loadWorkflow(t, "default_t2i.api.json")
	inputs(wf, "3")["steps"] = 10

	id, msgs, previews := s.run(t, "c1", wf)
	got := strings.Join(types(msgs), " ")
	if !strings.HasPrefix(got, "execution_start execution_cached executing") || !strings.HasSuffix(got, "executed execution_success executing") {
		t.Fatalf("message order: %s", got)
	}
	if n := strings.Count(got, "progress"); n != 10 {
		t.Fatalf("want 10 progress messages (one per step), got %d: %s", n, got)
	}
	if previews == 0 {
		t.Fatal("no latent previews with --preview-method latent2rgb")
	}

	entry := s.history(t, id)
	status := entry["status"].(map[string]any)
	if status["status_str"] != "success" || status["completed"] != true {
		t.Fatalf("history status %v", status)
	}
	img := refs(t, entry, "9", "images")[0]
	if img.Filename != "ComfyUI_00001_.png" || img.Type != "output" {
		t.Fatalf("saved as %+v", img)
	}
	data := s.view(t, img)
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 512 || cfg.Height != 512 {
		t.Fatalf("PNG %dx%d, %v", cfg.Width, cfg.Height, err)
	}
	text := pngText(t, data)
	var prompt map[string]any
	if err := json.Unmarshal([]byte(text["prompt"]), &prompt); err != nil || prompt["3"] == nil {
		t.Fatalf("PNG prompt chunk: %v %q", err, text["prompt"])
	}
	// Keys keep the order they were submitted in (this test's client sends
	// them sorted), written as Python's json.dumps does.
	if !strings.HasPrefix(text["prompt"], `{"3": {"_meta": {"title": "KSampler"}, "class_type": "KSampler", "inputs": {`) {
		t.Fatalf("PNG prompt chunk does not start with node 3: %.60q", text["prompt"])
	}
	if !strings.Contains(text["workflow"], `"nodes"`) {
		t.Fatalf("PNG workflow chunk: %q", text["workflow"])
	}

	// The same prompt again executes nothing: every node is cached.
	id2, msgs2, _ := s.run(t, "c1", wf)
	got2 := strings.Join(types(msgs2), " ")
	if strings.Contains(got2, "progress") {
		t.Fatalf("re-run sampled again: %s", got2)
	}
	var cached struct{ Nodes []string }
	json.Unmarshal(msgs2[1].Data, &cached)
	if msgs2[1].Type != "execution_cached" || len(cached.Nodes) != len(wf) {
		t.Fatalf("re-run cached %v of %d nodes (%s)", cached.Nodes, len(wf), got2)
	}
	if refs(t, s.history(t, id2), "9", "images")[0] != img {
		t.Fatal("cached re-run reports another image")
	}
}

func TestInspireWorkflowThroughServer(t *testing.T) {
	s := startServer(t)
	wf := loadWorkflow(t, "inspire_t2i.api.json")
	inputs(wf, "3")["steps"] = 6
	inputs(wf, "5")["width"] = 256
	inputs(wf, "5")["height"] = 192
	id, _, _ := s.run(t, "c2", wf)
	entry := s.history(t, id)
	imgs := refs(t, entry, "9", "images")
	if len(imgs) != 2 {
		t.Fatalf("batch 2 saved %d images", len(imgs))
	}
	a, b := s.view(t, imgs[0]), s.view(t, imgs[1])
	for _, d := range [][]byte{a, b} {
		cfg, err := png.DecodeConfig(bytes.NewReader(d))
		if err != nil || cfg.Width != 256 || cfg.Height != 192 {
			t.Fatalf("PNG %dx%d, %v", cfg.Width, cfg.Height, err)
		}
	}
	if bytes.Equal(a, b) {
		t.Fatal("incremental batch seeds gave two identical images")
	}
	lat := refs(t, entry, "10", "latents")[0]
	if !strings.HasSuffix(lat.Filename, ".latent") || lat.Subfolder != "latents" {
		t.Fatalf("latent saved as %+v", lat)
	}
	if _, err := os.Stat(filepath.Join(s.base, "output", "latents", lat.Filename)); err != nil {
		t.Fatal(err)
	}
}

// A real SD1-layout checkpoint (the tiny random-weight fixture: its VAE
// upsamples 2x, not 8x) dropped into models/checkpoints runs the stock
// workflow through the server, with the tokenizer from ../shared.
func TestSD1CheckpointThroughServer(t *testing.T) {
	tok, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "golden", "sd1", "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tok, "vocab.json")); err != nil {
		t.Fatalf("tokenizer fixture missing (../shared must sit beside the checkout): %v", err)
	}
	s := startServer(t, "--clip-tokenizer-dir", tok)
	ckpt, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", "sd1", "tiny_sd1_checkpoint.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.base, "models", "checkpoints", "tiny-sd1.safetensors"), ckpt, 0o644); err != nil {
		t.Fatal(err)
	}
	wf := loadWorkflow(t, "default_t2i.api.json")
	inputs(wf, "4")["ckpt_name"] = "tiny-sd1.safetensors"
	inputs(wf, "3")["steps"] = 3
	inputs(wf, "5")["width"] = 64
	inputs(wf, "5")["height"] = 64
	id, _, _ := s.run(t, "c3", wf)
	img := refs(t, s.history(t, id), "9", "images")[0]
	cfg, err := png.DecodeConfig(bytes.NewReader(s.view(t, img)))
	if err != nil || cfg.Width != 16 || cfg.Height != 16 {
		t.Fatalf("PNG %dx%d, %v", cfg.Width, cfg.Height, err)
	}
}

// The frontend asks for one class with encodeURIComponent: Inspire's names
// carry slashes ("KSampler //Inspire" -> KSampler%20%2F%2FInspire).
func TestObjectInfoOfAnInspireClass(t *testing.T) {
	s := startServer(t)
	resp, err := http.Get(s.url + "/api/object_info/KSampler%20%2F%2FInspire")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got["KSampler //Inspire"] == nil {
		t.Fatalf("got %d keys, %v", len(got), err)
	}
}
