package faulttest

import (
	"fmt"
	"testing"
	"time"

	"comfyd/internal/comfyclient"
	"comfyd/internal/procstat"
)

// upscaleChain is the default workflow (1 step) whose latent passes
// through n LatentUpscaleBy nodes at scale 1: a large graph that runs
// fast. width varies the chain's input so that each run executes anew
// instead of coming from the cache.
func upscaleChain(n, width int) comfyclient.Workflow {
	wf := workflow(1, 7)
	wf.Inputs("5")["width"] = width
	prev := "5"
	for i := range n {
		id := fmt.Sprint(1000 + i)
		wf[id] = map[string]any{"class_type": "LatentUpscaleBy", "inputs": map[string]any{
			"samples": []any{prev, 0}, "upscale_method": "nearest-exact", "scale_by": 1.0}}
		prev = id
	}
	wf.Inputs("3")["latent_image"] = []any{prev, 0}
	return wf
}

// TestZZBigGraphStalled: every node of a big graph sends a progress_state
// listing every node so far, to every socket. A socket that never reads
// must not make the server keep all of them (its backlog is capped in
// bytes and a superseded progress_state is replaced, not queued), and with
// no socket at all nothing is encoded. (It runs last, from the last file,
// after the suite's other servers are gone: its timings are its own.)
func TestZZBigGraphStalled(t *testing.T) {
	const nodes = 2000
	const maxPeak = 512 << 20
	s := start(t)

	// No socket: the run's cost is the executor's.
	began := time.Now()
	id := queue(t, s, "", upscaleChain(nodes, 64))
	if _, err := s.WaitHistory(timeout(t, 60*time.Second), id); err != nil {
		t.Fatal(err)
	}
	alone := time.Since(began)
	t.Logf("%d-node chain without sockets: %v", nodes, alone.Round(time.Millisecond))

	// One reading client.
	sock := dial(t, s, comfyDial())
	began = time.Now()
	o, _ := queueAndWatch(t, s, sock, upscaleChain(nodes, 72), 0, 60*time.Second)
	if o.kind != "execution_success" {
		t.Fatalf("one client: %+v", o)
	}
	watched := time.Since(began)
	t.Logf("%d-node chain with one client: %v", nodes, watched.Round(time.Millisecond))

	// One reading client beside one that never reads (a 4 KB receive
	// buffer, nothing consumed).
	dial(t, s, comfyclient.DialOptions{Buffer: 1, NetDial: comfyclient.SmallBufferDialer(4096)})
	began = time.Now()
	o, peak := queueAndWatch(t, s, sock, upscaleChain(nodes, 80), 0, 60*time.Second)
	if o.kind != "execution_success" {
		t.Fatalf("beside a stalled reader: %+v", o)
	}
	beside := time.Since(began)
	t.Logf("%d-node chain beside a stalled reader: %v, peak RSS %s", nodes, beside.Round(time.Millisecond), procstat.MiB(peak))
	if peak > maxPeak {
		t.Errorf("peak RSS %s beside a stalled reader, limit %s", procstat.MiB(peak), procstat.MiB(maxPeak))
	}
	if limit := 15 * time.Second; alone+watched+beside > limit {
		t.Errorf("the three runs took %v, limit %v", alone+watched+beside, limit)
	}
	s.Alive(t)
}
