package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWSConnectStatusAndFeatureFlags(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t, "?clientId=abc")
	m := c.next()
	if m.Type != "status" || m.Data["sid"] != "abc" {
		t.Fatalf("first message %+v", m)
	}
	st := m.Data["status"].(map[string]any)["exec_info"].(map[string]any)
	if st["queue_remaining"] != 0.0 {
		t.Fatalf("status %+v", m.Data)
	}
	c.send(map[string]any{"type": "feature_flags", "data": map[string]any{"supports_preview_metadata": true}})
	m = c.next()
	if m.Type != "feature_flags" || m.Data["supports_preview_metadata"] != true || m.Data["max_upload_size"] != float64(100<<20) {
		t.Fatalf("feature flags reply %+v", m)
	}
	// A second feature_flags message is ignored: no reply.
	c.send(map[string]any{"type": "feature_flags", "data": map[string]any{}})
	select {
	case m := <-c.msgs:
		t.Fatalf("unexpected reply %+v", m)
	case <-time.After(50 * time.Millisecond):
	}

	// Without clientId the sid is a fresh hex uuid.
	c2 := ts.dial(t, "")
	m = c2.next()
	sid, _ := m.Data["sid"].(string)
	if len(sid) != 32 || strings.Contains(sid, "-") {
		t.Fatalf("generated sid %q", sid)
	}
}

