package server

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"comfyd/store"
)

// waitRuns waits until the fake engine has run n prompts.
func waitRuns(t *testing.T, eng *fakeEngine, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if runs := eng.runIDs(); len(runs) >= n {
			return runs
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("only %v ran", eng.runIDs())
	return nil
}

func queueFour(t *testing.T, ts *testServer) []string {
	var ids []string
	for i := 0; i < 4; i++ {
		id := fmt.Sprintf("p%d", i)
		prompt := map[string]any{fmt.Sprint(i): map[string]any{"class_type": "Slow", "inputs": map[string]any{"steps": 1}}}
		body := map[string]any{"prompt": prompt, "prompt_id": id}
		if i == 3 {
			body["front"] = true // runs right after the interrupted one
		}
		ts.queuePrompt(t, body)
		ids = append(ids, id)
	}
	return []string{ids[0], ids[3], ids[1], ids[2]}
}

// TestRestartDurability: prompts queued, one running, server shut down;
// after a restart all run exactly once, the cut-off one first, and
// history survives further restarts.
func TestRestartDurability(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	eng := newFakeEngine()
	eng.gate = make(chan struct{}) // never opened: the first prompt hangs
	ts := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng })
	order := queueFour(t, ts)
	waitRuns(t, eng, 1)
	ts.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	eng2 := newFakeEngine()
	ts2 := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng2 })
	for _, id := range order {
		ts2.waitHistory(t, id)
	}
	if runs := eng2.runIDs(); !reflect.DeepEqual(runs, order) {
		t.Errorf("after restart ran %v, want %v", runs, order)
	}
	ts2.http.Close()
	ts2.Shutdown(ctx)

	eng3 := newFakeEngine()
	ts3 := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng3 })
	time.Sleep(50 * time.Millisecond)
	if runs := eng3.runIDs(); len(runs) != 0 {
		t.Errorf("prompts ran again after a second restart: %v", runs)
	}
	_, body := ts3.get(t, "/history")
	if got := historyKeys(t, body); !reflect.DeepEqual(got, order) {
		t.Errorf("history after restarts %v, want %v", got, order)
	}
	// The counter continues: a new prompt gets a larger number.
	code, resp := ts3.postJSON(t, "/prompt", map[string]any{"prompt": outPrompt("1")})
	if code != 200 || !strings.Contains(string(resp), `"number":4`) {
		t.Errorf("number after restart: %s", resp)
	}
}

// TestCrashHelper is the child process of TestCrashRecovery.
func TestCrashHelper(t *testing.T) {
	db := os.Getenv("COMFYD_CRASH_DB")
	if db == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	eng := newFakeEngine()
	eng.gate = make(chan struct{})
	ts := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng })
	order := queueFour(t, ts)
	waitRuns(t, eng, 1)
	fmt.Println("READY " + strings.Join(order, ","))
	time.Sleep(time.Minute) // killed long before
}

// TestCrashRecovery kills a server process (SIGKILL) while it runs a
// prompt with three more queued, then restarts on the same database: all
// four run exactly once, the interrupted one first.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	db := filepath.Join(t.TempDir(), "db.sqlite")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "COMFYD_CRASH_DB="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var order []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "READY ") {
			order = strings.Split(strings.TrimPrefix(line, "READY "), ",")
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup at all
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(order) != 4 {
		t.Fatalf("child did not get ready")
	}
	eng := newFakeEngine()
	ts := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng })
	for _, id := range order {
		ts.waitHistory(t, id)
	}
	time.Sleep(20 * time.Millisecond)
	if runs := eng.runIDs(); !reflect.DeepEqual(runs, order) {
		t.Errorf("after the crash ran %v, want %v", runs, order)
	}
}

// TestCrashLoopGivesUp: a prompt that was running when the process died
// maxAttempts times is recorded as failed, not run again; a clean stop
// does not count as an attempt.
func TestCrashLoopGivesUp(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "db.sqlite")
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	item := func(id string) []byte {
		it := &queueItem{number: pyNumber{V: 1}, promptID: id, prompt: []byte(`{"1":{"class_type":"Slow","inputs":{"steps":1}}}`),
			extraData: newOrderedObject(), outputs: []string{"1"}}
		return it.encode()
	}
	looping, _ := st.Enqueue(ctx, "looping", 1, item("looping"))
	twice, _ := st.Enqueue(ctx, "twice", 2, item("twice"))
	for i := 0; i < maxAttempts; i++ {
		st.MarkRunning(ctx, looping) // started, then the process died
	}
	st.MarkRunning(ctx, twice)
	st.MarkRunning(ctx, twice)
	st.Close()

	// "twice" runs a third time; the server is stopped cleanly meanwhile.
	eng := newFakeEngine()
	eng.gate = make(chan struct{})
	ts := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng })
	if runs := waitRuns(t, eng, 1); runs[0] != "twice" {
		t.Fatalf("ran %v", runs)
	}
	h := ts.waitHistory(t, "looping")
	msgs := h["status"].(map[string]any)["messages"].([]any)
	if len(msgs) != 1 || msgs[0].([]any)[0] != "execution_error" || !strings.Contains(fmt.Sprint(msgs[0]), "comfyd.CrashLoop") {
		t.Errorf("crash loop history %v", msgs)
	}
	ts.http.Close()
	ts.Shutdown(ctx)

	// The clean stop was not counted: "twice" runs once more.
	eng2 := newFakeEngine()
	ts2 := newTestServer(t, func(c *Config) { c.DatabasePath = db; c.Engine = eng2 })
	ts2.waitHistory(t, "twice")
	if runs := eng2.runIDs(); !reflect.DeepEqual(runs, []string{"twice"}) {
		t.Errorf("after a clean stop ran %v", runs)
	}
}
