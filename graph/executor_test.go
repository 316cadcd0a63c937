package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"comfyd/nodes"
)

// recorder is an Events implementation that writes each event as a short
// line, so tests can compare whole sequences.
type recorder struct {
	mu          sync.Mutex
	lines       []string
	states      bool // also record progress_state snapshots
	errors      []ExecutionError
	interrupted []ExecutionInterrupted
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) ExecutionStart(pid string) { r.add("start") }
func (r *recorder) ExecutionCached(pid string, ids []string) {
	r.add("cached [%s]", strings.Join(ids, " "))
}
func (r *recorder) Executing(pid, id, display string) { r.add("executing %s", id) }
func (r *recorder) Progress(pid, id string, value, max int) {
	r.add("progress %s %d/%d", id, value, max)
}
func (r *recorder) ProgressState(pid string, ns map[string]NodeProgress) {
	if !r.states {
		return
	}
	ids := make([]string, 0, len(ns))
	for id := range ns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var parts []string
	for _, id := range ids {
		n := ns[id]
		parts = append(parts, fmt.Sprintf("%s:%s:%g/%g", id, n.State, n.Value, n.Max))
	}
	r.add("state %s", strings.Join(parts, " "))
}
func (r *recorder) Preview(pid, id, format string, data []byte) { r.add("preview %s %s", id, format) }
func (r *recorder) Executed(pid, id, display string, ui map[string][]any) {
	data, _ := json.Marshal(ui)
	r.add("executed %s %s", id, data)
}
func (r *recorder) ExecutionSuccess(pid string) { r.add("success") }
func (r *recorder) ExecutionError(e ExecutionError) {
	r.mu.Lock()
	r.errors = append(r.errors, e)
	r.mu.Unlock()
	r.add("error %s %s", e.NodeID, e.ExceptionType)
}
func (r *recorder) ExecutionInterrupted(e ExecutionInterrupted) {
	r.mu.Lock()
	r.interrupted = append(r.interrupted, e)
	r.mu.Unlock()
	r.add("interrupted %s", e.NodeID)
}

type harness struct {
	t   *testing.T
	log *callLog
	reg *nodes.Registry
	ex  *Executor
}

func newHarness(t *testing.T, opts CacheOptions) *harness {
	log := &callLog{}
	reg := testRegistry(log)
	return &harness{t: t, log: log, reg: reg, ex: NewExecutor(reg, &nodes.Env{}, opts)}
}

// run validates and executes prompt, returning the events, the node calls
// and the outcome.
func (h *harness) run(ctx context.Context, prompt string) ([]string, []string, Outcome, *recorder) {
	h.t.Helper()
	p := mustDecode(h.t, prompt)
	v := Validate(h.reg, nil, p, nil)
	if !v.OK {
		body, _ := json.Marshal(v.Body())
		h.t.Fatalf("validation failed: %s", body)
	}
	rec := &recorder{}
	out := h.ex.Execute(ctx, Request{PromptID: "P", Prompt: p, Outputs: v.Outputs,
		ExtraData: map[string]any{"client_id": "C"}}, rec)
	return rec.lines, h.log.take(), out, rec
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %#v\nwant: %#v", what, got, want)
	}
}

// sd1Like mirrors the default workflow's shape: a loader feeding one
// output, two constants feeding an adder feeding another.
const sd1Like = `{
 "4": {"class_type": "Loader", "inputs": {"ckpt_name": "a.safetensors"}},
 "5": {"class_type": "Const", "inputs": {"value": 5}},
 "6": {"class_type": "Const", "inputs": {"value": %d}},
 "3": {"class_type": "Add", "inputs": {"a": ["5", 0], "b": ["6", 0]}},
 "9": {"class_type": "Show", "inputs": {"value": ["3", 0]}},
 "10": {"class_type": "ModelSink", "inputs": {"model": ["4", 0]}}}`

