package server

import (
	"context"
	"encoding/json"
	"errors"

	"comfyd/graph"
)

// graphEngine adapts package graph to Engine.
type graphEngine struct {
	cfg  Config
	exec *graph.Executor
}

func newGraphEngine(cfg Config) Engine {
	return &graphEngine{cfg: cfg, exec: graph.NewExecutor(cfg.Registry, cfg.Env,
		graph.CacheOptions{LRU: cfg.CacheLRU, None: cfg.CacheNone})}
}

// errorBody is the 400 body for an error found before validation.
func errorBody(e *graph.Error) []byte {
	return validationBody(e, nil)
}

// unencodableBody is the last-resort 400 body, should even the repaired
// error not encode.
const unencodableBody = `{"error": {"type": "invalid_prompt", "message": "Invalid prompt", ` +
	`"details": "the validation error could not be encoded as JSON", "extra_info": {}}, "node_errors": {}}`

// validationBody is ComfyUI's 400 body {"error", "node_errors"}. It is
// always valid JSON: see encodableError.
func validationBody(e *graph.Error, nodeErrors map[string]*graph.NodeError) []byte {
	if nodeErrors == nil {
		nodeErrors = map[string]*graph.NodeError{}
	}
	b, err := json.Marshal(struct {
		Error      *graph.Error                `json:"error"`
		NodeErrors map[string]*graph.NodeError `json:"node_errors"`
	}{encodableError(e), encodableNodeErrors(nodeErrors)})
	if err != nil {
		return []byte(unencodableBody)
	}
	return b
}

// encodableNodeErrors returns nodeErrors with each reason passed through
// encodableError (a copy only where one does not encode).
func encodableNodeErrors(m map[string]*graph.NodeError) map[string]*graph.NodeError {
	if _, err := json.Marshal(m); err == nil {
		return m
	}
	out := make(map[string]*graph.NodeError, len(m))
	for id, ne := range m {
		c := *ne
		c.Errors = make([]*graph.Error, len(ne.Errors))
		for i, e := range ne.Errors {
			c.Errors[i] = encodableError(e)
		}
		out[id] = &c
	}
	return out
}

// encodableError returns e, or, when its extra_info does not encode
// (encoding/json refuses ±Inf and NaN; package graph avoids putting them
// there, this is the backstop), a copy whose extra_info says why instead:
// a client must never get a 400 with an empty body.
func encodableError(e *graph.Error) *graph.Error {
	if e == nil {
		return nil
	}
	_, err := json.Marshal(e)
	if err == nil {
		return e
	}
	c := *e
	c.ExtraInfo = map[string]any{"encoding_error": "extra_info could not be encoded as JSON: " + err.Error()}
	return &c
}

func (g *graphEngine) Validate(prompt json.RawMessage, targets []string) Validation {
	p, err := graph.DecodePrompt(prompt)
	if err != nil {
		var ge *graph.Error
		if !errors.As(err, &ge) {
			ge = &graph.Error{Type: "invalid_prompt", Message: "Invalid prompt", Details: err.Error(), ExtraInfo: map[string]any{}}
		}
		return Validation{Body: errorBody(ge)}
	}
	v := graph.Validate(g.cfg.Registry, g.cfg.Env, p, targets)
	if !v.OK {
		return Validation{Body: validationBody(v.Error, v.NodeErrors)}
	}
	coerced, err := p.MarshalJSON()
	if err != nil {
		return Validation{Body: errorBody(&graph.Error{Type: "invalid_prompt", Message: "Invalid prompt", Details: err.Error(), ExtraInfo: map[string]any{}})}
	}
	nodeErrors, err := json.Marshal(encodableNodeErrors(v.NodeErrors))
	if err != nil {
		nodeErrors = []byte("{}")
	}
	return Validation{OK: true, Prompt: coerced, Outputs: v.Outputs, NodeErrors: nodeErrors, Prepared: p}
}

// Execute runs a prompt. A prompt recovered from the store after a restart
// has no validated form in memory: it is decoded and validated again
// (coercion is idempotent), and a prompt that no longer validates (a model
// file removed meanwhile) fails with an execution_error.
func (g *graphEngine) Execute(ctx context.Context, run Run, ev graph.Events) Outcome {
	p, _ := run.Prepared.(*graph.Prompt)
	if p == nil {
		var err error
		p, err = graph.DecodePrompt(run.Prompt)
		if err == nil {
			if v := graph.Validate(g.cfg.Registry, g.cfg.Env, p, run.Outputs); !v.OK {
				err = errors.New(string(validationBody(v.Error, v.NodeErrors)))
			}
		}
		if err != nil {
			ev.ExecutionStart(run.PromptID)
			ev.ExecutionCached(run.PromptID, nil)
			ev.ExecutionError(graph.ExecutionError{PromptID: run.PromptID, NodeType: "",
				ExceptionMessage: "the queued prompt no longer validates: " + err.Error(),
				ExceptionType:    "ValidationError"})
			return Outcome{}
		}
	}
	out := g.exec.Execute(ctx, graph.Request{PromptID: run.PromptID, Prompt: p, ExtraData: run.ExtraData, Outputs: run.Outputs}, ev)
	res := Outcome{Success: out.Status == "success"}
	for _, id := range p.IDs {
		ui, ok := out.Outputs[id]
		if !ok {
			continue
		}
		no := NodeOutput{NodeID: id, UI: ui}
		if m, ok := out.Meta[id].(map[string]any); ok {
			no.Meta.NodeID, _ = m["node_id"].(string)
			no.Meta.DisplayNode, _ = m["display_node"].(string)
			no.Meta.RealNodeID, _ = m["real_node_id"].(string)
			if parent, ok := m["parent_node"].(string); ok {
				no.Meta.ParentNode = &parent
			}
		}
		res.Outputs = append(res.Outputs, no)
	}
	return res
}

func (g *graphEngine) Free() { g.exec.Free() }
