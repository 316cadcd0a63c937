package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

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
// between them. Execute calls are serialised; Free may be called at any
// time.
type Executor struct {
	reg   *nodes.Registry
	env   *nodes.Env
	mu    sync.Mutex // held by Execute and by Free while it clears
	cache *outputCache
	// freeAfterRun is set by a Free that found a prompt running: the
	// cache is dropped when that prompt ends, like upstream's /free flags
	// that the worker applies between prompts.
	freeAfterRun atomic.Bool
}

// NewExecutor returns an executor with an empty cache.
func NewExecutor(reg *nodes.Registry, env *nodes.Env, opts CacheOptions) *Executor {
	return &Executor{reg: reg, env: env, cache: newOutputCache(opts)}
}

// Free drops every cached output (POST /free). It never waits for a
// running prompt: the drop then happens when that prompt ends.
func (e *Executor) Free() {
	if !e.mu.TryLock() {
		e.freeAfterRun.Store(true)
		if !e.mu.TryLock() {
			return
		}
	}
	defer e.mu.Unlock()
	e.freeAfterRun.Store(false)
	e.cache.clear()
}

// Request is one queued prompt.
type Request struct {
	PromptID string
	// Prompt must have been through Validate (which coerces its literals).
	Prompt *Prompt
	// ExtraData is extra_data: client_id, extra_pnginfo, ...
	ExtraData map[string]any
	// Outputs are the output node ids to execute (Validation.Outputs).
	Outputs []string
}

// Outcome is what history records about a run (spec 5.2).
type Outcome struct {
	Status    string // "success" or "error" (error and interrupt alike)
	Completed bool
	// Outputs holds the UI dict of every prompt node that has one, run now
	// or served from the cache.
	Outputs map[string]map[string][]any
	// Messages are the history status messages, [event name, payload]:
	// execution_start, execution_cached, then execution_success,
	// execution_error (an ExecutionError) or execution_interrupted (an
	// ExecutionInterrupted).
	Messages [][2]any
	// Meta holds, per Outputs key, {node_id, display_node, parent_node,
	// real_node_id}.
	Meta map[string]any
}

// Execute runs req (spec 4). Cancelling ctx interrupts the run: the
// running node sees its context cancelled, no further node starts, and
// execution_interrupted is reported. Node expansion (spec 4.6) is not
// supported: Go nodes cannot return subgraphs.
func (e *Executor) Execute(ctx context.Context, req Request, ev Events) (out Outcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := &run{e: e, ctx: ctx, req: req, ev: ev, p: req.Prompt,
		results: map[string]*cacheEntry{}, ui: map[string]nodes.UI{}, progress: map[string]NodeProgress{}}
	if r.p == nil {
		r.p = &Prompt{Nodes: map[string]*Node{}}
	}
	defer func() {
		// Node panics are caught per call; this catches the rest (an
		// Events implementation, a bug here) so the server survives.
		if rec := recover(); rec != nil {
			r.logger().Error("graph: executor panic", "prompt_id", req.PromptID, "panic", rec, "stack", string(debug.Stack()))
			out = Outcome{Status: "error", Outputs: map[string]map[string][]any{}, Meta: map[string]any{}, Messages: r.messages}
		}
	}()
	out = r.execute()
	if e.freeAfterRun.Swap(false) {
		e.cache.clear()
	}
	return out
}

// run is the state of one Execute call.
type run struct {
	e   *Executor
	ctx context.Context
	req Request
	ev  Events
	p   *Prompt

	classes       map[string]*nodes.Class
	keys          map[string]cacheKey
	results       map[string]*cacheEntry // available this run (computed or cache hits)
	ui            map[string]nodes.UI    // UI of the nodes run or served from the cache
	list          *execList
	executed      []string
	cachedAtStart []string
	messages      [][2]any

	progressMu sync.Mutex
	progress   map[string]NodeProgress

	promptValue    any
	promptResolved bool
}

type stepResult int

const (
	stepSuccess stepResult = iota
	stepPending
	stepFailure
)

func now() int64 { return time.Now().UnixMilli() }

func (r *run) logger() *slog.Logger {
	if r.e.env != nil && r.e.env.Logger != nil {
		return r.e.env.Logger
	}
	return slog.Default()
}

