package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"comfyd/nodes"
)

// workflow500 builds a 500-node prompt: 50 branches of Const, Const, 7
// chained Adds and a Show output (plus widgets of every scalar type).
func workflow500() []byte {
	var b strings.Builder
	b.WriteString("{")
	id := 0
	next := func() string { id++; return fmt.Sprint(id) }
	first := true
	add := func(nodeID, class, inputs string) {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, `%q: {"class_type": %q, "inputs": {%s}, "_meta": {"title": %q}}`, nodeID, class, inputs, class)
	}
	for branch := 0; branch < 50; branch++ {
		c1, c2 := next(), next()
		add(c1, "Const", fmt.Sprintf(`"value": %d`, branch%100))
		add(c2, "Widgets", `"f": 2.5, "s": "text", "b": true, "many": "m07"`)
		prev := c1
		for i := 0; i < 7; i++ {
			a := next()
			add(a, "Add", fmt.Sprintf(`"a": [%q, 0], "b": [%q, 0]`, prev, c1))
			prev = a
		}
		add(next(), "Show", fmt.Sprintf(`"value": [%q, 0]`, prev))
	}
	b.WriteString("}")
	return []byte(b.String())
}

func BenchmarkDecode500(b *testing.B) {
	data := workflow500()
	b.Run("baseline_json_unmarshal_map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodePrompt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodePrompt(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkValidate500(b *testing.B) {
	reg := testRegistry(&callLog{})
	data := workflow500()
	p, err := DecodePrompt(data)
	if err != nil {
		b.Fatal(err)
	}
	if v := Validate(reg, nil, p, nil); !v.OK || len(v.Outputs) != 50 || len(p.IDs) != 500 {
		b.Fatalf("bad benchmark workflow: ok=%v outputs=%d nodes=%d", v.OK, len(v.Outputs), len(p.IDs))
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		p, _ := DecodePrompt(data) // a fresh, uncoerced prompt each time
		b.StartTimer()
		if v := Validate(reg, nil, p, nil); !v.OK {
			b.Fatal("invalid")
		}
	}
}

// nopEvents discards events.
type nopEvents struct{}

func (nopEvents) ExecutionStart(string)                             {}
func (nopEvents) ExecutionCached(string, []string)                  {}
func (nopEvents) Executing(string, string, string)                  {}
func (nopEvents) Progress(string, string, int, int)                 {}
func (nopEvents) ProgressState(string, map[string]NodeProgress)     {}
func (nopEvents) Preview(string, string, string, []byte)            {}
func (nopEvents) Executed(string, string, string, map[string][]any) {}
func (nopEvents) ExecutionSuccess(string)                           {}
func (nopEvents) ExecutionError(ExecutionError)                     {}
func (nopEvents) ExecutionInterrupted(ExecutionInterrupted)         {}

// chain builds Const -> n-2 Adds -> Show: n trivial nodes.
func chain(n int) string {
	var b strings.Builder
	b.WriteString(`{"0": {"class_type": "Const", "inputs": {"value": 1}}`)
	for i := 1; i < n-1; i++ {
		fmt.Fprintf(&b, `, "%d": {"class_type": "Add", "inputs": {"a": ["%d", 0], "b": ["0", 0]}}`, i, i-1)
	}
	fmt.Fprintf(&b, `, "%d": {"class_type": "Show", "inputs": {"value": ["%d", 0]}}}`, n-1, n-2)
	return b.String()
}

// BenchmarkExecutorPerNode measures the executor's overhead per trivial
// node (cache disabled, so every node runs each time), against calling
// the same node functions directly.
func BenchmarkExecutorPerNode(b *testing.B) {
	for _, n := range []int{20, 100, 500} {
		reg := testRegistry(&callLog{})
		p, err := DecodePrompt([]byte(chain(n)))
		if err != nil {
			b.Fatal(err)
		}
		v := Validate(reg, nil, p, nil)
		if !v.OK {
			b.Fatal("invalid chain")
		}
		b.Run(fmt.Sprintf("baseline_direct_calls/n=%d", n), func(b *testing.B) {
			add, _ := reg.Get("Add")
			ctx := &nodes.Context{Context: context.Background()}
			b.ReportAllocs()
			for b.Loop() {
				var v any = int64(1)
				for i := 0; i < n; i++ {
					res, err := add.Run(ctx, nodes.Inputs{"a": v, "b": int64(1)})
					if err != nil {
						b.Fatal(err)
					}
					v = res.Outputs[0]
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/node")
		})
		b.Run(fmt.Sprintf("executor/n=%d", n), func(b *testing.B) {
			ex := NewExecutor(reg, &nodes.Env{}, CacheOptions{None: true})
			req := Request{PromptID: "P", Prompt: p, Outputs: v.Outputs}
			b.ReportAllocs()
			for b.Loop() {
				if out := ex.Execute(context.Background(), req, nopEvents{}); out.Status != "success" {
					b.Fatal(out.Messages)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/node")
		})
	}
}
