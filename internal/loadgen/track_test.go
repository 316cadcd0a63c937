package loadgen

import (
	"testing"

	"comfyd/internal/comfyclient"
)

func msg(typ string) comfyclient.Message { return comfyclient.Message{Type: typ, PromptID: "p"} }

func node(typ, n string) comfyclient.Message {
	m := msg(typ)
	m.Node = n
	return m
}

func end() comfyclient.Message { m := msg("executing"); m.NodeNull = true; return m }

func progress(v, max int) comfyclient.Message {
	m := node("progress", "3")
	m.Value, m.Max = v, max
	return m
}

func TestPromptTrackOrder(t *testing.T) {
	good := []comfyclient.Message{msg("execution_start"), msg("execution_cached"), node("executing", "3"),
		progress(1, 2), progress(2, 2), node("executed", "9"), msg("execution_success"), end()}
	cases := []struct {
		name     string
		msgs     []comfyclient.Message
		complete bool
	}{
		{"full run", good, true},
		{"missing start", good[1:], false},
		{"missing success", append(append([]comfyclient.Message{}, good[:6]...), end()), false},
		{"missing end", good[:7], false},
		{"end before success", []comfyclient.Message{msg("execution_start"), end(), msg("execution_success")}, false},
		{"progress backwards", []comfyclient.Message{msg("execution_start"), progress(2, 2), progress(1, 2), msg("execution_success"), end()}, false},
		{"progress beyond max", []comfyclient.Message{msg("execution_start"), progress(3, 2), msg("execution_success"), end()}, false},
		{"message after end", append(append([]comfyclient.Message{}, good...), node("executed", "9")), false},
		{"duplicate start", append([]comfyclient.Message{msg("execution_start")}, good...), false},
		{"error run", []comfyclient.Message{msg("execution_start"), msg("execution_error"), end()}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newTrack("p")
			for _, m := range c.msgs {
				p.observe(m)
			}
			if p.complete() != c.complete {
				t.Errorf("complete=%v (violation %q), want %v", p.complete(), p.violation, c.complete)
			}
		})
	}
}

func TestMisroutedMessages(t *testing.T) {
	c := &clientTracks{prompts: map[string]*promptTrack{"mine": newTrack("mine")}}
	c.observe(comfyclient.Message{Type: "execution_start", PromptID: "theirs"})
	c.observe(comfyclient.Message{Type: "progress_state", PromptID: "theirs"}) // broadcast by design
	c.observe(comfyclient.Message{Type: "status"})
	if c.misrouted != 1 {
		t.Errorf("misrouted = %d, want 1", c.misrouted)
	}
}