func (r *run) message(name string, payload any) {
	r.messages = append(r.messages, [2]any{name, payload})
}

func (r *run) execute() Outcome {
	pid := r.req.PromptID
	r.message("execution_start", map[string]any{"prompt_id": pid, "timestamp": now()})
	r.ev.ExecutionStart(pid)

	r.classes = make(map[string]*nodes.Class, len(r.p.IDs))
	for _, id := range r.p.IDs {
		if cls, ok := r.e.reg.Get(r.p.Nodes[id].ClassType); ok {
			r.classes[id] = cls
		}
	}
	r.keys = computeKeys(r.p, r.classes, r.isChangedValue)
	r.e.cache.startPrompt(r.keys)
	defer r.e.cache.endPrompt()
	r.cachedAtStart = []string{}
	for _, id := range r.p.IDs {
		if r.e.cache.get(r.keys[id]) != nil {
			r.cachedAtStart = append(r.cachedAtStart, id)
		}
	}
	r.message("execution_cached", map[string]any{"nodes": r.cachedAtStart, "prompt_id": pid, "timestamp": now()})
	r.ev.ExecutionCached(pid, append([]string(nil), r.cachedAtStart...))

	ok := r.loop()
	if ok {
		r.message("execution_success", map[string]any{"prompt_id": pid, "timestamp": now()})
		r.ev.ExecutionSuccess(pid)
	}
	return r.outcome(ok)
}

// loop is upstream's execution loop: stage, execute, complete or unstage,
// until done or the first failure.
func (r *run) loop() bool {
	r.list = newExecList(r.p, r.classes, func(id string) bool { return r.available(id) != nil })
	if r.e.cache.opts.None {
		// Nothing outlives the prompt: drop outputs once no pending node
		// needs them (UI dicts stay for the history).
		r.list.release = func(id string) { delete(r.results, id) }
	}
	for _, o := range r.req.Outputs {
		if r.p.Nodes[o] == nil {
			r.fail(o, &nodeFailure{typ: "KeyError", msg: fmt.Sprintf("output node %q is not in the prompt", o)}, nil)
			return false
		}
		r.list.add(o, false)
	}
	for !r.list.empty() {
		id, ok := r.list.stage()
		if !ok {
			cycle := r.list.cycleNodes()
			blame := ""
			if len(cycle) > 0 {
				blame = cycle[0]
			}
			r.fail(blame, &nodeFailure{typ: "graph.DependencyCycleError", msg: "Dependency cycle detected", trace: []string{}, raw: true}, nil)
			return false
		}
		res, fail, inputs := r.step(id)
		switch res {
		case stepFailure:
			r.fail(id, fail, inputs)
			return false
		case stepPending:
			r.list.unstage()
		default:
			r.list.complete()
		}
	}
	return true
}

// available returns a node's outputs if this run has them or the cache
// holds them.
func (r *run) available(id string) *cacheEntry {
	if e := r.results[id]; e != nil {
		return e
	}
	key, ok := r.keys[id]
	if !ok {
		return nil
	}
	if e := r.e.cache.get(key); e != nil {
		r.results[id] = e
		return e
	}
	return nil
}

