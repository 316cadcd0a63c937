package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"comfyd/nodes"
)

// Fake node classes for the tests: small, deterministic, and counting
// their calls so caching and ordering are observable.

type callLog struct {
	mu    sync.Mutex
	calls []string // "<node id>"
}

func (l *callLog) add(id string) {
	l.mu.Lock()
	l.calls = append(l.calls, id)
	l.mu.Unlock()
}

func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

func intOut(v any) nodes.Result { return nodes.Result{Outputs: []any{v}} }

func testRegistry(log *callLog) *nodes.Registry {
	reg := nodes.NewRegistry()
	intIn := func(name string, opts nodes.Options) nodes.Input {
		return nodes.Input{Name: name, Type: "INT", Options: opts}
	}
	reg.Register(
		&nodes.Class{Name: "Const", Required: []nodes.Input{intIn("value", nodes.Options{"default": 0, "min": 0, "max": 100})},
			Outputs: []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				v, err := in.Int("value")
				return intOut(v), err
			}},
		&nodes.Class{Name: "BigInt", Required: []nodes.Input{intIn("seed", nodes.Options{"min": 0, "max": uint64(math.MaxUint64)})},
			Outputs: []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				v, err := in.Uint64("seed")
				return intOut(v), err
			}},
		&nodes.Class{Name: "Add", Required: []nodes.Input{{Name: "a", Type: "INT"}, {Name: "b", Type: "INT"}},
			Outputs: []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				a, err := in.Int("a")
				if err != nil {
					return nodes.Result{}, err
				}
				b, err := in.Int("b")
				return intOut(a + b), err
			}},
		&nodes.Class{Name: "Show", OutputNode: true,
			Required: []nodes.Input{{Name: "value", Type: "INT,FLOAT"}},
			Hidden:   []nodes.Hidden{{Name: "unique_id", Type: "UNIQUE_ID"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				if in["unique_id"] != ctx.NodeID {
					return nodes.Result{}, fmt.Errorf("unique_id %v, want %s", in["unique_id"], ctx.NodeID)
				}
				return nodes.Result{UI: nodes.UI{"text": {fmt.Sprint(in["value"])}}}, nil
			}},
		&nodes.Class{Name: "Sink", OutputNode: true, Required: []nodes.Input{{Name: "value", Type: "*"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				return nodes.Result{}, nil
			}},
		&nodes.Class{Name: "Loader",
			Required: []nodes.Input{{Name: "ckpt_name", Choices: []any{"a.safetensors", "b.safetensors"},
				Options: nodes.Options{"tooltip": "The name of the checkpoint (model) to load."}}},
			Outputs: []nodes.Output{{Type: "MODEL"}, {Type: "CLIP"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				s, err := in.String("ckpt_name")
				return nodes.Result{Outputs: []any{"model:" + s, "clip:" + s}}, err
			}},
		&nodes.Class{Name: "ModelSink", OutputNode: true, Required: []nodes.Input{{Name: "model", Type: "MODEL"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				return nodes.Result{UI: nodes.UI{"text": {in["model"]}}}, nil
			}},
		&nodes.Class{Name: "Widgets",
			Required: []nodes.Input{
				{Name: "f", Type: "FLOAT", Options: nodes.Options{"min": 0.0, "max": 10.0}},
				{Name: "s", Type: "STRING"},
				{Name: "b", Type: "BOOLEAN"},
			},
			Optional: []nodes.Input{{Name: "many", Choices: manyChoices()}},
			Outputs:  []nodes.Output{{Type: "FLOAT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				f, err := in.Float("f")
				return intOut(f), err
			}},
		&nodes.Class{Name: "Custom", Required: []nodes.Input{intIn("value", nil)},
			Outputs: []nodes.Output{{Type: "INT"}},
			ValidateInputs: func(env *nodes.Env, in nodes.Inputs) error {
				if v, _ := in.Int("value"); v == 13 {
					return errors.New("13 is unlucky")
				}
				if v, _ := in.Int("value"); v == 66 {
					panic("validator exploded")
				}
				return nil
			},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				v, err := in.Int("value")
				return intOut(v), err
			}},
		&nodes.Class{Name: "Fail", Required: []nodes.Input{{Name: "a", Type: "INT"}},
			Outputs: []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				return nodes.Result{}, errors.New("node failed on purpose")
			}},
		&nodes.Class{Name: "Panic", Required: []nodes.Input{{Name: "a", Type: "INT"}},
			Outputs: []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				var m map[string]int
				//lint:ignore SA5000 the nil map write is the runtime panic under test
				m["boom"]++
				return nodes.Result{}, nil
			}},
		&nodes.Class{Name: "ListGen", Required: []nodes.Input{intIn("count", nil)},
			Outputs: []nodes.Output{{Type: "INT", IsList: true}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				n, _ := in.Int("count")
				list := make([]any, n)
				for i := range list {
					list[i] = int64(10 * (i + 1))
				}
				return nodes.Result{Outputs: []any{list}}, nil
			}},
		&nodes.Class{Name: "Collect", OutputNode: true, InputIsList: true,
			Required: []nodes.Input{{Name: "values", Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				return nodes.Result{UI: nodes.UI{"values": in["values"].([]any)}}, nil
			}},
		&nodes.Class{Name: "Switch",
			Required: []nodes.Input{{Name: "cond", Type: "BOOLEAN"},
				{Name: "on_true", Type: "INT", Options: nodes.Options{"lazy": true}},
				{Name: "on_false", Type: "INT", Options: nodes.Options{"lazy": true}}},
			Outputs: []nodes.Output{{Type: "INT"}},
			CheckLazyStatus: func(ctx *nodes.Context, in nodes.Inputs) ([]string, error) {
				if c, _ := in.Bool("cond"); c {
					return []string{"on_true"}, nil
				}
				return []string{"on_false"}, nil
			},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				if c, _ := in.Bool("cond"); c {
					return intOut(in["on_true"]), nil
				}
				return intOut(in["on_false"]), nil
			}},
		&nodes.Class{Name: "Gate", Required: []nodes.Input{{Name: "a", Type: "INT"}, {Name: "open", Type: "BOOLEAN"}},
			Optional: []nodes.Input{{Name: "message", Type: "STRING"}},
			Outputs:  []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				if open, _ := in.Bool("open"); open {
					return intOut(in["a"]), nil
				}
				var msg *string
				if s, err := in.String("message"); err == nil && s != "" {
					msg = &s
				}
				return intOut(nodes.Blocker{Message: msg}), nil
			}},
		&nodes.Class{Name: "Stepper", Required: []nodes.Input{intIn("steps", nil)},
			Outputs: []nodes.Output{{Type: "INT"}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				n, _ := in.Int("steps")
				for i := 0; i < int(n); i++ {
					if err := ctx.Err(); err != nil {
						return nodes.Result{}, err
					}
					ctx.Preview("JPEG", []byte{byte(i)})
					ctx.Progress(i+1, int(n))
					if hook := stepHook(ctx.Context); hook != nil {
						hook(i)
					}
				}
				return intOut(n), nil
			}},
		&nodes.Class{Name: "BadCombo", OutputNode: true,
			Required: []nodes.Input{{Name: "x", ChoicesFunc: func(*nodes.Env) []any { panic("no folders configured") }}},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				return nodes.Result{}, nil
			}},
		&nodes.Class{Name: "Stamped", Required: []nodes.Input{intIn("value", nil)},
			Outputs: []nodes.Output{{Type: "INT"}},
			IsChanged: func(ctx *nodes.Context, in nodes.Inputs) (any, error) {
				if in["value"] == nil {
					return nil, errors.New("IsChanged sees only literal inputs, and value is one")
				}
				return stamp.Load(), nil
			},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				v, _ := in.Int("value")
				return intOut(v), nil
			}},
		&nodes.Class{Name: "Random", NotIdempotent: true, Required: []nodes.Input{intIn("value", nil)},
			Outputs: []nodes.Output{{Type: "INT"}},
			IsChanged: func(ctx *nodes.Context, in nodes.Inputs) (any, error) {
				return math.NaN(), nil
			},
			Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				log.add(ctx.NodeID)
				v, _ := in.Int("value")
				return intOut(v), nil
			}},
	)
	return reg
}

func manyChoices() []any {
	out := make([]any, 25)
	for i := range out {
		out[i] = fmt.Sprintf("m%02d", i)
	}
	return out
}

// stamp is what Stamped's IsChanged reports (a file hash, in real nodes).
var stamp atomic.Int64

type stepHookKey struct{}

// stepHook lets a test act between a Stepper's steps (to interrupt it).
func stepHook(ctx context.Context) func(int) {
	f, _ := ctx.Value(stepHookKey{}).(func(int))
	return f
}