// TestWSRunOrder checks a run, a cached re-run, an error and an
// interrupt, message by message, against spec 3.4.
func TestWSRunOrder(t *testing.T) {
	ts := newTestServer(t)
	eng := ts.engine.(*fakeEngine)
	c := ts.dial(t, "?clientId=C")
	c.next() // status on connect

	// 1. A fresh run with progress and (type 1) previews.
	prompt := map[string]any{"1": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 2}}}
	id := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "C"})
	got := c.until(runEnd(id))
	want := []string{"status", "status", "execution_start", "execution_cached", "executing",
		"<binary 1>", "progress", "<binary 1>", "progress",
		// the fake sends progress then preview; order of the two is the executor's
		"executed", "execution_success", "status", "executing"}
	_ = want
	gotTypes := types(got)
	wantTypes := []string{"status", "status", "execution_start", "execution_cached", "executing",
		"progress", "<binary 1>", "progress", "<binary 1>", "executed", "execution_success", "status", "executing"}
	if !reflect.DeepEqual(gotTypes, wantTypes) {
		t.Fatalf("run messages\n got %v\nwant %v", gotTypes, wantTypes)
	}
	if got[0].Data["status"].(map[string]any)["exec_info"].(map[string]any)["queue_remaining"] != 1.0 {
		t.Errorf("enqueue status %+v", got[0].Data)
	}
	if got[11].Data["status"].(map[string]any)["exec_info"].(map[string]any)["queue_remaining"] != 0.0 {
		t.Errorf("final status %+v", got[11].Data)
	}
	if got[2].Data["prompt_id"] != id || got[2].Data["timestamp"] == nil {
		t.Errorf("execution_start %+v", got[2].Data)
	}
	if p := got[5].Data; p["value"] != 1.0 || p["max"] != 2.0 || p["node"] != "1" || p["prompt_id"] != id {
		t.Errorf("progress %+v", p)
	}
	if b := got[6].Binary; len(b) < 8 || b[7] != 1 {
		t.Errorf("preview frame %v", b)
	}
	// The history entry is written before executing null is sent.
	_, body := ts.get(t, "/history/"+id)
	if !strings.Contains(string(body), `"status_str":"success"`) {
		t.Errorf("history right after the end marker: %s", body)
	}

	// 2. The identical prompt again: everything cached, executed still sent.
	id2 := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "C"})
	got = c.until(runEnd(id2))
	wantTypes = []string{"status", "status", "execution_start", "execution_cached", "executed", "execution_success", "status", "executing"}
	if !reflect.DeepEqual(types(got), wantTypes) {
		t.Fatalf("cached run\n got %v\nwant %v", types(got), wantTypes)
	}
	if nodes := got[3].Data["nodes"].([]any); len(nodes) != 1 || nodes[0] != "1" {
		t.Errorf("execution_cached %+v", got[3].Data)
	}

	// 3. An error.
	id3 := ts.queuePrompt(t, map[string]any{"prompt": map[string]any{"9": map[string]any{"class_type": "Fail", "inputs": map[string]any{}}}, "client_id": "C"})
	got = c.until(runEnd(id3))
	wantTypes = []string{"status", "status", "execution_start", "execution_cached", "executing", "execution_error", "status", "executing"}
	if !reflect.DeepEqual(types(got), wantTypes) {
		t.Fatalf("error run\n got %v\nwant %v", types(got), wantTypes)
	}
	e := got[5].Data
	if e["node_id"] != "9" || e["exception_message"] != "boom" || e["timestamp"] == nil {
		t.Errorf("execution_error %+v", e)
	}
	h := ts.waitHistory(t, id3)
	st := h["status"].(map[string]any)
	if st["status_str"] != "error" || st["completed"] != false || len(st["messages"].([]any)) != 3 {
		t.Errorf("error history status %+v", st)
	}

	// 4. An interrupt while a node runs.
	eng.mu.Lock()
	eng.gate = make(chan struct{})
	gate := eng.gate
	eng.mu.Unlock()
	slow := map[string]any{"1": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 5}}}
	id4 := ts.queuePrompt(t, map[string]any{"prompt": slow, "client_id": "C"})
	c.until(func(m wsMsg) bool { return m.Type == "executing" })
	gate <- struct{}{} // one step
	c.until(func(m wsMsg) bool { return m.Type == "progress" })
	if code, _ := ts.postJSON(t, "/api/interrupt", map[string]any{"prompt_id": "not-running"}); code != 200 {
		t.Fatal(code)
	}
	if code, _ := ts.postJSON(t, "/api/interrupt", ""); code != 200 {
		t.Fatal(code)
	}
	got = c.until(runEnd(id4))
	wantTypes = []string{"<binary 1>", "execution_interrupted", "status", "executing"}
	if !reflect.DeepEqual(types(got), wantTypes) {
		t.Fatalf("interrupted run\n got %v\nwant %v", types(got), wantTypes)
	}
	h = ts.waitHistory(t, id4)
	msgs := h["status"].(map[string]any)["messages"].([]any)
	if last := msgs[len(msgs)-1].([]any); last[0] != "execution_interrupted" {
		t.Errorf("interrupted history messages %v", msgs)
	}
	_, body = ts.get(t, "/api/jobs/"+id4)
	var job map[string]any
	_ = json.Unmarshal(body, &job)
	if job["status"] != "cancelled" {
		t.Errorf("job of an interrupted prompt: %s", body)
	}
}

// TestWSAddressing: executor and client-only messages go to the
// submitting client only; progress_state and status to everyone; with no
// client_id, progress, previews and execution_interrupted go to everyone
// and the others nowhere.
func TestWSAddressing(t *testing.T) {
	ts := newTestServer(t)
	a := ts.dial(t, "?clientId=A")
	b := ts.dial(t, "?clientId=B")
	a.next()
	b.next()
	prompt := map[string]any{"1": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 1}}}
	id := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "A"})
	a.until(runEnd(id))
	// B sees only the three status broadcasts.
	got := b.until(func(m wsMsg) bool {
		return m.Type == "status" && m.Data["status"].(map[string]any)["exec_info"].(map[string]any)["queue_remaining"] == 0.0
	})
	if !reflect.DeepEqual(types(got), []string{"status", "status", "status"}) {
		t.Fatalf("other client got %v", types(got))
	}

	// No client_id: progress and previews to all, executor messages to none.
	prompt2 := map[string]any{"2": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 1}}}
	ts.queuePrompt(t, map[string]any{"prompt": prompt2})
	got = b.until(func(m wsMsg) bool {
		return m.Type == "status" && m.Data["status"].(map[string]any)["exec_info"].(map[string]any)["queue_remaining"] == 0.0
	})
	if !reflect.DeepEqual(types(got), []string{"status", "status", "progress", "<binary 1>", "status"}) {
		t.Fatalf("client-less prompt, observer got %v", types(got))
	}
}

