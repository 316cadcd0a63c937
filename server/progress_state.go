package server

import (
	"maps"
	"sync"

	"comfyd/graph"
)

// progressState is the latest progress_state of one prompt, shared by
// every socket. progress_state lists every node of the prompt and is sent
// at each node transition and sampler step, so encoding each one for each
// socket costs O(nodes) per message: quadratic in the graph's size, and
// unbounded memory behind a socket that does not read. The state is
// cumulative (only the latest matters), so a socket queues at most one
// progress_state per prompt, a marker whose JSON is made when its writer
// reaches it, from the latest state, once per state version for all
// sockets. A fast client still gets every state; a slow one skips the
// intermediate ones, never the last.
type progressState struct {
	promptID string

	mu      sync.Mutex
	nodes   map[string]graph.NodeProgress // mirror of the executor's map
	version uint64

	encodeMu  sync.Mutex // held while encoding; guards encoded, encodedAt
	encoded   []byte
	encodedAt uint64 // the version encoded
}

func newProgressState(promptID string) *progressState {
	return &progressState{promptID: promptID, nodes: map[string]graph.NodeProgress{}}
}

// update mirrors the executor's map (lent for the call only, see
// graph.Events). Only changed entries are written: comparing is much
// cheaper than encoding or copying them all.
func (p *progressState) update(nodes map[string]graph.NodeProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, n := range nodes {
		if old, ok := p.nodes[id]; !ok || old != n {
			p.nodes[id] = n
		}
	}
	if len(p.nodes) != len(nodes) { // the executor never removes entries; be exact anyway
		maps.DeleteFunc(p.nodes, func(id string, _ graph.NodeProgress) bool {
			_, keep := nodes[id]
			return !keep
		})
	}
	p.version++
}

// size is the number of nodes in the state.
func (p *progressState) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.nodes)
}

// message returns the progress_state message of the latest version,
// encoding it at most once per version. The executor is held only for the
// copy, not for the encoding.
func (p *progressState) message() []byte {
	p.encodeMu.Lock()
	defer p.encodeMu.Unlock()
	p.mu.Lock()
	if p.encoded != nil && p.encodedAt == p.version {
		p.mu.Unlock()
		return p.encoded
	}
	version := p.version
	snapshot := maps.Clone(p.nodes)
	p.mu.Unlock()
	p.encoded = encodeMessage("progress_state", ProgressStateData{p.promptID, snapshot})
	p.encodedAt = version
	return p.encoded
}
