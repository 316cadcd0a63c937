package server

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"comfyd/graph"
)

// fakeEngine executes prompts of fake nodes without package graph. A
// prompt is {"id": {"class_type": C, "inputs": {...}}}; classes:
//   - "Out": an output node producing {"images": [file ref]}
//   - "Slow": an output node that reports inputs.steps progress steps and
//     waits on the engine's gate between steps (interrupt tests)
//   - "Fail": an output node that raises
//   - "Bad": invalid at validation
//
// Node outputs are cached by node id + inputs between prompts, so an
// identical re-run reports every node cached.
type fakeEngine struct {
	mu    sync.Mutex
	cache map[string]map[string][]any // signature -> UI
	runs  []string                    // prompt ids in execution order
	gate  chan struct{}               // when non-nil, Slow waits on it per step
	freed int
	// previewSize is the size of the fake preview images (default 3).
	previewSize int
}

func newFakeEngine() *fakeEngine { return &fakeEngine{cache: map[string]map[string][]any{}} }

type fakeNode struct {
	ClassType string         `json:"class_type"`
	Inputs    map[string]any `json:"inputs"`
}

func (f *fakeEngine) Validate(prompt json.RawMessage, targets []string) Validation {
	var p map[string]fakeNode
	if err := json.Unmarshal(prompt, &p); err != nil {
		body, _ := json.Marshal(PromptError{Error: ErrorObject{Type: "invalid_prompt", Message: "bad", Details: err.Error(), ExtraInfo: map[string]any{}}, NodeErrors: map[string]any{}})
		return Validation{Body: body}
	}
	var outs []string
	for id, n := range p {
		switch n.ClassType {
		case "Bad":
			body := []byte(`{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}}, "node_errors": {"` + id + `": {"errors": [], "dependent_outputs": ["` + id + `"], "class_type": "Bad"}}}`)
			return Validation{Body: body}
		case "Out", "Slow", "Fail", "Panic":
			outs = append(outs, id)
		}
	}
	return Validation{OK: true, Prompt: prompt, Outputs: outs, NodeErrors: json.RawMessage(`{}`)}
}

func (f *fakeEngine) Execute(ctx context.Context, run Run, ev graph.Events) Outcome {
	f.mu.Lock()
	f.runs = append(f.runs, run.PromptID)
	gate := f.gate
	f.mu.Unlock()
	var p map[string]fakeNode
	_ = json.Unmarshal(run.Prompt, &p)
	ev.ExecutionStart(run.PromptID)
	sig := func(id string) string { b, _ := json.Marshal(p[id]); return id + string(b) }
	var cached []string
	f.mu.Lock()
	for _, id := range run.Outputs {
		if _, ok := f.cache[sig(id)]; ok {
			cached = append(cached, id)
		}
	}
	f.mu.Unlock()
	ev.ExecutionCached(run.PromptID, cached)
	var outs []NodeOutput
	var executed []string
	for _, id := range run.Outputs {
		n := p[id]
		f.mu.Lock()
		ui, hit := f.cache[sig(id)]
		f.mu.Unlock()
		if hit {
			ev.Executed(run.PromptID, id, id, ui)
			outs = append(outs, NodeOutput{NodeID: id, UI: ui})
			continue
		}
		ev.Executing(run.PromptID, id, id)
		switch n.ClassType {
		case "Panic":
			panic("fake engine bug")
		case "Fail":
			ev.ExecutionError(graph.ExecutionError{PromptID: run.PromptID, NodeID: id, NodeType: "Fail",
				Executed: executed, ExceptionMessage: "boom", ExceptionType: "ValueError"})
			return Outcome{Outputs: outs}
		case "Slow":
			steps, _ := n.Inputs["steps"].(float64)
			for s := 1; s <= int(steps); s++ {
				if gate != nil {
					select {
					case <-gate:
					case <-ctx.Done():
					}
				}
				if ctx.Err() != nil {
					ev.ExecutionInterrupted(graph.ExecutionInterrupted{PromptID: run.PromptID, NodeID: id, NodeType: "Slow", Executed: executed})
					return Outcome{Outputs: outs}
				}
				ev.Progress(run.PromptID, id, s, int(steps))
				img := []byte{0xff, 0xd8, byte(s)}
				if f.previewSize > 0 {
					img = make([]byte, f.previewSize)
					img[0] = 0xff
				}
				ev.Preview(run.PromptID, id, "JPEG", img)
			}
		}
		ui = map[string][]any{"images": {map[string]any{"filename": id + ".png", "subfolder": "", "type": "output"}}}
		f.mu.Lock()
		f.cache[sig(id)] = ui
		f.mu.Unlock()
		executed = append(executed, id)
		ev.Executed(run.PromptID, id, id, ui)
		outs = append(outs, NodeOutput{NodeID: id, UI: ui})
	}
	ev.ExecutionSuccess(run.PromptID)
	return Outcome{Success: true, Outputs: outs}
}

func (f *fakeEngine) Free() {
	f.mu.Lock()
	f.cache = map[string]map[string][]any{}
	f.freed++
	f.mu.Unlock()
}

func (f *fakeEngine) runIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.runs...)
}

var _ = errors.New
