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
	b, _ := json.Marshal(struct {
		Error      *graph.Error   `json:"error"`
		NodeErrors map[string]any `json:"node_errors"`
	}{e, map[string]any{}})
	return b
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
		body, _ := json.Marshal(v.Body())
		return Validation{Body: body}
	}
	coerced, err := p.MarshalJSON()
	if err != nil {
		return Validation{Body: errorBody(&graph.Error{Type: "invalid_prompt", Message: "Invalid prompt", Details: err.Error(), ExtraInfo: map[string]any{}})}
	}
	nodeErrors, _ := json.Marshal(v.NodeErrors)
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
				body, _ := json.Marshal(v.Body())
				err = errors.New(string(body))
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