func TestExecuteOrderEventsAndCache(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	events, calls, out, _ := h.run(context.Background(), fmt.Sprintf(sd1Like, 6))
	// ComfyUI's heuristic: the loader unblocks output 10, so it goes
	// first, then 10 itself; then the node two hops before output 9.
	eq(t, "calls", calls, []string{"4", "10", "6", "5", "3", "9"})
	eq(t, "events", events, []string{
		"start", "cached []",
		"executing 4", "executing 10", `executed 10 {"text":["model:a.safetensors"]}`,
		"executing 6", "executing 5", "executing 3", "executing 9", `executed 9 {"text":["11"]}`,
		"success"})
	eq(t, "status", [2]any{out.Status, out.Completed}, [2]any{"success", true})
	eq(t, "outputs", out.Outputs, map[string]map[string][]any{
		"9": {"text": {"11"}}, "10": {"text": {"model:a.safetensors"}}})
	eq(t, "meta 9", out.Meta["9"], map[string]any{"node_id": "9", "display_node": "9", "parent_node": nil, "real_node_id": "9"})
	var names []string
	for _, m := range out.Messages {
		names = append(names, m[0].(string))
	}
	eq(t, "history messages", names, []string{"execution_start", "execution_cached", "execution_success"})

	// The same prompt again: everything is cached, nothing runs, the
	// output nodes still report their cached UI.
	events, calls, out, _ = h.run(context.Background(), fmt.Sprintf(sd1Like, 6))
	eq(t, "calls (second run)", calls, []string(nil))
	eq(t, "events (second run)", events, []string{
		"start", "cached [4 5 6 3 9 10]",
		`executed 9 {"text":["11"]}`, `executed 10 {"text":["model:a.safetensors"]}`, "success"})
	eq(t, "outputs (second run)", len(out.Outputs), 2)

	// Changing one widget re-runs only that node and its descendants.
	events, calls, _, _ = h.run(context.Background(), fmt.Sprintf(sd1Like, 7))
	eq(t, "calls (changed widget)", calls, []string{"6", "3", "9"})
	eq(t, "events (changed widget)", events, []string{
		"start", "cached [4 5 10]", `executed 10 {"text":["model:a.safetensors"]}`,
		"executing 6", "executing 3", "executing 9", `executed 9 {"text":["12"]}`, "success"})
}