// step executes one staged node (upstream's execute()).
func (r *run) step(id string) (stepResult, *nodeFailure, map[string]any) {
	pid := r.req.PromptID
	n, cls := r.p.Nodes[id], r.classes[id]
	if cls == nil {
		return stepFailure, &nodeFailure{typ: "KeyError", msg: fmt.Sprintf("node class %q is not registered", n.ClassType)}, nil
	}
	if entry := r.available(id); entry != nil {
		var ui map[string][]any
		if len(entry.ui) > 0 {
			ui = entry.ui
		}
		r.ev.Executed(pid, id, id, ui)
		if ui != nil {
			r.ui[id] = ui
		}
		r.setProgress(id, "finished", -1, -1)
		return stepSuccess, nil, nil
	}

	r.setProgress(id, "running", 0, 1)
	il := r.gatherInputs(n, cls)
	r.ev.Executing(pid, id, id)
	nctx := r.nodeContext(id, cls)

	if cls.CheckLazyStatus != nil {
		needed, fail := r.lazyStatus(nctx, cls, il)
		if fail != nil {
			return stepFailure, fail, formatInputs(il)
		}
		added := false
		for _, name := range needed {
			in := n.Input(name)
			if in == nil {
				return stepFailure, &nodeFailure{typ: "NodeInputError", msg: fmt.Sprintf(
					"Node %s says it needs input %s, but there is no input to that node at all", id, name)}, formatInputs(il)
			}
			link, isLink := in.Value.(Link)
			if !isLink {
				return stepFailure, &nodeFailure{typ: "NodeInputError", msg: fmt.Sprintf(
					"Node %s says it needs input %s, but that value is a constant", id, name)}, formatInputs(il)
			}
			if r.list.addStrongLink(link.From, id) {
				added = true
			}
		}
		if added {
			return stepPending, nil, nil
		}
		// Every requested input was already available or could not be
		// produced: run with what there is rather than loop forever.
	}

	outputs, ui, fail := r.callNode(nctx, cls, il)
	if fail != nil {
		return stepFailure, fail, formatInputs(il)
	}
	entry := &cacheEntry{outputs: outputs, ui: ui}
	if len(ui) > 0 {
		r.ev.Executed(pid, id, id, ui)
	}
	r.results[id] = entry
	if len(ui) > 0 {
		r.ui[id] = ui
	}
	if !r.e.cache.opts.None {
		r.e.cache.set(r.keys[id], entry)
	}
	r.setProgress(id, "finished", -1, -1)
	r.executed = append(r.executed, id)
	return stepSuccess, nil, nil
}

// gatherInputs is upstream's get_input_data: linked values from available
// outputs (missing ones as nil), declared literals, hidden inputs.
func (r *run) gatherInputs(n *Node, cls *nodes.Class) *inputLists {
	il := &inputLists{missing: map[string]bool{}}
	for _, in := range n.Inputs {
		decl, _, declared := cls.InputByName(in.Name)
		if link, ok := in.Value.(Link); ok && !(declared && decl.RawLink()) {
			entry := r.available(link.From)
			if entry == nil || link.Slot >= len(entry.outputs) {
				il.missing[in.Name] = true
				il.set(in.Name, []any{nil})
				continue
			}
			il.set(in.Name, entry.outputs[link.Slot])
			continue
		}
		if declared {
			il.set(in.Name, []any{normalize(in.Value)})
		}
	}
	for _, h := range cls.Hidden {
		il.set(h.Name, []any{r.hiddenValue(n.ID, h.Type)})
	}
	return il
}

func (r *run) hiddenValue(id, typ string) any {
	switch typ {
	case "PROMPT":
		return r.promptJSON()
	case "DYNPROMPT":
		return r.p
	case "EXTRA_PNGINFO":
		return r.req.ExtraData["extra_pnginfo"]
	case "UNIQUE_ID":
		return id
	case "AUTH_TOKEN_COMFY_ORG":
		return r.req.ExtraData["auth_token_comfy_org"]
	case "API_KEY_COMFY_ORG":
		return r.req.ExtraData["api_key_comfy_org"]
	}
	return nil
}

// promptJSON is the hidden PROMPT value: the validated prompt as raw JSON
// in its submitted node order (a Go map would sort the ids, and PNG
// metadata would then list "10" before "3"), built once per run.
func (r *run) promptJSON() any {
	if !r.promptResolved {
		r.promptResolved = true
		if v, err := r.p.MarshalJSON(); err == nil {
			r.promptValue = json.RawMessage(v)
		}
	}
	return r.promptValue
}

func (r *run) nodeContext(id string, cls *nodes.Class) *nodes.Context {
	// Building the PROMPT value costs a re-encode of the prompt: only
	// classes that declare the hidden input get it.
	var prompt any
	if hasHiddenType(cls, "PROMPT") {
		prompt = r.promptJSON()
	}
	return &nodes.Context{
		Context:      r.ctx,
		Env:          r.e.env,
		PromptID:     r.req.PromptID,
		NodeID:       id,
		ClassType:    cls.Name,
		Prompt:       prompt,
		ExtraPNGInfo: r.req.ExtraData["extra_pnginfo"],
		Reporter:     &nodeReporter{r: r, id: id},
	}
}

