package main

import (
	"io"
	"strings"
	"testing"
)

func TestRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1:8188", "http://example.com", "http://0.0.0.0:8188", "ftp://127.0.0.1", "http://[::2]:1"} {
		var stderr strings.Builder
		if code := run([]string{"--url", u}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "comfyd-load:") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and an explanation", u, code, stderr.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--clients", "0"}, {"--prompts", "0"}, {"--clients", "100000"}, {"--width", "-1"}, {"--timeout", "0s", "--workflow", "/nonexistent"}, {"extra"}} {
		if code := run(append([]string{"--url", "http://127.0.0.1:1", "--ckpt", "x"}, args...), io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
