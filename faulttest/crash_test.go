package faulttest

import (
	"syscall"
	"testing"
	"time"
)

// TestKill9MidRunThenRestart: two prompts done, one killed (SIGKILL) in
// the middle of its sampler, three pending. After a restart on the same
// folder every accepted prompt has exactly one successful history entry,
// the killed one ran again from the start, the finished ones did not run
// again (one PNG per prompt, no more) and the queue ends empty.
func TestKill9MidRunThenRestart(t *testing.T) {
	s := start(t)
	sock := dial(t, s, comfyDial())
	var ids []string
	for i, steps := range []int{4, 4, 300, 4, 4, 4} {
		ids = append(ids, queue(t, s, sock.ClientID, workflow(steps, uint64(100+i))))
	}
	waitFor(t, sock, 30*time.Second, "the second prompt's end", isEnd(ids[1]))
	waitFor(t, sock, 30*time.Second, "the long prompt's sampler", isProgress(ids[2]))
	if err := s.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code, ok := s.Wait(10 * time.Second); !ok || code != -1 {
		t.Fatalf("after SIGKILL: exit %d, exited %v", code, ok)
	}
	if n := len(pngFiles(t, s)); n != 2 {
		t.Fatalf("%d PNG files at the kill, want the 2 finished prompts'", n)
	}

	s2 := s.Restart(t)
	for _, id := range ids {
		h := waitSuccess(t, s2, id, 60*time.Second)
		if n := countStarts(h); n != 1 {
			t.Errorf("prompt %s: history records %d execution_start messages, want 1", id, n)
		}
	}
	all, err := s2.AllHistory(timeout(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(ids) {
		t.Errorf("history has %d entries, want %d", len(all), len(ids))
	}
	if n := len(pngFiles(t, s2)); n != len(ids) {
		t.Errorf("%d PNG files, want exactly one per prompt (%d)", n, len(ids))
	}
	running, pending, err := s2.QueueState(timeout(t, 10*time.Second))
	if err != nil || running+pending != 0 {
		t.Errorf("queue after the run: %d running, %d pending, %v", running, pending, err)
	}
}
