package faulttest

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"comfyd/internal/comfyclient"
)

// TestSIGTERMDuringRunThenResume: SIGTERM while the sampler runs. comfyd
// stops the run, sends every socket a close frame (1001 going away) and
// exits 0; after a restart the interrupted prompt runs again from the
// start and the one queued behind it follows, each exactly once. A socket
// that never reads does not hold the shutdown up.
func TestSIGTERMDuringRunThenResume(t *testing.T) {
	s := start(t)
	sock := dial(t, s, comfyDial())
	dial(t, s, comfyclient.DialOptions{Buffer: 1, NetDial: comfyclient.SmallBufferDialer(4096)})
	long := queue(t, s, sock.ClientID, workflow(300, 7))
	next := queue(t, s, sock.ClientID, workflow(4, 8))
	waitFor(t, sock, 30*time.Second, "the sampler", isProgress(long))
	began := time.Now()
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, ok := s.Wait(20 * time.Second)
	if !ok {
		t.Fatal("comfyd still runs 20 s after SIGTERM")
	}
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	t.Logf("shutdown took %v", time.Since(began).Round(time.Millisecond))
	select {
	case <-sock.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the socket is still open after the server exited")
	}
	var ce *websocket.CloseError
	if err := sock.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("socket ended with %v, want a close frame 1001 (going away)", err)
	}
	if n := len(pngFiles(t, s)); n != 0 {
		t.Errorf("%d PNG files after the interrupted run, want 0", n)
	}

	s2 := s.Restart(t)
	for _, id := range []string{long, next} {
		h := waitSuccess(t, s2, id, 60*time.Second)
		if n := countStarts(h); n != 1 {
			t.Errorf("prompt %s: %d execution_start in history, want 1", id, n)
		}
	}
	if n := len(pngFiles(t, s2)); n != 2 {
		t.Errorf("%d PNG files, want 2", n)
	}
}