func TestCachePolicies(t *testing.T) {
	a := fmt.Sprintf(sd1Like, 6)
	b := `{"1": {"class_type": "Const", "inputs": {"value": 42}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`
	cases := []struct {
		name      string
		opts      CacheOptions
		thirdRuns []string // calls when a runs again after b
	}{
		{"classic evicts what the next prompt does not use", CacheOptions{}, []string{"4", "10", "6", "5", "3", "9"}},
		{"lru keeps entries across prompts", CacheOptions{LRU: 10}, nil},
		{"lru too small evicts the oldest prompt", CacheOptions{LRU: 3}, []string{"4", "10", "6", "5", "3", "9"}},
		{"none keeps nothing", CacheOptions{None: true}, []string{"4", "10", "6", "5", "3", "9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			h.run(context.Background(), a)
			h.run(context.Background(), b)
			_, calls, _, _ := h.run(context.Background(), a)
			eq(t, "calls", calls, tc.thirdRuns)
		})
	}
	t.Run("none re-runs the same prompt", func(t *testing.T) {
		h := newHarness(t, CacheOptions{None: true})
		h.run(context.Background(), b)
		_, calls, _, _ := h.run(context.Background(), b)
		eq(t, "calls", calls, []string{"1", "2"})
	})
	t.Run("free during a run applies when it ends", func(t *testing.T) {
		h := newHarness(t, CacheOptions{})
		ctx := context.WithValue(context.Background(), stepHookKey{}, func(int) { h.ex.Free() })
		p := `{"1": {"class_type": "Stepper", "inputs": {"steps": 1}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`
		h.run(ctx, p) // returns: Free did not wait for the run
		_, calls, _, _ := h.run(context.Background(), p)
		eq(t, "calls", calls, []string{"1", "2"})
	})
	t.Run("free drops the cache", func(t *testing.T) {
		h := newHarness(t, CacheOptions{})
		h.run(context.Background(), b)
		h.ex.Free()
		_, calls, _, _ := h.run(context.Background(), b)
		eq(t, "calls", calls, []string{"1", "2"})
	})
	t.Run("identical branches share one entry", func(t *testing.T) {
		h := newHarness(t, CacheOptions{})
		events, calls, _, _ := h.run(context.Background(), `{
			"1": {"class_type": "Const", "inputs": {"value": 3}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}},
			"3": {"class_type": "Const", "inputs": {"value": 3}}, "4": {"class_type": "Sink", "inputs": {"value": ["3", 0]}}}`)
		// Node 3 has node 1's key: once 1 ran, 3 is a cache hit (reported
		// like upstream: an executed event with null output).
		eq(t, "calls", calls, []string{"1", "2", "4"})
		eq(t, "events", events, []string{"start", "cached []", "executing 1", "executing 2", `executed 2 {"text":["3"]}`,
			"executed 3 null", "executing 4", "success"})
	})
	t.Run("is_changed value joins the key", func(t *testing.T) {
		h := newHarness(t, CacheOptions{})
		p := `{"1": {"class_type": "Stamped", "inputs": {"value": 3}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`
		stamp.Store(1)
		h.run(context.Background(), p)
		_, calls, _, _ := h.run(context.Background(), p)
		eq(t, "calls with the same stamp", calls, []string(nil))
		stamp.Store(2)
		_, calls, _, _ = h.run(context.Background(), p)
		eq(t, "calls with a new stamp", calls, []string{"1", "2"})
		withKey := `{"1": {"class_type": "Stamped", "inputs": {"value": 3}, "is_changed": ["from the prompt"]}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`
		_, calls, _, _ = h.run(context.Background(), withKey)
		eq(t, "calls with the prompt's own is_changed", calls, []string{"1", "2"})
	})
	t.Run("not idempotent and NaN is_changed always run", func(t *testing.T) {
		h := newHarness(t, CacheOptions{})
		p := `{"1": {"class_type": "Random", "inputs": {"value": 3}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`
		h.run(context.Background(), p)
		_, calls, _, _ := h.run(context.Background(), p)
		eq(t, "calls", calls, []string{"1", "2"})
	})
}

func TestListMapping(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	_, _, out, _ := h.run(context.Background(), `{
		"1": {"class_type": "ListGen", "inputs": {"count": 3}},
		"2": {"class_type": "ListGen", "inputs": {"count": 2}},
		"3": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["2", 0]}},
		"4": {"class_type": "Collect", "inputs": {"values": ["3", 0]}},
		"5": {"class_type": "Show", "inputs": {"value": ["3", 0]}}}`)
	// Add is mapped over the longest list; the shorter one repeats its
	// last element: 10+10, 20+20, 30+20.
	eq(t, "collected (InputIsList)", out.Outputs["4"], map[string][]any{"values": {int64(20), int64(40), int64(50)}})
	eq(t, "shown (mapped, UI merged)", out.Outputs["5"], map[string][]any{"text": {"20", "40", "50"}})
}

func TestLazyInputs(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	events, calls, out, _ := h.run(context.Background(), `{
		"1": {"class_type": "Const", "inputs": {"value": 1}},
		"2": {"class_type": "Const", "inputs": {"value": 2}},
		"3": {"class_type": "Switch", "inputs": {"cond": true, "on_true": ["1", 0], "on_false": ["2", 0]}},
		"4": {"class_type": "Show", "inputs": {"value": ["3", 0]}}}`)
	eq(t, "calls", calls, []string{"1", "3", "4"})
	eq(t, "events", events, []string{"start", "cached []",
		"executing 3", "executing 1", "executing 3", "executing 4", `executed 4 {"text":["1"]}`, "success"})
	eq(t, "output", out.Outputs["4"], map[string][]any{"text": {"1"}})
}