// calls returns the per-call inputs of the list mapping (spec 4.4).
func calls(cls *nodes.Class, il *inputLists) []nodes.Inputs {
	if cls.InputIsList {
		return []nodes.Inputs{il.whole()}
	}
	n := il.maxLen()
	if n == 0 {
		return []nodes.Inputs{{}}
	}
	out := make([]nodes.Inputs, n)
	for i := range out {
		out[i] = il.slice(i)
	}
	return out
}

// lazyStatus runs CheckLazyStatus over the mapped calls and returns the
// requested inputs that are not available yet.
func (r *run) lazyStatus(nctx *nodes.Context, cls *nodes.Class, il *inputLists) ([]string, *nodeFailure) {
	var needed []string
	for _, in := range calls(cls, il) {
		if r.ctx.Err() != nil {
			return nil, interruptFailure(r.ctx)
		}
		var names []string
		err := protect(func() error {
			var err error
			names, err = cls.CheckLazyStatus(nctx, in)
			return err
		})
		if err != nil {
			return nil, failureFrom(r.ctx, err)
		}
		for _, name := range names {
			if (!il.has(name) || il.missing[name]) && !contains(needed, name) {
				needed = append(needed, name)
			}
		}
	}
	return needed, nil
}

func interruptFailure(ctx context.Context) *nodeFailure {
	return &nodeFailure{typ: "comfy.model_management.InterruptProcessingException", msg: ctx.Err().Error(), interrupted: true}
}

// callNode maps the node function over its input lists and merges the
// per-call results (spec 4.4).
func (r *run) callNode(nctx *nodes.Context, cls *nodes.Class, il *inputLists) ([][]any, nodes.UI, *nodeFailure) {
	inputs := calls(cls, il)
	results := make([][]any, 0, len(inputs))
	var uis []nodes.UI
	for _, in := range inputs {
		if r.ctx.Err() != nil {
			return nil, nil, interruptFailure(r.ctx)
		}
		if b, blocked := blockerIn(in, cls.InputIsList); blocked {
			if b.Message != nil {
				r.ev.ExecutionError(ExecutionError{
					PromptID: r.req.PromptID, NodeID: nctx.NodeID, NodeType: cls.Name,
					Executed: append([]string{}, r.executed...), ExceptionMessage: "Execution Blocked: " + *b.Message,
					ExceptionType: "ExecutionBlocked", Traceback: []string{}, CurrentInputs: map[string]any{},
					CurrentOutputs: []string{},
				})
			}
			blocked := make([]any, len(cls.Outputs))
			for i := range blocked {
				blocked[i] = nodes.Blocker{}
			}
			results = append(results, blocked)
			continue
		}
		var res nodes.Result
		err := protect(func() error {
			var err error
			res, err = cls.Run(nctx, in)
			return err
		})
		if err != nil {
			return nil, nil, failureFrom(r.ctx, err)
		}
		if res.UI != nil {
			uis = append(uis, res.UI)
		}
		if res.Outputs == nil && len(cls.Outputs) == 0 {
			continue
		}
		if len(res.Outputs) != len(cls.Outputs) {
			return nil, nil, &nodeFailure{typ: "ValueError", msg: fmt.Sprintf(
				"node %s returned %d outputs, its class declares %d", cls.Name, len(res.Outputs), len(cls.Outputs))}
		}
		results = append(results, res.Outputs)
	}
	outputs, fail := mergeOutputs(cls, results)
	if fail != nil {
		return nil, nil, fail
	}
	return outputs, mergeUI(uis), nil
}

// mergeOutputs builds each slot's output list: list slots concatenate the
// per-call lists, other slots collect one value per call.
func mergeOutputs(cls *nodes.Class, results [][]any) ([][]any, *nodeFailure) {
	if len(results) == 0 {
		return [][]any{}, nil
	}
	out := make([][]any, len(cls.Outputs))
	for slot, o := range cls.Outputs {
		if !o.IsList {
			vals := make([]any, len(results))
			for i, res := range results {
				vals[i] = res[slot]
			}
			out[slot] = vals
			continue
		}
		var vals []any
		for _, res := range results {
			switch v := res[slot].(type) {
			case []any:
				vals = append(vals, v...)
			case nodes.Blocker, *nodes.Blocker:
				vals = append(vals, v)
			default:
				return nil, &nodeFailure{typ: "TypeError", msg: fmt.Sprintf(
					"node %s output %d is declared as a list but the node returned %T", cls.Name, slot, v)}
			}
		}
		if vals == nil {
			vals = []any{}
		}
		out[slot] = vals
	}
	return out, nil
}

