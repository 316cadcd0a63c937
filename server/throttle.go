package server

import (
	"time"

	"comfyd/graph"
)

// Progress throttling (spec 6.2), as ComfyUI's 2026 ProgressBar: a node's
// first update, its final one (value == max) and every update followed by
// a preview are always sent; any other only when at least 100 ms passed
// since the last one sent and the value moved by at least 0.5 % of max.
// Fast samplers would otherwise flood every socket with progress and
// progress_state messages. State changes (a node starting, finishing or
// failing) are never throttled.
const (
	progressInterval = 100 * time.Millisecond
	progressMinShare = 0.005
)

type nodeThrottle struct {
	sent    bool
	lastT   time.Time
	lastV   float64
	preview bool // a preview arrived since the last update: send the next
}

// progressThrottle decides which progress updates of one run are sent.
// The executor reports sequentially, so it needs no lock of its own; the
// owning runEvents serialises access.
type progressThrottle struct {
	nodes map[string]*nodeThrottle
	now   func() time.Time
	// lastStates is the previous progress_state: node -> state.
	lastStates map[string]string
	// decided is the verdict taken at a progress_state for the progress
	// message of the same node and value that follows it.
	decidedNode string
	decidedV    float64
	decided     bool
	hasDecided  bool
}

func newProgressThrottle() *progressThrottle {
	return &progressThrottle{nodes: map[string]*nodeThrottle{}, now: time.Now}
}

func (p *progressThrottle) node(id string) *nodeThrottle {
	n := p.nodes[id]
	if n == nil {
		n = &nodeThrottle{}
		p.nodes[id] = n
	}
	return n
}

// allow decides for one value update and records a sent one.
func (p *progressThrottle) allow(id string, value, max float64) bool {
	n := p.node(id)
	now := p.now()
	ok := !n.sent || value >= max || n.preview ||
		now.Sub(n.lastT) >= progressInterval && abs(value-n.lastV) >= progressMinShare*max
	if ok {
		n.sent, n.lastT, n.lastV, n.preview = true, now, value, false
	}
	return ok
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// previewed notes a preview for a node: its next update is sent.
func (p *progressThrottle) previewed(id string) { p.node(id).preview = true }

// state decides for a progress_state snapshot. A snapshot whose node
// states all equal the previous one's is a value update of the running
// node: it is throttled, and the verdict is kept for the progress message
// that follows it.
func (p *progressThrottle) state(nodes map[string]graph.NodeProgress) bool {
	changed := len(nodes) != len(p.lastStates)
	for id, np := range nodes {
		if p.lastStates[id] != np.State {
			changed = true
		}
	}
	states := make(map[string]string, len(nodes))
	var running []string
	for id, np := range nodes {
		states[id] = np.State
		if np.State == "running" {
			running = append(running, id)
		}
	}
	p.lastStates = states
	if changed || len(running) != 1 {
		return true
	}
	id := running[0]
	np := nodes[id]
	ok := p.allow(id, np.Value, np.Max)
	p.decidedNode, p.decidedV, p.decided, p.hasDecided = id, np.Value, ok, true
	return ok
}

// progress decides for a progress message.
func (p *progressThrottle) progress(id string, value, max int) bool {
	if p.hasDecided && p.decidedNode == id && p.decidedV == float64(value) {
		p.hasDecided = false
		return p.decided
	}
	p.hasDecided = false
	return p.allow(id, float64(value), float64(max))
}
