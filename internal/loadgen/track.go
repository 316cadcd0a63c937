package loadgen

import (
	"fmt"
	"sync"
	"time"

	"comfyd/internal/comfyclient"
)

// promptTrack follows one prompt's messages on its client's socket and
// checks the protocol order (spec 3.4): execution_start first, node-level
// messages between, then execution_success (or an error), then executing
// with node null, and nothing after.
type promptTrack struct {
	id       string
	submitAt time.Time
	accepted bool

	started, succeeded, failed, ended bool
	successAt                         time.Time
	executed                          int
	progress                          map[string]int // last progress value per node
	violation                         string         // first order violation, "" if none
	failure                           string         // execution_error / interrupted text

	done chan struct{} // closed at executing{node:null} (or when given up)
}

func newTrack(id string) *promptTrack {
	return &promptTrack{id: id, progress: map[string]int{}, done: make(chan struct{})}
}

func (p *promptTrack) violate(format string, args ...any) {
	if p.violation == "" {
		p.violation = fmt.Sprintf(format, args...)
	}
}

// observe applies one message addressed to this prompt.
func (p *promptTrack) observe(m comfyclient.Message) {
	running := p.started && !p.succeeded && !p.failed && !p.ended
	switch m.Type {
	case "execution_start":
		if p.started || p.ended {
			p.violate("second execution_start")
		}
		p.started = true
	case "execution_success":
		if !running {
			p.violate("execution_success outside a run (started=%v succeeded=%v ended=%v)", p.started, p.succeeded, p.ended)
		}
		p.succeeded, p.successAt = true, m.At
	case "execution_error", "execution_interrupted":
		if !running {
			p.violate("%s outside a run", m.Type)
		}
		p.failed = true
		p.failure = m.Type + ": " + string(m.Data)
	case "executing":
		if !m.NodeNull {
			if !running {
				p.violate("executing %s outside a run", m.Node)
			}
			return
		}
		if !p.started || !(p.succeeded || p.failed) || p.ended {
			p.violate("executing null before the run ended (started=%v succeeded=%v failed=%v ended=%v)", p.started, p.succeeded, p.failed, p.ended)
		}
		if !p.ended {
			p.ended = true
			close(p.done)
		}
	case "progress":
		if !running {
			p.violate("progress outside a run")
		}
		if last := p.progress[m.Node]; m.Value <= last || m.Value > m.Max {
			p.violate("progress %d/%d on node %s after %d", m.Value, m.Max, m.Node, last)
		}
		p.progress[m.Node] = m.Value
	case "executed":
		if !running {
			p.violate("executed outside a run")
		}
		p.executed++
	case "execution_cached":
		if !running {
			p.violate("execution_cached outside a run")
		}
	}
}

// complete reports the full success sequence.
func (p *promptTrack) complete() bool {
	return p.started && p.succeeded && p.ended && p.violation == ""
}

// clientTracks holds one socket's prompts.
type clientTracks struct {
	mu        sync.Mutex
	prompts   map[string]*promptTrack
	misrouted int // addressed messages for prompts this client did not queue
	previews  int
}

// clientAddressed are the types ComfyUI sends only to the prompt's client.
var clientAddressed = map[string]bool{
	"execution_start": true, "execution_cached": true, "execution_success": true, "execution_error": true,
	"execution_interrupted": true, "executing": true, "executed": true, "progress": true,
}

func (c *clientTracks) observe(m comfyclient.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Binary {
		c.previews++
		return
	}
	if m.PromptID == "" || !clientAddressed[m.Type] {
		return
	}
	p := c.prompts[m.PromptID]
	if p == nil {
		c.misrouted++
		return
	}
	p.observe(m)
}
