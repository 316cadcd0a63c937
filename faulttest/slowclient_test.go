package faulttest

import (
	"testing"
	"time"

	"comfyd/internal/comfyclient"
	"comfyd/internal/comfytest"
	"comfyd/internal/procstat"
)

// runSequence runs n prompts one after the other on sock and returns the
// wall time.
func runSequence(t *testing.T, s *comfytest.Server, sock *comfyclient.Socket, n int, seed uint64) time.Duration {
	t.Helper()
	began := time.Now()
	for i := range n {
		id := queue(t, s, sock.ClientID, workflow(8, seed+uint64(i)))
		waitFor(t, sock, 60*time.Second, "a prompt's end", isEnd(id))
	}
	return time.Since(began)
}

// TestStalledReadersDoNotSlowOthers: sockets that never read (a small
// receive buffer, nothing consumed) sit beside a normal client while
// prompts run, some of them their own (addressed messages and previews
// pile up for them). The normal client's prompts are not slowed
// materially, the stalled prompts still complete, and the server's memory
// stays bounded.
func TestStalledReadersDoNotSlowOthers(t *testing.T) {
	s := start(t, "--preview-method", "latent2rgb")
	sock := dial(t, s, comfyDial())
	runSequence(t, s, sock, 3, 1) // warm-up
	// The best of two tries on each side: other tests share the machine.
	base := min(runSequence(t, s, sock, 6, 100), runSequence(t, s, sock, 6, 150))
	before := s.Mem(t)

	const stalledClients = 16
	var stalledIDs []string
	for i := range stalledClients {
		st := dial(t, s, comfyclient.DialOptions{Buffer: 1, NetDial: comfyclient.SmallBufferDialer(4096)})
		if i%4 == 0 {
			// 512x512 previews are the biggest frames comfyd sends.
			wf := comfyclient.DefaultWorkflow(builtin, 512, 512, 20)
			wf.SetSeed(uint64(500 + i))
			stalledIDs = append(stalledIDs, queue(t, s, st.ClientID, wf))
		}
	}
	// Their prompts complete although nobody reads their sockets.
	for _, id := range stalledIDs {
		waitSuccess(t, s, id, 60*time.Second)
	}
	// The stalled sockets stay connected, their buffers full, and keep
	// being sent every broadcast while the normal client measures again.
	loaded := min(runSequence(t, s, sock, 6, 200), runSequence(t, s, sock, 6, 250))
	after := s.Mem(t)
	// The bound is generous for a shared CI machine; a server that waited
	// on a stalled socket would take seconds per message (its write
	// timeout is 10 s), far beyond it.
	t.Logf("6 prompts: %v alone, %v beside %d stalled sockets (+%d prompts of theirs); RSS %s -> %s (HWM %s)",
		base.Round(time.Millisecond), loaded.Round(time.Millisecond), stalledClients, len(stalledIDs),
		procstat.MiB(before.RSS), procstat.MiB(after.RSS), procstat.MiB(after.HWM))
	if limit := 2*base + 2*time.Second; loaded > limit {
		t.Errorf("the normal client's prompts took %v beside stalled sockets, %v alone (limit %v)", loaded, base, limit)
	}
	const maxGrowth = 96 << 20
	if after.RSS-before.RSS > maxGrowth {
		t.Errorf("RSS grew by %s beside stalled sockets (limit %s)", procstat.MiB(after.RSS-before.RSS), procstat.MiB(maxGrowth))
	}
	s.Alive(t)
}
