package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"comfyd/graph"
)

// TestProgressStateMessage: the message is the latest state, encoded
// once per version, and the executor's later changes to its lent map do
// not leak into an encoded message.
func TestProgressStateMessage(t *testing.T) {
	ps := newProgressState("P")
	lent := map[string]graph.NodeProgress{"1": {State: "running", NodeID: "1", PromptID: "P"}}
	ps.update(lent)
	first := ps.message()
	if again := ps.message(); &again[0] != &first[0] {
		t.Error("the same version was encoded twice")
	}
	lent["1"] = graph.NodeProgress{State: "finished", Value: 1, Max: 1, NodeID: "1", PromptID: "P"}
	lent["2"] = graph.NodeProgress{State: "running", NodeID: "2", PromptID: "P"}
	if string(ps.message()) != string(first) {
		t.Error("a change to the lent map reached the state without update")
	}
	ps.update(lent)
	var m struct {
		Type string            `json:"type"`
		Data ProgressStateData `json:"data"`
	}
	if err := json.Unmarshal(ps.message(), &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != "progress_state" || m.Data.PromptID != "P" || len(m.Data.Nodes) != 2 || m.Data.Nodes["1"].State != "finished" {
		t.Errorf("message %+v", m)
	}
	delete(lent, "2")
	ps.update(lent)
	m.Data.Nodes = nil // Unmarshal merges into an existing map
	_ = json.Unmarshal(ps.message(), &m)
	if len(m.Data.Nodes) != 1 {
		t.Errorf("removed node kept: %+v", m.Data.Nodes)
	}
}

// BenchmarkProgressState sends the progress_state messages of a chain of
// n nodes (each running, then finished: 2n messages listing every node so
// far) to one socket that reads as fast as it can, and waits until the
// last one has been received. "encode-each" is the former path (every
// message encoded and queued, hub.send); "shared" is runEvents'.
func BenchmarkProgressState(b *testing.B) {
	for _, n := range []int{500, 2000} {
		for _, path := range []string{"encode-each", "shared"} {
			b.Run(fmt.Sprintf("nodes-%d/%s", n, path), func(b *testing.B) {
				benchProgressState(b, n, path == "shared")
			})
		}
	}
}

func benchProgressState(b *testing.B, n int, shared bool) {
	ts := newTestServer(b)
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.http.URL, "http")+"/ws?clientId=R", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	// The reader discards frames and reports the final state's arrival
	// (the last node finished; only the last message carries it).
	final := []byte(fmt.Sprintf(`"%d":{"value":1,"max":1,"state":"finished"`, n-1))
	done := make(chan struct{}, 1)
	go func() {
		for {
			_, r, err := conn.NextReader()
			if err != nil {
				return
			}
			if data, _ := io.ReadAll(r); bytes.Contains(data, final) {
				done <- struct{}{}
			}
		}
	}()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	b.ResetTimer()
	for range b.N {
		ev := newRunEvents(ts.hub, "P", "")
		lent := make(map[string]graph.NodeProgress, n)
		for _, id := range ids {
			for _, state := range []string{"running", "finished"} {
				v := 0.0
				if state == "finished" {
					v = 1
				}
				lent[id] = graph.NodeProgress{Value: v, Max: 1, State: state, NodeID: id, PromptID: "P", DisplayNodeID: id, RealNodeID: id}
				if shared {
					ev.ProgressState("P", lent)
				} else {
					ts.hub.send("progress_state", ProgressStateData{"P", lent}, "")
				}
			}
		}
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			b.Fatal("final progress_state not received")
		}
	}
}
