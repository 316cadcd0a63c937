package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// pause blocks the worker on a gated Slow prompt and returns a release
// function.
func pause(t *testing.T, ts *testServer) (blockerID string, release func()) {
	t.Helper()
	eng := ts.engine.(*fakeEngine)
	gate := make(chan struct{})
	eng.mu.Lock()
	eng.gate = gate
	eng.mu.Unlock()
	id := ts.queuePrompt(t, map[string]any{"prompt": map[string]any{"b": map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 1}}}})
	return id, func() { close(gate) }
}

func TestQueuePriorityAndDelete(t *testing.T) {
	ts := newTestServer(t)
	blocker, release := pause(t, ts)
	q := func(body map[string]any) (string, string) {
		code, data := ts.postJSON(t, "/prompt", body)
		if code != 200 {
			t.Fatalf("%d %s", code, data)
		}
		var r map[string]json.RawMessage
		json.Unmarshal(data, &r)
		var id string
		json.Unmarshal(r["prompt_id"], &id)
		return id, string(r["number"])
	}
	a, na := q(map[string]any{"prompt": outPrompt("1")})
	b, nb := q(map[string]any{"prompt": outPrompt("2")})
	c, nc := q(map[string]any{"prompt": outPrompt("3"), "front": true})
	d, nd := q(map[string]any{"prompt": outPrompt("4"), "number": 1.5})
	e, ne := q(map[string]any{"prompt": outPrompt("5"), "number": 7, "prompt_id": "my-id"})
	if na != "1" || nb != "2" || nc != "-3" || nd != "1.5" || ne != "7.0" || e != "my-id" {
		t.Fatalf("numbers %s %s %s %s %s, id %s", na, nb, nc, nd, ne, e)
	}
	// GET /queue: the blocker running, the others in run order.
	_, body := ts.get(t, "/queue")
	var queue struct {
		Running [][]json.RawMessage `json:"queue_running"`
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	if err := json.Unmarshal(body, &queue); err != nil {
		t.Fatal(err)
	}
	ids := func(items [][]json.RawMessage) []string {
		var out []string
		for _, it := range items {
			var id string
			json.Unmarshal(it[1], &id)
			out = append(out, id)
		}
		return out
	}
	if got := ids(queue.Running); !reflect.DeepEqual(got, []string{blocker}) {
		t.Errorf("running %v", got)
	}
	if got := ids(queue.Pending); !reflect.DeepEqual(got, []string{c, a, d, b, e}) {
		t.Errorf("pending %v, want %v", got, []string{c, a, d, b, e})
	}
	if len(queue.Pending[0]) != 5 || !strings.Contains(string(queue.Pending[0][3]), `"create_time"`) {
		t.Errorf("item shape %s", queue.Pending[0])
	}
	if _, body := ts.get(t, "/prompt"); string(body) != `{"exec_info":{"queue_remaining":6}}` {
		t.Errorf("GET /prompt %s", body)
	}
	// Delete one, then run the rest.
	if code, _ := ts.postJSON(t, "/queue", map[string]any{"delete": []string{d, "unknown"}}); code != 200 {
		t.Fatal(code)
	}
	release()
	for _, id := range []string{c, a, b, e} {
		ts.waitHistory(t, id)
	}
	runs := ts.engine.(*fakeEngine).runIDs()
	if want := []string{blocker, c, a, b, e}; !reflect.DeepEqual(runs, want) {
		t.Errorf("run order %v, want %v", runs, want)
	}
	if _, body := ts.get(t, "/history/"+d); string(body) != "{}" {
		t.Errorf("deleted prompt has history: %s", body)
	}
}

func TestQueueClearAndStatus(t *testing.T) {
	ts := newTestServer(t)
	ws := ts.dial(t, "")
	ws.next()
	_, release := pause(t, ts)
	defer release()
	ws.next() // enqueue status
	ws.next() // taken status
	for i := 0; i < 3; i++ {
		ts.queuePrompt(t, map[string]any{"prompt": outPrompt(fmt.Sprint(i))})
		if m := ws.next(); m.Type != "status" {
			t.Fatalf("%v", m)
		}
	}
	ts.postJSON(t, "/queue", map[string]any{"clear": true})
	m := ws.next()
	if m.Type != "status" || m.Data["status"].(map[string]any)["exec_info"].(map[string]any)["queue_remaining"] != 1.0 {
		t.Fatalf("status after clear %+v", m)
	}
	_, body := ts.get(t, "/queue")
	if !strings.HasSuffix(string(body), `"queue_pending": []}`) {
		t.Errorf("queue after clear %s", body)
	}
}

// TestPromptSensitiveKeys: auth keys reach the executor, never /queue or
// history; client_id and create_time are added to extra_data.
func TestPromptSensitiveKeys(t *testing.T) {
	ts := newTestServer(t)
	id := ts.queuePrompt(t, map[string]any{"prompt": outPrompt("1"), "client_id": "cid",
		"extra_data": map[string]any{"extra_pnginfo": map[string]any{"workflow": map[string]any{"id": "wf"}}, "api_key_comfy_org": "secret"}})
	h := ts.waitHistory(t, id)
	raw, _ := json.Marshal(h)
	if strings.Contains(string(raw), "secret") {
		t.Errorf("history leaks the key: %s", raw)
	}
	extra := h["prompt"].([]any)[3].(map[string]any)
	if extra["client_id"] != "cid" || extra["create_time"] == nil {
		t.Errorf("extra_data %v", extra)
	}
	_, body := ts.get(t, "/api/jobs?status=completed")
	if !strings.Contains(string(body), `"workflow_id":"wf"`) || !strings.Contains(string(body), `"outputs_count":1`) {
		t.Errorf("jobs %s", body)
	}
}

func TestJobsDetail(t *testing.T) {
	ts := newTestServer(t)
	id := ts.queuePrompt(t, map[string]any{"prompt": outPrompt("9"), "extra_data": map[string]any{"extra_pnginfo": map[string]any{"workflow": map[string]any{"id": "w"}}}})
	ts.waitHistory(t, id)
	_, body := ts.get(t, "/api/jobs/"+id)
	var j map[string]any
	if err := json.Unmarshal(body, &j); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "status", "priority", "create_time", "execution_start_time", "execution_end_time", "outputs_count", "preview_output", "workflow_id", "outputs", "execution_status", "workflow"} {
		if _, ok := j[k]; !ok {
			t.Errorf("job detail lacks %q: %s", k, body)
		}
	}
	if _, ok := j["execution_error"]; ok {
		t.Errorf("successful job has execution_error")
	}
	prev := j["preview_output"].(map[string]any)
	if prev["nodeId"] != "9" || prev["mediaType"] != "images" || prev["filename"] != "9.png" {
		t.Errorf("preview_output %v", prev)
	}
	wf := j["workflow"].(map[string]any)
	if _, ok := wf["prompt"].(map[string]any)["9"]; !ok {
		t.Errorf("workflow %v", wf)
	}
}

// TestExecutorPanic: a panicking engine fails the prompt, not the server.
func TestExecutorPanic(t *testing.T) {
	ts := newTestServer(t)
	id := ts.queuePrompt(t, map[string]any{"prompt": map[string]any{"1": map[string]any{"class_type": "Panic", "inputs": map[string]any{}}}})
	h := ts.waitHistory(t, id)
	if st := h["status"].(map[string]any); st["status_str"] != "error" {
		t.Errorf("status %v", st)
	}
	id2 := ts.queuePrompt(t, map[string]any{"prompt": outPrompt("2")})
	ts.waitHistory(t, id2)
}