func TestInterrupt(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	prompt := `{"1": {"class_type": "Const", "inputs": {"value": 4}},
		"2": {"class_type": "Stepper", "inputs": {"steps": ["1", 0]}},
		"3": {"class_type": "Show", "inputs": {"value": ["2", 0]}}}`
	ctx, cancel := context.WithCancel(context.Background())
	ctx = context.WithValue(ctx, stepHookKey{}, func(step int) {
		if step == 1 {
			cancel()
		}
	})
	events, calls, out, rec := h.run(ctx, prompt)
	eq(t, "calls", calls, []string{"1", "2"})
	eq(t, "events", events, []string{"start", "cached []", "executing 1", "executing 2",
		"preview 2 JPEG", "progress 2 1/4", "preview 2 JPEG", "progress 2 2/4", "interrupted 2"})
	eq(t, "payload", rec.interrupted[0].Executed, []string{"1"})
	eq(t, "node_type", rec.interrupted[0].NodeType, "Stepper")
	eq(t, "status", [2]any{out.Status, out.Completed}, [2]any{"error", false})
	eq(t, "last message", out.Messages[len(out.Messages)-1][0], "execution_interrupted")

	// What ran before the interrupt stays cached.
	_, calls, out, _ = h.run(context.Background(), prompt)
	eq(t, "calls after interrupt", calls, []string{"2", "3"})
	eq(t, "status after interrupt", out.Status, "success")

	// A run that starts interrupted stops before the first node call.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	events, calls, _, _ = h.run(ctx, `{"1": {"class_type": "Const", "inputs": {"value": 9}},
		"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`)
	eq(t, "calls when cancelled", calls, []string(nil))
	eq(t, "events when cancelled", events, []string{"start", "cached []", "executing 1", "interrupted 1"})
}

func TestNodeFailures(t *testing.T) {
	cases := []struct {
		class, typ, msgPart string
		trace               bool
	}{
		{"Fail", "Exception", "node failed on purpose\n", false},
		{"Panic", "panic", "assignment to entry in nil map", true},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			h := newHarness(t, CacheOptions{})
			prompt := fmt.Sprintf(`{"1": {"class_type": "Const", "inputs": {"value": 1}},
				"2": {"class_type": %q, "inputs": {"a": ["1", 0]}},
				"3": {"class_type": "Show", "inputs": {"value": ["2", 0]}}}`, tc.class)
			events, calls, out, rec := h.run(context.Background(), prompt)
			eq(t, "calls", calls, []string{"1", "2"})
			eq(t, "events", events, []string{"start", "cached []", "executing 1", "executing 2", "error 2 " + tc.typ})
			e := rec.errors[0]
			eq(t, "node", [2]string{e.NodeID, e.NodeType}, [2]string{"2", tc.class})
			if !strings.Contains(e.ExceptionMessage, tc.msgPart) {
				t.Errorf("exception_message %q lacks %q", e.ExceptionMessage, tc.msgPart)
			}
			eq(t, "executed", e.Executed, []string{"1"})
			eq(t, "current_inputs", e.CurrentInputs, map[string]any{"a": []any{int64(1)}})
			if got := len(e.Traceback) > 0 && strings.Contains(strings.Join(e.Traceback, ""), "nodes_test.go"); got != tc.trace {
				t.Errorf("traceback with the node's frame = %v, want %v:\n%s", got, tc.trace, strings.Join(e.Traceback, ""))
			}
			eq(t, "status", [2]any{out.Status, out.Completed}, [2]any{"error", false})
			last := out.Messages[len(out.Messages)-1]
			eq(t, "history message", last[0], "execution_error")
			if _, ok := last[1].(ExecutionError); !ok {
				t.Errorf("history payload is %T", last[1])
			}
			// Re-queueing resumes from the failure: node 1 is cached.
			events, calls, _, _ = h.run(context.Background(), prompt)
			eq(t, "calls on retry", calls, []string{"2"})
			eq(t, "cached on retry", events[1], "cached [1]")
			eq(t, "current_outputs", rec.errors[0].CurrentOutputs, []string{})
		})
	}
}

