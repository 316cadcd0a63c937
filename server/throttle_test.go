package server

import (
	"testing"
	"time"

	"comfyd/graph"
)

func TestProgressThrottle(t *testing.T) {
	clock := time.Unix(0, 0)
	p := newProgressThrottle()
	p.now = func() time.Time { return clock }
	step := func(d time.Duration, v, max int) bool {
		clock = clock.Add(d)
		return p.progress("3", v, max)
	}
	cases := []struct {
		d    time.Duration
		v    int
		want bool
	}{
		{0, 1, true},                       // first
		{10 * time.Millisecond, 2, false},  // too soon
		{100 * time.Millisecond, 3, true},  // 110 ms later and moved 2 % of max
		{150 * time.Millisecond, 3, false}, // did not move
		{1 * time.Millisecond, 100, true},  // final
	}
	for i, c := range cases {
		if got := step(c.d, c.v, 100); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
	// Large max: time passed but the value moved less than 0.5 %.
	p2 := newProgressThrottle()
	p2.now = p.now
	p2.progress("n", 1, 10000)
	clock = clock.Add(time.Second)
	if p2.progress("n", 40, 10000) {
		t.Error("moved 0.39 %: should be throttled")
	}
	if !p2.progress("n", 60, 10000) {
		t.Error("moved 0.59 %: should be sent")
	}
	// A preview forces the next update through.
	p2.progress("n", 61, 10000)
	p2.previewed("n")
	if !p2.progress("n", 62, 10000) {
		t.Error("update after a preview throttled")
	}
	// progress_state: state changes always pass; value updates share the
	// verdict with the progress message that follows.
	p3 := newProgressThrottle()
	p3.now = p.now
	snap := func(state string, v float64) map[string]graph.NodeProgress {
		return map[string]graph.NodeProgress{"1": {State: "finished", Value: 1, Max: 1}, "2": {State: state, Value: v, Max: 1000}}
	}
	if !p3.state(snap("running", 0)) || !p3.progress("2", 0, 1000) {
		t.Error("node start throttled")
	}
	if p3.state(snap("running", 1)) || p3.progress("2", 1, 1000) {
		t.Error("immediate value update sent")
	}
	if !p3.state(snap("finished", 1000)) {
		t.Error("finish throttled")
	}
}
