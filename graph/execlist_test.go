package graph

import (
	"testing"

	"comfyd/nodes"
)

// TestExecListReleasesConsumedOutputs checks the --cache-none bookkeeping:
// a node's outputs are released once no pending node links to them.
func TestExecListReleasesConsumedOutputs(t *testing.T) {
	reg := testRegistry(&callLog{})
	p := mustDecode(t, `{"1": {"class_type": "Const", "inputs": {"value": 1}},
		"2": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["1", 0]}},
		"3": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["2", 0]}},
		"4": {"class_type": "Show", "inputs": {"value": ["3", 0]}}}`)
	classes := map[string]*nodes.Class{}
	for _, id := range p.IDs {
		classes[id], _ = reg.Get(p.Nodes[id].ClassType)
	}
	done := map[string]bool{}
	l := newExecList(p, classes, func(id string) bool { return done[id] })
	var order, released []string
	l.release = func(id string) { released = append(released, id) }
	l.add("4", false)
	for !l.empty() {
		id, ok := l.stage()
		if !ok {
			t.Fatal("unexpected cycle")
		}
		order = append(order, id)
		done[id] = true
		l.complete()
	}
	eq(t, "order", order, []string{"1", "2", "3", "4"})
	// 1 is needed by 2 and 3; it goes once 3 has run, with 2.
	eq(t, "released", released, []string{"1", "2", "3"})
}
