package faulttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"comfyd/internal/comfyclient"
)

// TestOutputFolderUnwritable: the output folder is replaced by a regular
// file (chmod would not stop root, and CI runs as root). The prompt ends
// in a clear execution_error naming SaveImage, the server lives on, and
// after the folder is repaired the next prompt succeeds. The same holds
// for a filename_prefix whose subfolder is blocked by a file.
func TestOutputFolderUnwritable(t *testing.T) {
	s := start(t)
	sock := dial(t, s, comfyDial())
	out := s.OutputDir()
	if err := os.Rename(out, out+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}

	id := queue(t, s, sock.ClientID, workflow(4, 21))
	m := waitFor(t, sock, 30*time.Second, "execution_error", comfyclient.Is("execution_error", id))
	checkSaveError(t, m)
	waitFor(t, sock, 10*time.Second, "the prompt's end", isEnd(id))
	h, err := s.WaitHistory(timeout(t, 10*time.Second), id)
	if err != nil || h.Status.StatusStr != "error" {
		t.Fatalf("history of the failed prompt: %+v, %v", h, err)
	}
	s.Alive(t)

	// Repair, then the next prompt succeeds.
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(out+".moved", out); err != nil {
		t.Fatal(err)
	}
	id2 := queue(t, s, sock.ClientID, workflow(4, 22))
	waitFor(t, sock, 30*time.Second, "execution_success after the repair", comfyclient.Is("execution_success", id2))
	waitSuccess(t, s, id2, 10*time.Second)

	// A subfolder prefix whose folder is a file.
	if err := os.WriteFile(filepath.Join(out, "blocked"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wf := workflow(4, 23)
	wf.SetInput("SaveImage", "filename_prefix", "blocked/img")
	id3 := queue(t, s, sock.ClientID, wf)
	checkSaveError(t, waitFor(t, sock, 30*time.Second, "execution_error", comfyclient.Is("execution_error", id3)))
	id4 := queue(t, s, sock.ClientID, workflow(4, 24))
	waitFor(t, sock, 30*time.Second, "execution_success", comfyclient.Is("execution_success", id4))
}

func checkSaveError(t *testing.T, m comfyclient.Message) {
	t.Helper()
	var e struct {
		NodeID           string `json:"node_id"`
		NodeType         string `json:"node_type"`
		ExceptionMessage string `json:"exception_message"`
		ExceptionType    string `json:"exception_type"`
	}
	if err := json.Unmarshal(m.Data, &e); err != nil {
		t.Fatal(err)
	}
	t.Logf("execution_error: %s (%s) on %s", e.ExceptionMessage, e.ExceptionType, e.NodeType)
	if e.NodeID != "9" || e.NodeType != "SaveImage" {
		t.Errorf("error blames node %s (%s), want 9 (SaveImage)", e.NodeID, e.NodeType)
	}
	if !strings.Contains(e.ExceptionMessage, "not a directory") {
		t.Errorf("exception_message %q does not say what is wrong", e.ExceptionMessage)
	}
}