// mergeUI concatenates the calls' UI lists per key (keys of the first).
func mergeUI(uis []nodes.UI) nodes.UI {
	switch len(uis) {
	case 0:
		return nil
	case 1:
		return uis[0]
	}
	out := nodes.UI{}
	for k := range uis[0] {
		var items []any
		for _, ui := range uis {
			items = append(items, ui[k]...)
		}
		out[k] = items
	}
	return out
}

// isChangedValue is a node's is_changed value (spec 4.9): the prompt's own
// "is_changed" key, else false without an IsChanged hook, else the hook's
// results over the literal inputs (NaN, i.e. always run, on error).
func (r *run) isChangedValue(id string) any {
	n, cls := r.p.Nodes[id], r.classes[id]
	if n.HasIsChanged {
		return n.IsChanged
	}
	if cls == nil || cls.IsChanged == nil {
		return false
	}
	il := &inputLists{missing: map[string]bool{}}
	for _, in := range n.Inputs {
		if _, _, declared := cls.InputByName(in.Name); !declared {
			continue
		}
		switch in.Value.(type) {
		case Link, []any:
			il.set(in.Name, []any{nil})
		default:
			il.set(in.Name, []any{normalize(in.Value)})
		}
	}
	for _, h := range cls.Hidden {
		il.set(h.Name, []any{r.hiddenValue(id, h.Type)})
	}
	nctx := r.nodeContext(id, cls)
	var out []any
	for _, in := range calls(cls, il) {
		var v any
		err := protect(func() error {
			var err error
			v, err = cls.IsChanged(nctx, in)
			return err
		})
		if err != nil {
			return math.NaN()
		}
		out = append(out, v)
	}
	return out
}

// fail reports the run's failure: execution_interrupted for a
// cancellation, execution_error otherwise (spec 4.7, 4.8).
func (r *run) fail(id string, f *nodeFailure, inputs map[string]any) {
	nodeType := ""
	if n := r.p.Nodes[id]; n != nil {
		nodeType = n.ClassType
	}
	executed := append([]string{}, r.executed...)
	if f.interrupted {
		ei := ExecutionInterrupted{PromptID: r.req.PromptID, NodeID: id, NodeType: nodeType, Executed: executed, Timestamp: now()}
		r.message("execution_interrupted", ei)
		r.ev.ExecutionInterrupted(ei)
		return
	}
	if inputs == nil {
		inputs = map[string]any{}
	}
	trace := f.trace
	if trace == nil {
		trace = []string{}
	}
	msg := f.msg
	if !f.raw {
		msg += "\n" // upstream appends "\n" + an out-of-memory tip (empty otherwise)
	}
	ee := ExecutionError{
		PromptID: r.req.PromptID, NodeID: id, NodeType: nodeType, Executed: executed,
		ExceptionMessage: msg, ExceptionType: f.typ, Traceback: trace,
		CurrentInputs: inputs, CurrentOutputs: append([]string{}, r.cachedAtStart...), Timestamp: now(),
	}
	r.message("execution_error", ee)
	r.ev.ExecutionError(ee)
}

// outcome assembles the history record.
func (r *run) outcome(ok bool) Outcome {
	out := Outcome{Status: "error", Outputs: map[string]map[string][]any{}, Meta: map[string]any{}, Messages: r.messages}
	if ok {
		out.Status, out.Completed = "success", true
	}
	for _, id := range r.p.IDs {
		ui := r.ui[id]
		if ui == nil {
			if entry := r.e.cache.get(r.keys[id]); entry != nil {
				ui = entry.ui
			}
		}
		if len(ui) == 0 {
			continue
		}
		out.Outputs[id] = ui
		out.Meta[id] = map[string]any{"node_id": id, "display_node": id, "parent_node": nil, "real_node_id": id}
	}
	return out
}
