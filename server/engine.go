package server

import (
	"context"
	"encoding/json"

	"comfyd/graph"
)

// Engine validates and executes prompts. The worker and the /prompt
// handler depend on this interface only, so tests can inject a fake; the
// production engine adapts package graph.
type Engine interface {
	// Validate checks a prompt (the JSON object under "prompt") and, when
	// it is valid, returns it coerced as ComfyUI's validate_prompt does.
	Validate(prompt json.RawMessage, partialTargets []string) Validation
	// Execute runs one prompt to its end, reporting through ev. It returns
	// when the prompt succeeded, failed or was interrupted (ctx cancelled).
	Execute(ctx context.Context, run Run, ev graph.Events) Outcome
	// Free drops every cached node output (POST /free free_memory).
	Free()
}

// Validation is the result of Engine.Validate.
type Validation struct {
	OK bool
	// Prompt is the coerced prompt to queue (valid prompts only).
	Prompt json.RawMessage
	// Outputs are the output node ids to execute.
	Outputs []string
	// NodeErrors is the node_errors object (may be non-empty when OK).
	NodeErrors json.RawMessage
	// Body is the exact 400 body when !OK.
	Body []byte
	// Prepared is the engine's own validated form of Prompt, handed back
	// in Run so execution need not decode and validate again. Kept in
	// memory only: prompts recovered after a restart arrive without it.
	Prepared any
}

// Run is one prompt handed to the executor.
type Run struct {
	PromptID  string
	Prompt    json.RawMessage
	ExtraData map[string]any
	Outputs   []string
	Prepared  any // Validation.Prepared, nil after a restart
}

// Outcome is what an execution left: whether it succeeded and the UI
// outputs available for the history entry, in execution order.
type Outcome struct {
	Success bool
	Outputs []NodeOutput
}

// NodeOutput is one node's UI result and where it is displayed.
type NodeOutput struct {
	NodeID string
	UI     map[string][]any
	Meta   NodeMeta
}
