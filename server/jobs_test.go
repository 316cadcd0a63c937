package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

func TestSummariseOutputs(t *testing.T) {
	outs := []NodeOutput{
		{NodeID: "5", UI: map[string][]any{"text": {"hello"}, "animated": {true}}},
		{NodeID: "7", UI: map[string][]any{"images": {map[string]any{"filename": "t.png", "subfolder": "", "type": "temp"}}}},
		{NodeID: "9", UI: map[string][]any{
			"images": {map[string]any{"filename": "o.png", "subfolder": "", "type": "output"}},
			"3d":     {"mesh.GLB"},
		}},
	}
	count, preview := summariseOutputs(outs)
	// text strings do not count, 3D names do; animated is skipped.
	if count != 3 {
		t.Errorf("outputs_count %d, want 3", count)
	}
	want := map[string]any{"filename": "o.png", "subfolder": "", "type": "output", "nodeId": "9", "mediaType": "images"}
	if !reflect.DeepEqual(preview, want) {
		t.Errorf("preview_output %v", preview)
	}
	// Without an output-type item the first previewable one is used.
	_, preview = summariseOutputs(outs[:2])
	if preview["filename"] != "t.png" {
		t.Errorf("fallback preview %v", preview)
	}
	norm := newOrderedObject()
	norm.UnmarshalJSON([]byte(`{"9": {"3d": ["a.obj", null, {"filename": "b.glb"}]}}`))
	if got := string(normaliseJobOutputs(norm)); got != `{"9":{"3d":[{"filename":"a.obj","mediaType":"3d","subfolder":"","type":"output"},{"filename":"b.glb"}]}}` {
		t.Errorf("normalised outputs %s", got)
	}
}

// TestJobsListing: filters, sorting and pagination over finished, failed
// and pending jobs.
func TestJobsListing(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("ok%d", i)
		ts.queuePrompt(t, map[string]any{"prompt": outPrompt(fmt.Sprint(i)), "prompt_id": id,
			"extra_data": map[string]any{"extra_pnginfo": map[string]any{"workflow": map[string]any{"id": fmt.Sprint("w", i%2)}}}})
		ts.waitHistory(t, id)
	}
	ts.queuePrompt(t, map[string]any{"prompt": map[string]any{"1": map[string]any{"class_type": "Fail", "inputs": map[string]any{}}}, "prompt_id": "bad"})
	ts.waitHistory(t, "bad")
	blocker, release := pause(t, ts)
	defer release()
	ts.queuePrompt(t, map[string]any{"prompt": outPrompt("p"), "prompt_id": "pend"})

	list := func(q string) (ids []string, page Pagination) {
		t.Helper()
		code, body := ts.get(t, "/api/jobs"+q)
		if code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		var resp struct {
			Jobs       []Job      `json:"jobs"`
			Pagination Pagination `json:"pagination"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		for _, j := range resp.Jobs {
			ids = append(ids, j.ID+":"+j.Status)
		}
		return ids, resp.Pagination
	}
	ids, page := list("?status=completed&sort_order=asc")
	if !reflect.DeepEqual(ids, []string{"ok0:completed", "ok1:completed", "ok2:completed"}) || page.Total != 3 || page.HasMore {
		t.Errorf("completed asc %v %+v", ids, page)
	}
	ids, page = list("?status=completed&limit=2&offset=0")
	if len(ids) != 2 || page.Total != 3 || !page.HasMore || *page.Limit != 2 {
		t.Errorf("paged %v %+v", ids, page)
	}
	ids, _ = list("?status=failed")
	if !reflect.DeepEqual(ids, []string{"bad:failed"}) {
		t.Errorf("failed %v", ids)
	}
	ids, _ = list("?status=in_progress,pending&limit=200&offset=0&sort_order=asc")
	if !reflect.DeepEqual(ids, []string{blocker + ":in_progress", "pend:pending"}) {
		t.Errorf("queue jobs %v", ids)
	}
	ids, _ = list("?workflow_id=w1")
	if !reflect.DeepEqual(ids, []string{"ok1:completed"}) {
		t.Errorf("by workflow %v", ids)
	}
	ids, _ = list("?status=completed&sort_by=execution_duration&offset=-5")
	if len(ids) != 3 {
		t.Errorf("by duration %v", ids)
	}
	_, body := ts.get(t, "/api/jobs/bad")
	var j map[string]any
	json.Unmarshal(body, &j)
	if j["status"] != "failed" || j["execution_error"].(map[string]any)["exception_message"] != "boom" {
		t.Errorf("failed job detail %s", body)
	}
	_, body = ts.get(t, "/api/jobs/pend")
	if err := json.Unmarshal(body, &j); err != nil || j["status"] != "pending" || j["outputs_count"] != 0.0 {
		t.Errorf("pending job detail %s", body)
	}
	// Cancelling a pending job removes it.
	if _, body := ts.postJSON(t, "/api/jobs/pend/cancel", ""); string(body) != `{"cancelled":true}` {
		t.Errorf("cancel %s", body)
	}
	if _, body := ts.postJSON(t, "/api/jobs/cancel", `{"job_ids": ["`+blocker+`"]}`); string(body) != `{"cancelled":true}` {
		t.Errorf("cancel running %s", body)
	}
}
