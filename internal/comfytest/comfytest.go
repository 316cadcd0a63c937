// Package comfytest runs the real comfyd binary as a subprocess for tests
// that need a process boundary: kill -9, SIGTERM, restarts, memory figures.
// Build the binary once per test package (TestMain) with Build, then start
// servers with Start; each server gets its own free loopback port.
package comfytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"comfyd/internal/comfyclient"
	"comfyd/internal/procstat"
)

// Build compiles comfyd into dir and returns the binary's path. It runs
// `go build` from the current directory, which must be inside the module.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "comfyd")
	cmd := exec.Command("go", "build", "-o", bin, "comfyd/cmd/comfyd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build comfyd: %v\n%s", err, out)
	}
	return bin, nil
}

// Server is one running comfyd process.
type Server struct {
	Bin  string
	Base string // --base-directory
	Port int
	URL  string
	Args []string // extra flags
	*comfyclient.Client

	cmd    *exec.Cmd
	log    *syncBuffer
	waited chan struct{}
	exit   error
}

// Start runs the binary on base (created by the caller, reused across
// restarts) with extra flags, and waits until it answers. The process is
// killed at the end of the test if it is still running.
func Start(t testing.TB, bin, base string, args ...string) *Server {
	t.Helper()
	s := &Server{Bin: bin, Base: base, Args: args}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.Running() {
			s.Kill()
		}
		if t.Failed() {
			t.Logf("comfyd log (%s):\n%s", s.URL, s.Log())
		}
	})
	return s
}

// Restart starts a new process on the same base directory and flags (a new
// port) after the old one ended.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	if s.Running() {
		t.Fatal("Restart: the old process still runs")
	}
	return Start(t, s.Bin, s.Base, s.Args...)
}

func (s *Server) start() error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := FreePort()
		if err != nil {
			return err
		}
		s.Port = port
		s.URL = "http://127.0.0.1:" + strconv.Itoa(port)
		args := append([]string{"--port", strconv.Itoa(port), "--base-directory", s.Base}, s.Args...)
		s.cmd = exec.Command(s.Bin, args...)
		s.log = &syncBuffer{}
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		s.waited = make(chan struct{})
		if err := s.cmd.Start(); err != nil {
			return err
		}
		go func() { s.exit = s.cmd.Wait(); close(s.waited) }()
		if s.Client, err = comfyclient.New(s.URL); err != nil {
			return err
		}
		if lastErr = s.waitReady(15 * time.Second); lastErr == nil {
			return nil
		}
		s.Kill()
		// A port taken between FreePort and Listen: try another one.
	}
	return fmt.Errorf("comfyd did not start: %v\n%s", lastErr, s.Log())
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.waited:
			return fmt.Errorf("comfyd exited: %v", s.exit)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		status, _, err := s.Do(ctx, http.MethodGet, "/queue", "", nil)
		cancel()
		if err == nil && status == http.StatusOK {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("no answer on /queue")
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// PID is the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Running reports whether the process has not exited.
func (s *Server) Running() bool {
	select {
	case <-s.waited:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the exit.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.waited
}

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Wait waits up to limit for the process to exit and returns its exit
// code (-1 for a signal death); ok is false on timeout.
func (s *Server) Wait(limit time.Duration) (code int, ok bool) {
	select {
	case <-s.waited:
	case <-time.After(limit):
		return 0, false
	}
	if st, isStatus := s.cmd.ProcessState.Sys().(syscall.WaitStatus); isStatus && st.Signaled() {
		return -1, true
	}
	return s.cmd.ProcessState.ExitCode(), true
}

// Mem reads the process's resident memory.
func (s *Server) Mem(t testing.TB) procstat.Mem {
	t.Helper()
	m, err := procstat.Read(s.PID())
	if err != nil {
		t.Fatalf("reading comfyd's memory: %v", err)
	}
	return m
}

// Alive fails the test unless the process runs and answers /queue.
func (s *Server) Alive(t testing.TB) {
	t.Helper()
	if !s.Running() {
		t.Fatalf("comfyd exited: %v\n%s", s.exit, s.Log())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := s.QueueState(ctx); err != nil {
		t.Fatalf("comfyd does not answer /queue: %v", err)
	}
}

// Log is everything the process wrote so far.
func (s *Server) Log() string { return s.log.String() }

// OutputDir is the default output folder under Base.
func (s *Server) OutputDir() string { return filepath.Join(s.Base, "output") }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
