package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsMsg is one received frame: a JSON message or a binary frame.
type wsMsg struct {
	Type   string
	Data   map[string]any
	Binary []byte
}

// binType is the event type of a binary frame.
func (m wsMsg) binType() uint32 {
	if len(m.Binary) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(m.Binary)
}

func (m wsMsg) String() string {
	if m.Binary != nil {
		return "<binary " + string(rune('0'+m.binType())) + ">"
	}
	return m.Type
}

// wsClientT is a test WebSocket client collecting frames.
type wsClientT struct {
	t       testing.TB
	conn    *websocket.Conn
	msgs    chan wsMsg
	stopped chan struct{}
	readErr error // why reading stopped; valid once msgs is closed
}

// stop makes the client stop reading, as a stalled browser tab.
func (c *wsClientT) stop() { close(c.stopped) }

func (ts *testServer) dial(t testing.TB, query string) *wsClientT {
	t.Helper()
	url := "ws" + strings.TrimPrefix(ts.http.URL, "http") + "/ws" + query
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &wsClientT{t: t, conn: conn, msgs: make(chan wsMsg, 100000), stopped: make(chan struct{})}
	go func() {
		defer close(c.msgs)
		for {
			select {
			case <-c.stopped:
				return
			default:
			}
			kind, data, err := conn.ReadMessage()
			if err != nil {
				c.readErr = err
				return
			}
			if kind == websocket.BinaryMessage {
				c.msgs <- wsMsg{Binary: data}
				continue
			}
			var m struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("bad frame %q", data)
				continue
			}
			c.msgs <- wsMsg{Type: m.Type, Data: m.Data}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return c
}

// next returns the next frame or fails after a timeout.
func (c *wsClientT) next() wsMsg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatal("socket closed")
		}
		return m
	case <-time.After(5 * time.Second):
		c.t.Fatal("timed out waiting for a websocket message")
	}
	return wsMsg{}
}

// until collects frames up to and including the first of type typ whose
// data matches (node == nil for executing end markers).
func (c *wsClientT) until(match func(wsMsg) bool) []wsMsg {
	c.t.Helper()
	var out []wsMsg
	for {
		m := c.next()
		out = append(out, m)
		if match(m) {
			return out
		}
	}
}

// runEnd matches the final executing {node: null} of a prompt.
func runEnd(promptID string) func(wsMsg) bool {
	return func(m wsMsg) bool {
		return m.Type == "executing" && m.Data["node"] == nil && m.Data["prompt_id"] == promptID
	}
}

func (c *wsClientT) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

// do performs a request and returns status, headers and body.
func (ts *testServer) do(t testing.TB, method, path string, body io.Reader, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return roundTrip(t, req)
}

// roundTrip sends req and returns status, headers and body.
func roundTrip(t testing.TB, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func (ts *testServer) postJSON(t testing.TB, path string, v any) (int, []byte) {
	t.Helper()
	var body []byte
	switch x := v.(type) {
	case string:
		body = []byte(x)
	default:
		body, _ = json.Marshal(v)
	}
	code, _, data := ts.do(t, "POST", path, bytes.NewReader(body), nil)
	return code, data
}

// queuePrompt posts a prompt and returns its id.
func (ts *testServer) queuePrompt(t testing.TB, body map[string]any) string {
	t.Helper()
	code, data := ts.postJSON(t, "/api/prompt", body)
	if code != 200 {
		t.Fatalf("POST /prompt: %d %s", code, data)
	}
	var resp struct {
		PromptID string `json:"prompt_id"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.PromptID
}

// waitHistory polls until a prompt has a history entry.
func (ts *testServer) waitHistory(t testing.TB, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_, body := ts.get(t, "/history/"+id)
		var h map[string]map[string]any
		_ = json.Unmarshal(body, &h)
		if e, ok := h[id]; ok {
			return e
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no history for %s", id)
	return nil
}

func types(ms []wsMsg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

func outPrompt(ids ...string) map[string]any {
	p := map[string]any{}
	for _, id := range ids {
		p[id] = map[string]any{"class_type": "Out", "inputs": map[string]any{}}
	}
	return p
}

// doHost is do with an explicit Host header.
func (ts *testServer) doHost(t testing.TB, method, path, host string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range hdr {
		if k != "Host" {
			req.Header.Set(k, v)
		}
	}
	return roundTrip(t, req)
}
