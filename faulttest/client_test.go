package faulttest

import (
	"testing"
	"time"

	"comfyd/internal/comfyclient"
)

// TestClientVanishesMidRun: the client's TCP connection drops without a
// close frame while its prompt samples. The run completes, history and
// the file are written, and the server serves the next client.
func TestClientVanishesMidRun(t *testing.T) {
	s := start(t)
	sock := dial(t, s, comfyDial())
	id := queue(t, s, sock.ClientID, workflow(60, 11))
	waitFor(t, sock, 30*time.Second, "the sampler", isProgress(id))
	if err := sock.Abort(); err != nil {
		t.Fatal(err)
	}
	waitSuccess(t, s, id, 60*time.Second)

	other := dial(t, s, comfyDial())
	id2 := queue(t, s, other.ClientID, workflow(4, 12))
	waitFor(t, other, 30*time.Second, "the next prompt's success", comfyclient.Is("execution_success", id2))
	waitSuccess(t, s, id2, 10*time.Second)
	s.Alive(t)
}
