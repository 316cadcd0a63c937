package graph

import (
	"context"
	"sync"

	"comfyd/nodes"
)

// CacheOptions choose the output cache policy between prompts (spec 4.9).
type CacheOptions struct {
	// LRU > 0 keeps up to LRU entries across prompts (--cache-lru N).
	LRU int
	// None keeps nothing between prompts (--cache-none).
	None bool
}

// Executor runs validated prompts one at a time, keeping the output cache
// between them. It is safe for concurrent use, but Execute calls are
// serialised.
type Executor struct {
	reg  *nodes.Registry
	env  *nodes.Env
	opts CacheOptions
	mu   sync.Mutex
}

// NewExecutor returns an executor with an empty cache.
func NewExecutor(reg *nodes.Registry, env *nodes.Env, opts CacheOptions) *Executor {
	return &Executor{reg: reg, env: env, opts: opts}
}

// Request is one queued prompt.
type Request struct {
	PromptID string
	Prompt   *Prompt
	// ExtraData is extra_data: client_id, extra_pnginfo, ...
	ExtraData map[string]any
	// Outputs are the output node ids to execute (Validation.Outputs).
	Outputs []string
}

// Outcome is what history records about a run (spec 5.2).
type Outcome struct {
	Status    string // "success" or "error"
	Completed bool
	// Outputs holds the UI dict of every prompt node with one.
	Outputs map[string]map[string][]any
	// Messages are the history status messages: [event name, payload].
	Messages [][2]any
	// Meta holds, per Outputs key, {node_id, display_node, parent_node, real_node_id}.
	Meta map[string]any
}

// Execute runs req. Cancelling ctx interrupts the run.
func (e *Executor) Execute(ctx context.Context, req Request, ev Events) Outcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	ev.ExecutionStart(req.PromptID)
	ev.ExecutionError(ExecutionError{PromptID: req.PromptID, ExceptionType: "NotImplemented",
		ExceptionMessage: "comfyd: the graph executor is not implemented yet", Executed: []string{},
		Traceback: []string{}, CurrentInputs: map[string]any{}})
	return Outcome{Status: "error", Outputs: map[string]map[string][]any{}, Meta: map[string]any{}}
}

// Free drops every cached output (POST /free).
func (e *Executor) Free() {
	e.mu.Lock()
	defer e.mu.Unlock()
}
