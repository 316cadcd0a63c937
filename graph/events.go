// Package graph decodes, validates and executes API-format workflows with
// ComfyUI's semantics (../shared/spec/comfy-api.md sections 2.2-2.3 and 4).
// It reports through Events and never imports the server.
package graph

// Events receives what the executor does, in the order ComfyUI sends the
// matching WebSocket messages. The server implements it; tests record it.
// Implementations must not block for long: the executor waits on them.
type Events interface {
	ExecutionStart(promptID string)
	ExecutionCached(promptID string, nodeIDs []string)
	// Executing announces the node about to run (display id may differ
	// from the real id for expanded nodes).
	Executing(promptID, nodeID, displayNode string)
	Progress(promptID, nodeID string, value, max int)
	// ProgressState carries the per-node states for the frontend's node
	// highlighting (ComfyUI's progress_state message). nodes is lent for
	// the duration of the call only (the executor keeps updating it):
	// encode it right away, or copy it to keep it.
	ProgressState(promptID string, nodes map[string]NodeProgress)
	// Preview carries an encoded latent preview ("JPEG" or "PNG").
	Preview(promptID, nodeID string, format string, data []byte)
	// Executed reports a node's UI result. ui is nil for a node served
	// from the cache without UI (upstream sends "output": null then).
	Executed(promptID, nodeID, displayNode string, ui map[string][]any)
	ExecutionSuccess(promptID string)
	ExecutionError(e ExecutionError)
	ExecutionInterrupted(e ExecutionInterrupted)
}

// NodeProgress is one node's entry of a progress_state message.
type NodeProgress struct {
	Value         float64 `json:"value"`
	Max           float64 `json:"max"`
	State         string  `json:"state"` // pending, running, finished, error
	NodeID        string  `json:"node_id"`
	PromptID      string  `json:"prompt_id"`
	DisplayNodeID string  `json:"display_node_id"`
	ParentNodeID  *string `json:"parent_node_id"`
	RealNodeID    string  `json:"real_node_id"`
}

// ExecutionError is the execution_error payload (spec 4.8).
type ExecutionError struct {
	PromptID         string         `json:"prompt_id"`
	NodeID           string         `json:"node_id"`
	NodeType         string         `json:"node_type"`
	Executed         []string       `json:"executed"`
	ExceptionMessage string         `json:"exception_message"`
	ExceptionType    string         `json:"exception_type"`
	Traceback        []string       `json:"traceback"`
	CurrentInputs    map[string]any `json:"current_inputs"`
	CurrentOutputs   any            `json:"current_outputs"`
	Timestamp        int64          `json:"timestamp,omitempty"`
}

// ExecutionInterrupted is the execution_interrupted payload (spec 4.7).
type ExecutionInterrupted struct {
	PromptID  string   `json:"prompt_id"`
	NodeID    string   `json:"node_id"`
	NodeType  string   `json:"node_type"`
	Executed  []string `json:"executed"`
	Timestamp int64    `json:"timestamp,omitempty"`
}
