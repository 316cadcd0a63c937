package server

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"comfyd/graph"
	"comfyd/nodes"
)

// graphRegistry has tiny node classes run by the real package graph.
func graphRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	reg.Register(
		&nodes.Class{
			Name:     "TestConst",
			Required: []nodes.Input{{Name: "value", Type: "INT", Options: nodes.Options{"default": 0, "min": 0, "max": 100}}},
			Outputs:  []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				v, err := in.Int("value")
				return nodes.Result{Outputs: []any{v}}, err
			},
		},
		&nodes.Class{
			Name:       "TestSave",
			OutputNode: true,
			Required:   []nodes.Input{{Name: "value", Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				for i := 1; i <= 2; i++ {
					ctx.Progress(i, 2)
					ctx.Preview("JPEG", []byte{0xff, 0xd8})
				}
				return nodes.Result{UI: nodes.UI{"images": {nodes.FileRef{Filename: "x.png", Type: "output"}}}}, nil
			},
		},
		&nodes.Class{
			Name:       "TestFail",
			OutputNode: true,
			Required:   []nodes.Input{{Name: "value", Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				return nodes.Result{}, errors.New("kaput")
			},
		},
	)
	return reg
}

// TestGraphEngine runs prompts through the real executor: a fresh run, a
// cached re-run, a validation error and an execution error.
func TestGraphEngine(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Registry = graphRegistry(); c.Engine = nil })
	c := ts.dial(t, "?clientId=G")
	c.next()
	prompt := map[string]any{
		"1": map[string]any{"class_type": "TestConst", "inputs": map[string]any{"value": 7.9}},
		"2": map[string]any{"class_type": "TestSave", "inputs": map[string]any{"value": []any{"1", 0}}},
	}
	id := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "G"})
	got := c.until(runEnd(id))
	var kinds []string
	for _, m := range got {
		if m.Type != "progress_state" {
			kinds = append(kinds, m.String())
		}
	}
	want := []string{"status", "status", "execution_start", "execution_cached", "executing", "executing",
		"progress", "<binary 1>", "progress", "<binary 1>", "executed", "execution_success", "status", "executing"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("messages\n got %v\nwant %v", kinds, want)
	}
	h := ts.waitHistory(t, id)
	// The queued prompt is the validated one: 7.9 truncated to 7.
	p := h["prompt"].([]any)[2].(map[string]any)["1"].(map[string]any)["inputs"].(map[string]any)
	if p["value"] != 7.0 {
		t.Errorf("coerced value %v", p["value"])
	}
	if out := h["outputs"].(map[string]any)["2"]; out == nil {
		t.Errorf("outputs %v", h["outputs"])
	}

	id2 := ts.queuePrompt(t, map[string]any{"prompt": prompt, "client_id": "G"})
	got = c.until(runEnd(id2))
	kinds = nil
	for _, m := range got {
		if m.Type != "progress_state" {
			kinds = append(kinds, m.String())
		}
	}
	want = []string{"status", "status", "execution_start", "execution_cached", "executed", "execution_success", "status", "executing"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("cached run\n got %v\nwant %v", kinds, want)
	}

	bad := map[string]any{"1": map[string]any{"class_type": "TestConst", "inputs": map[string]any{"value": 500}},
		"2": map[string]any{"class_type": "TestSave", "inputs": map[string]any{"value": []any{"1", 0}}}}
	code, body := ts.postJSON(t, "/prompt", map[string]any{"prompt": bad})
	if code != 400 || !strings.Contains(string(body), `"type":"value_bigger_than_max"`) || !strings.Contains(string(body), `"dependent_outputs":["2"]`) {
		t.Errorf("validation error: %d %s", code, body)
	}
	code, body = ts.postJSON(t, "/prompt", map[string]any{"prompt": map[string]any{"1": map[string]any{"class_type": "Nope", "inputs": map[string]any{}}}})
	if code != 400 || !strings.Contains(string(body), `"node_errors":{}`) {
		t.Errorf("unknown class: %d %s", code, body)
	}

	fail := map[string]any{
		"1": map[string]any{"class_type": "TestConst", "inputs": map[string]any{"value": 3}},
		"3": map[string]any{"class_type": "TestFail", "inputs": map[string]any{"value": []any{"1", 0}}},
	}
	id3 := ts.queuePrompt(t, map[string]any{"prompt": fail, "client_id": "G"})
	got = c.until(runEnd(id3))
	var errMsg map[string]any
	for _, m := range got {
		if m.Type == "execution_error" {
			errMsg = m.Data
		}
	}
	if errMsg == nil || errMsg["node_id"] != "3" || !strings.Contains(errMsg["exception_message"].(string), "kaput") {
		t.Errorf("execution_error %v", errMsg)
	}
}

