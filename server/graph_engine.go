package server

import (
	"context"
	"encoding/json"

	"comfyd/graph"
)

// graphEngine adapts package graph to Engine.
type graphEngine struct {
	cfg Config
}

func newGraphEngine(cfg Config) Engine { return &graphEngine{cfg: cfg} }

// errNoExecutor is reported until package graph provides validation and
// execution.
var errNoExecutor = ErrorObject{
	Type:      "invalid_prompt",
	Message:   "Cannot execute because this comfyd build has no executor",
	Details:   "package graph does not provide Validate/NewExecutor yet",
	ExtraInfo: map[string]any{},
}

func (g *graphEngine) Validate(prompt json.RawMessage, targets []string) Validation {
	body, _ := json.Marshal(PromptError{Error: errNoExecutor, NodeErrors: map[string]any{}})
	return Validation{Body: body}
}

func (g *graphEngine) Execute(ctx context.Context, run Run, ev graph.Events) Outcome {
	return Outcome{}
}

func (g *graphEngine) Free() {}