// TestWSPreviewMetadata: a client announcing supports_preview_metadata
// gets type-4 frames with the JSON header.
func TestWSPreviewMetadata(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t, "?clientId=M")
	c.next()
	c.send(map[string]any{"type": "feature_flags", "data": map[string]any{"supports_preview_metadata": true}})
	c.next()
	prompt := map[string]any{"7": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 1}}}
	id := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "M"})
	var frame []byte
	for _, m := range c.until(runEnd(id)) {
		if m.Binary != nil {
			frame = m.Binary
		}
	}
	if len(frame) < 8 || frame[3] != 4 {
		t.Fatalf("expected a type-4 frame, got %v", frame)
	}
	n := int(frame[4])<<24 | int(frame[5])<<16 | int(frame[6])<<8 | int(frame[7])
	var meta map[string]any
	if err := json.Unmarshal(frame[8:8+n], &meta); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"node_id": "7", "prompt_id": id, "display_node_id": "7", "parent_node_id": nil, "real_node_id": "7", "image_type": "image/jpeg"}
	if !reflect.DeepEqual(meta, want) {
		t.Errorf("metadata %v", meta)
	}
	if img := frame[8+n:]; len(img) != 3 || img[0] != 0xff {
		t.Errorf("image bytes %v", img)
	}
}

// TestWSSlowClientDoesNotStall: a client that never reads loses previews
// (then its socket) while the run and the other clients proceed, losing
// nothing.
func TestWSSlowClientDoesNotStall(t *testing.T) {
	ts := newTestServer(t)
	eng := ts.engine.(*fakeEngine)
	eng.previewSize = 256 << 10 // big previews fill socket buffers fast
	stalled := ts.dial(t, "?clientId=S")
	stalled.conn.UnderlyingConn().(interface{ SetReadBuffer(int) error }).SetReadBuffer(4096)
	stalled.stop() // never read again
	watcher := ts.dial(t, "?clientId=W")
	watcher.next()
	const steps = 400
	prompt := map[string]any{"1": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": steps}}}
	start := time.Now()
	id := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "S"})
	ts.waitHistory(t, id)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("run took %v with a stalled client", d)
	}
	// The watcher saw every status and progress_state-free broadcast.
	got := watcher.until(func(m wsMsg) bool {
		return m.Type == "status" && m.Data["status"].(map[string]any)["exec_info"].(map[string]any)["queue_remaining"] == 0.0
	})
	if len(got) != 3 {
		t.Errorf("watcher got %v", types(got))
	}
	c := ts.hub.client("S")
	if c == nil {
		return // given up entirely: fine
	}
	c.mu.Lock()
	dropped := c.dropped
	c.mu.Unlock()
	if dropped == 0 {
		t.Errorf("no preview dropped for a stalled client")
	}
}

// TestLogsSubscription: a socket subscribed through
// /internal/logs/subscribe receives new log lines as "logs" messages.
func TestLogsSubscription(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t, "?clientId=L")
	c.next()
	if code, _, _ := ts.do(t, "PATCH", "/internal/logs/subscribe", strings.NewReader(`{"enabled": true, "clientId": "L"}`), nil); code != 200 {
		t.Fatal(code)
	}
	ts.Logger().Info("hello from the test", "k", 1)
	m := c.next()
	entries, _ := m.Data["entries"].([]any)
	if m.Type != "logs" || len(entries) != 1 || !strings.Contains(entries[0].(map[string]any)["m"].(string), "hello from the test k=1") {
		t.Fatalf("logs message %+v", m)
	}
	_, body := ts.get(t, "/internal/logs")
	var all string
	if err := json.Unmarshal(body, &all); err != nil || !strings.Contains(all, " - hello from the test k=1\n") {
		t.Errorf("/internal/logs %s", body)
	}
}