func TestBlockers(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	events, calls, out, rec := h.run(context.Background(), `{
		"1": {"class_type": "Const", "inputs": {"value": 1}},
		"2": {"class_type": "Gate", "inputs": {"a": ["1", 0], "open": false, "message": "closed"}},
		"3": {"class_type": "Add", "inputs": {"a": ["2", 0], "b": ["1", 0]}},
		"4": {"class_type": "Show", "inputs": {"value": ["3", 0]}},
		"5": {"class_type": "Gate", "inputs": {"a": ["1", 0], "open": false}},
		"6": {"class_type": "Sink", "inputs": {"value": ["5", 0]}}}`)
	// Blocked calls do not run: 3 is blocked with a message (one
	// ExecutionBlocked error, the run goes on), 4 and 6 silently. Order:
	// 5 unblocks output 6, so it goes before 2.
	eq(t, "calls", calls, []string{"1", "5", "2"})
	eq(t, "events", events, []string{"start", "cached []", "executing 1", "executing 5", "executing 6",
		"executing 2", "executing 3", "error 3 ExecutionBlocked", "executing 4", "success"})
	eq(t, "blocked message", rec.errors[0].ExceptionMessage, "Execution Blocked: closed")
	eq(t, "not in history", len(out.Messages), 3)
	eq(t, "no timestamp", rec.errors[0].Timestamp, int64(0))
}

func TestProgressStateAndPreviews(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	p := mustDecode(t, `{"1": {"class_type": "Stepper", "inputs": {"steps": 2}},
		"2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`)
	v := Validate(h.reg, nil, p, nil)
	rec := &recorder{states: true}
	h.ex.Execute(context.Background(), Request{PromptID: "P", Prompt: p, Outputs: v.Outputs}, rec)
	eq(t, "events", rec.lines, []string{"start", "cached []",
		"state 1:running:0/1", "executing 1",
		"preview 1 JPEG", "state 1:running:1/2", "progress 1 1/2",
		"preview 1 JPEG", "state 1:running:2/2", "progress 1 2/2",
		"state 1:finished:2/2",
		"state 1:finished:2/2 2:running:0/1", "executing 2", `executed 2 {"text":["2"]}`,
		"state 1:finished:2/2 2:finished:1/1", "success"})

	// Cached output nodes get executed (cached UI) then a finished state.
	rec = &recorder{states: true}
	h.ex.Execute(context.Background(), Request{PromptID: "P", Prompt: p, Outputs: v.Outputs}, rec)
	eq(t, "cached events", rec.lines, []string{"start", "cached [1 2]",
		`executed 2 {"text":["2"]}`, "state 2:finished:1/1", "success"})
}

func TestExecuteUnvalidatedCycle(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	p := mustDecode(t, `{"1": {"class_type": "Add", "inputs": {"a": ["2", 0], "b": ["2", 0]}},
		"2": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["1", 0]}},
		"3": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`)
	rec := &recorder{}
	out := h.ex.Execute(context.Background(), Request{PromptID: "P", Prompt: p, Outputs: []string{"3"}}, rec)
	// Like upstream, the first pending node left after dissolving the
	// unblocked ones is blamed: output 3, which waits on the cycle.
	eq(t, "events", rec.lines, []string{"start", "cached []", "error 3 graph.DependencyCycleError"})
	eq(t, "message", rec.errors[0].ExceptionMessage, "Dependency cycle detected")
	eq(t, "status", out.Status, "error")
}

func TestHiddenPromptAndExtraPNGInfo(t *testing.T) {
	log := &callLog{}
	reg := testRegistry(log)
	var seen []any
	reg.Register(&nodes.Class{Name: "Meta", OutputNode: true,
		Hidden: []nodes.Hidden{{Name: "prompt", Type: "PROMPT"}, {Name: "extra_pnginfo", Type: "EXTRA_PNGINFO"}, {Name: "unique_id", Type: "UNIQUE_ID"}},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			seen = []any{in["prompt"], in["extra_pnginfo"], in["unique_id"], ctx.Prompt, ctx.ExtraPNGInfo}
			return nodes.Result{}, nil
		}})
	p := mustDecode(t, `{"7": {"class_type": "Meta", "inputs": {}}, "10": {"class_type": "Meta", "inputs": {}}}`)
	v := Validate(reg, nil, p, nil)
	ex := NewExecutor(reg, nil, CacheOptions{})
	extra := map[string]any{"workflow": "w"}
	ex.Execute(context.Background(), Request{PromptID: "P", Prompt: p, Outputs: v.Outputs,
		ExtraData: map[string]any{"extra_pnginfo": extra}}, &recorder{})
	// The prompt stays raw JSON in submission order ("7" before "10"),
	// as PNG metadata must show it.
	wantPrompt := json.RawMessage(`{"7":{"class_type":"Meta","inputs":{}},"10":{"class_type":"Meta","inputs":{}}}`)
	eq(t, "hidden values", seen, []any{wantPrompt, extra, "10", wantPrompt, extra})
}

