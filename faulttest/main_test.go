// Package faulttest runs the real comfyd binary as a subprocess and hurts
// it: kill -9 and SIGTERM mid-run, clients that vanish or never read, an
// output folder that cannot be written, hostile input of every kind, and a
// short load run. Each test is bounded in time; together they take well
// under two minutes on two cores. The long soak run is cmd/comfyd-load's
// job (see the README's "Load and fault figures").
package faulttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"comfyd/internal/comfyclient"
	"comfyd/internal/comfytest"
)

// bin is the comfyd binary built once for the whole package.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "comfyd-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = comfytest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs comfyd on a fresh base directory.
func start(t *testing.T, args ...string) *comfytest.Server {
	t.Helper()
	return comfytest.Start(t, bin, t.TempDir(), args...)
}

// builtin is the file-less checkpoint every comfyd offers first.
const builtin = "comfyd-builtin-shapes.safetensors"

// workflow is the default graph at 64x64 with the given steps and seed.
func workflow(steps int, seed uint64) comfyclient.Workflow {
	wf := comfyclient.DefaultWorkflow(builtin, 64, 64, steps)
	wf.SetSeed(seed)
	return wf
}

// timeout returns a context bounded by d and the test's deadline.
func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// dial opens a socket with a fresh client id.
func dial(t *testing.T, s *comfytest.Server, opt comfyclient.DialOptions) *comfyclient.Socket {
	t.Helper()
	sock, err := comfyclient.Dial(timeout(t, 10*time.Second), s.URL, "fault-"+uuid.NewString()[:8], opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	return sock
}

// queue posts wf for sock's client and returns the prompt id.
func queue(t *testing.T, s *comfytest.Server, clientID string, wf comfyclient.Workflow) string {
	t.Helper()
	res, err := s.QueuePrompt(timeout(t, 30*time.Second), comfyclient.PromptRequest{Prompt: wf, ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	return res.PromptID
}

// waitFor waits for a message on sock or fails the test.
func waitFor(t *testing.T, sock *comfyclient.Socket, d time.Duration, what string, match func(comfyclient.Message) bool) comfyclient.Message {
	t.Helper()
	m, err := sock.WaitFor(timeout(t, d), match)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return m
}

// isProgress matches the first sampler step of promptID.
func isProgress(promptID string) func(comfyclient.Message) bool {
	return func(m comfyclient.Message) bool { return m.Type == "progress" && m.PromptID == promptID }
}

// waitSuccess waits for promptID's history entry and checks it succeeded
// and its images exist on disk.
func waitSuccess(t *testing.T, s *comfytest.Server, promptID string, d time.Duration) *comfyclient.HistoryEntry {
	t.Helper()
	h, err := s.WaitHistory(timeout(t, d), promptID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status.StatusStr != "success" || !h.Status.Completed {
		t.Fatalf("prompt %s: history status %q completed=%v, want success", promptID, h.Status.StatusStr, h.Status.Completed)
	}
	imgs := h.Images()
	if len(imgs) == 0 {
		t.Fatalf("prompt %s: no images in history outputs", promptID)
	}
	for _, img := range imgs {
		if _, err := os.Stat(filepath.Join(s.Base, img.Type, img.Subfolder, img.Filename)); err != nil {
			t.Errorf("prompt %s: output file: %v", promptID, err)
		}
	}
	return h
}

// pngFiles lists the PNG files of the output folder.
func pngFiles(t *testing.T, s *comfytest.Server) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(s.OutputDir(), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".png") {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// countStarts counts execution_start messages recorded in a history entry.
func countStarts(h *comfyclient.HistoryEntry) int {
	n := 0
	for _, m := range h.Status.Messages {
		if len(m) > 0 && string(m[0]) == `"execution_start"` {
			n++
		}
	}
	return n
}

// isEnd matches executing{node:null} of promptID.
func isEnd(promptID string) func(comfyclient.Message) bool { return comfyclient.IsEnd(promptID) }

// comfyDial is an ordinary client.
func comfyDial() comfyclient.DialOptions { return comfyclient.DialOptions{} }
