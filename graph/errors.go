package graph

import "fmt"

// Error is ComfyUI's error object (spec 2.3): the top-level "error" of a
// 400 answer and each entry of a node's "errors". ExtraInfo is never nil so
// it encodes as {} like upstream.
type Error struct {
	Type      string         `json:"type"`
	Message   string         `json:"message"`
	Details   string         `json:"details"`
	ExtraInfo map[string]any `json:"extra_info"`
}

func (e *Error) Error() string {
	if e.Details == "" {
		return e.Message
	}
	return e.Message + ": " + e.Details
}

// NodeError is one node_errors entry.
type NodeError struct {
	Errors           []*Error `json:"errors"`
	DependentOutputs []string `json:"dependent_outputs"`
	ClassType        string   `json:"class_type"`
}

func newError(typ, message, details string, extra map[string]any) *Error {
	if extra == nil {
		extra = map[string]any{}
	}
	return &Error{Type: typ, Message: message, Details: details, ExtraInfo: extra}
}

// invalidPrompt is the error for a prompt body that is not an object of
// node objects. Upstream answers such bodies with a 500; comfyd answers 400
// with an error object (spec 9.6).
func invalidPrompt(what string, err error) *Error {
	return newError("invalid_prompt", "Invalid prompt", fmt.Sprintf("%s: %v", what, err), nil)
}