// TestGraphEngineMalformedPrompt: a prompt that is not an object of nodes
// is a 400 with an error object, not a 500.
func TestGraphEngineMalformedPrompt(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Registry = graphRegistry(); c.Engine = nil })
	for _, p := range []string{`[]`, `"x"`, `{"1": 5}`, `{}`} {
		code, body := ts.postJSON(t, "/prompt", `{"prompt": `+p+`}`)
		if code != 400 || !strings.Contains(string(body), `"node_errors":{}`) || !strings.Contains(string(body), `"type":"`) {
			t.Errorf("prompt %s: %d %s", p, code, body)
		}
	}
}

// TestGraphEngineInterrupt: /interrupt stops a running node through its
// context; the client gets execution_interrupted, history says error.
func TestGraphEngineInterrupt(t *testing.T) {
	reg := graphRegistry()
	started := make(chan struct{}, 1)
	reg.Register(&nodes.Class{
		Name: "TestWait", OutputNode: true,
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nodes.Result{}, ctx.Err()
		},
	})
	ts := newTestServer(t, func(c *Config) { c.Registry = reg; c.Engine = nil })
	c := ts.dial(t, "?clientId=I")
	c.next()
	id := ts.queuePrompt(t, map[string]any{"prompt": map[string]any{"4": map[string]any{"class_type": "TestWait", "inputs": map[string]any{}}}, "client_id": "I"})
	<-started
	if code, _ := ts.postJSON(t, "/api/interrupt", map[string]any{"prompt_id": id}); code != 200 {
		t.Fatal(code)
	}
	var kinds []string
	var intr map[string]any
	for _, m := range c.until(runEnd(id)) {
		if m.Type == "progress_state" {
			continue
		}
		kinds = append(kinds, m.Type)
		if m.Type == "execution_interrupted" {
			intr = m.Data
		}
	}
	want := []string{"status", "status", "execution_start", "execution_cached", "executing", "execution_interrupted", "status", "executing"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("messages\n got %v\nwant %v", kinds, want)
	}
	if intr["node_id"] != "4" || intr["node_type"] != "TestWait" || intr["prompt_id"] != id {
		t.Errorf("execution_interrupted %v", intr)
	}
	h := ts.waitHistory(t, id)
	if st := h["status"].(map[string]any); st["status_str"] != "error" || st["completed"] != false {
		t.Errorf("history status %v", st)
	}
}

// TestValidationBodyAlwaysEncodes: a number beyond float64 ("value":
// 1e400) must not turn the 400 answer into an empty body. Package graph
// reports it as the JSON text received; any other value JSON cannot carry
// loses its extra_info, not the whole answer.
func TestValidationBodyAlwaysEncodes(t *testing.T) {
	eng := newGraphEngine(Config{Registry: graphRegistry()})
	for _, raw := range []string{"1e400", "-1e400"} {
		prompt := `{"1": {"class_type": "TestConst", "inputs": {"value": ` + raw + `}},
			"2": {"class_type": "TestSave", "inputs": {"value": ["1", 0]}}}`
		v := eng.Validate(json.RawMessage(prompt), nil)
		var body struct {
			Error      *graph.Error                `json:"error"`
			NodeErrors map[string]*graph.NodeError `json:"node_errors"`
		}
		if v.OK || json.Unmarshal(v.Body, &body) != nil || body.Error == nil {
			t.Fatalf("%s: ok=%v body %q", raw, v.OK, v.Body)
		}
		if got := body.NodeErrors["1"].Errors[0].ExtraInfo["received_value"]; got != raw {
			t.Errorf("%s: received_value %#v", raw, got)
		}
	}

	bad := &graph.Error{Type: "value_bigger_than_max", Message: "m", Details: "d", ExtraInfo: map[string]any{"received_value": math.Inf(1)}}
	body := validationBody(bad, map[string]*graph.NodeError{"1": {Errors: []*graph.Error{bad}, DependentOutputs: []string{"2"}, ClassType: "C"}})
	var got struct {
		Error      *graph.Error                `json:"error"`
		NodeErrors map[string]*graph.NodeError `json:"node_errors"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if got.Error.Type != bad.Type || got.NodeErrors["1"].ClassType != "C" || got.NodeErrors["1"].Errors[0].ExtraInfo["encoding_error"] == nil {
		t.Errorf("body %s", body)
	}
	if bad.ExtraInfo["received_value"] != math.Inf(1) {
		t.Error("the caller's error was modified")
	}
}