// TestDefaultWorkflowOrder runs the default SD1 workflow's graph shape
// (testdata/workflows/default_t2i.api.json) with stand-in classes that
// have the real nodes' names, links and output flags, and checks
// ComfyUI's heuristic order: the loader first (two hops before SaveImage),
// then the latent and both encoders, then sampler, decoder, saver.
func TestDefaultWorkflowOrder(t *testing.T) {
	data, err := os.ReadFile("../testdata/workflows/default_t2i.api.json")
	if err != nil {
		t.Fatal(err)
	}
	log := &callLog{}
	reg := nodes.NewRegistry()
	stand := func(name string, output bool, outs []string, links ...string) *nodes.Class {
		c := &nodes.Class{Name: name, OutputNode: output,
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				vals := make([]any, len(outs))
				for i, o := range outs {
					vals[i] = o + "@" + ctx.NodeID
				}
				return nodes.Result{Outputs: vals}, nil
			}}
		for _, o := range outs {
			c.Outputs = append(c.Outputs, nodes.Output{Type: o})
		}
		for i := 0; i < len(links); i += 2 {
			c.Required = append(c.Required, nodes.Input{Name: links[i], Type: links[i+1]})
		}
		return c
	}
	reg.Register(
		stand("CheckpointLoaderSimple", false, []string{"MODEL", "CLIP", "VAE"}),
		stand("CLIPTextEncode", false, []string{"CONDITIONING"}, "clip", "CLIP"),
		stand("EmptyLatentImage", false, []string{"LATENT"}),
		stand("KSampler", false, []string{"LATENT"}, "model", "MODEL", "positive", "CONDITIONING",
			"negative", "CONDITIONING", "latent_image", "LATENT"),
		stand("VAEDecode", false, []string{"IMAGE"}, "samples", "LATENT", "vae", "VAE"),
		stand("SaveImage", true, nil, "images", "IMAGE"),
	)
	p := mustDecode(t, string(data))
	v := Validate(reg, nil, p, nil)
	if !v.OK {
		t.Fatalf("validation: %+v", v.Body())
	}
	rec := &recorder{}
	out := NewExecutor(reg, nil, CacheOptions{}).Execute(context.Background(),
		Request{PromptID: "P", Prompt: p, Outputs: v.Outputs}, rec)
	eq(t, "status", out.Status, "success")
	eq(t, "order", log.take(), []string{"4", "5", "7", "6", "3", "8", "9"})
}

type panickyEvents struct{ recorder }

func (p *panickyEvents) Executing(pid, id, display string) { panic("events broke") }

func TestExecutorSurvivesEventsPanic(t *testing.T) {
	h := newHarness(t, CacheOptions{})
	p := mustDecode(t, `{"1": {"class_type": "Const", "inputs": {"value": 1}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`)
	v := Validate(h.reg, nil, p, nil)
	out := h.ex.Execute(context.Background(), Request{PromptID: "P", Prompt: p, Outputs: v.Outputs}, &panickyEvents{})
	eq(t, "status", [2]any{out.Status, out.Completed}, [2]any{"error", false})
	// The executor is still usable.
	_, _, out, _ = h.run(context.Background(), `{"1": {"class_type": "Const", "inputs": {"value": 1}}, "2": {"class_type": "Show", "inputs": {"value": ["1", 0]}}}`)
	eq(t, "next run", out.Status, "success")
}
