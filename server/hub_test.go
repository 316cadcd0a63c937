package server

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"comfyd/graph"
)

// stalledClient dials a socket that stops reading after its status
// message, with small TCP buffers on both ends so the server's writer
// blocks early, and returns the server's side of it.
func stalledClient(t *testing.T, ts *testServer, sid string) *wsClient {
	t.Helper()
	client := ts.dial(t, "?clientId="+sid)
	client.next()
	_ = client.conn.UnderlyingConn().(*net.TCPConn).SetReadBuffer(4096)
	client.stop()
	c := ts.hub.client(sid)
	if c == nil {
		t.Fatal("socket not registered")
	}
	_ = c.conn.UnderlyingConn().(*net.TCPConn).SetWriteBuffer(4096)
	return c
}

// TestWSBacklogCappedInBytes: a socket that does not read is given up
// once its backlog passes maxBacklogBytes, however few frames that is.
func TestWSBacklogCappedInBytes(t *testing.T) {
	ts := newTestServer(t)
	c := stalledClient(t, ts, "S")
	big := make([]byte, 1<<20) // JSON frames are never dropped
	accepted := 0
	for accepted < 100 && c.enqueue(frame{kind: websocket.TextMessage, data: big}, false) {
		accepted++
	}
	// A few frames may sit in the socket buffers and the one frame the
	// client read before it stopped.
	if limit := maxBacklogBytes/len(big) + 4; accepted > limit {
		t.Errorf("%d frames of 1 MiB queued for a stalled socket, limit %d", accepted, limit)
	}
	c.mu.Lock()
	closed, queued := c.closed, len(c.frames)
	c.mu.Unlock()
	if !closed || queued != 0 {
		t.Errorf("socket over its byte budget: closed %v, %d frames kept", closed, queued)
	}
}

// TestWSProgressStateCoalesced: progress_state lists every node, at every
// node transition. A stalled socket keeps at most one queued per prompt
// (the latest), however many the executor sends; a reading socket still
// ends with the final state.
func TestWSProgressStateCoalesced(t *testing.T) {
	ts := newTestServer(t)
	c := stalledClient(t, ts, "S")
	reader := ts.dial(t, "?clientId=R")
	reader.next()

	const nodes = 1000
	ev := newRunEvents(ts.hub, "P", "")
	state := map[string]graph.NodeProgress{} // lent to each call, as the executor does
	for i := range nodes {
		id := fmt.Sprint(i)
		for _, s := range []string{"running", "finished"} {
			state[id] = graph.NodeProgress{State: s, Value: 1, Max: 1, NodeID: id, PromptID: "P", DisplayNodeID: id, RealNodeID: id}
			ev.ProgressState("P", state)
		}
	}
	c.mu.Lock()
	queued, backlog := len(c.frames), c.backlogBytes
	c.mu.Unlock()
	if queued > 1 || backlog > 1<<20 {
		t.Errorf("stalled socket holds %d frames, %d bytes", queued, backlog)
	}

	received := 0
	deadline := time.After(10 * time.Second)
	for {
		var m wsMsg
		select {
		case m = <-reader.msgs:
		case <-deadline:
			t.Fatalf("no final progress_state after %d", received)
		}
		if m.Type != "progress_state" {
			continue
		}
		received++
		all, _ := m.Data["nodes"].(map[string]any)
		last, _ := all[fmt.Sprint(nodes-1)].(map[string]any)
		if len(all) == nodes && last["state"] == "finished" {
			break
		}
	}
	t.Logf("reader got %d of %d progress_state messages", received, 2*nodes)
}

// countingJSON counts its encodings.
type countingJSON struct{ n *int }

func (c countingJSON) MarshalJSON() ([]byte, error) {
	*c.n++
	return []byte("{}"), nil
}

// TestHubSendEncodesOnlyForRecipients: with no socket to receive a
// message, it is not encoded (a big graph's progress_state costs
// O(nodes) per message).
func TestHubSendEncodesOnlyForRecipients(t *testing.T) {
	ts := newTestServer(t)
	var n int
	ts.hub.send("x", countingJSON{&n}, "")
	ts.hub.send("x", countingJSON{&n}, "nobody")
	if n != 0 {
		t.Errorf("%d encodings without a socket", n)
	}
	c := ts.dial(t, "?clientId=A")
	c.next()
	ts.hub.send("x", countingJSON{&n}, "")
	if m := c.next(); m.Type != "x" || n != 1 {
		t.Errorf("got %v after %d encodings", m.Type, n)
	}
}

// A progress_state is fixed at its place in a socket's stream: it must not
// show nodes whose executing message comes after it (it used to be encoded
// only when the writer reached it, from the latest state).
func TestWSProgressStateKeepsItsPlace(t *testing.T) {
	ts := newTestServer(t)
	reader := ts.dial(t, "?clientId=R")
	reader.next()
	ev := newRunEvents(ts.hub, "P", "R") // executing goes to the submitting client
	node := func(id, s string) graph.NodeProgress {
		return graph.NodeProgress{State: s, Value: 1, Max: 1, NodeID: id, PromptID: "P", DisplayNodeID: id, RealNodeID: id}
	}
	for round := range 50 {
		a, b := fmt.Sprint("a", round), fmt.Sprint("b", round)
		ev.ProgressState("P", map[string]graph.NodeProgress{a: node(a, "running")})
		ev.Executing("P", b, b)
		ev.ProgressState("P", map[string]graph.NodeProgress{a: node(a, "finished"), b: node(b, "running")})
	}
	executed := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for seen := 0; seen < 50; {
		var m wsMsg
		select {
		case m = <-reader.msgs:
		case <-deadline:
			t.Fatal("messages stopped")
		}
		switch m.Type {
		case "executing":
			node, _ := m.Data["node"].(string)
			executed[node] = true
			seen++
		case "progress_state":
			all, _ := m.Data["nodes"].(map[string]any)
			for id := range all {
				if strings.HasPrefix(id, "b") && !executed[id] {
					t.Fatalf("progress_state shows %s before its executing message", id)
				}
			}
		}
	}
}
