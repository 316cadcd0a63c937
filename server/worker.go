package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"comfyd/graph"
	"comfyd/store"
)

var errBadItem = errors.New("queue item is not a 5-element array")

// runState is the prompt being executed.
type runState struct {
	item   *queueItem
	events *runEvents
	cancel context.CancelCauseFunc
}

// recoverQueue loads the queue left by the previous process. Rows marked
// running were interrupted by a crash or shutdown: they run first.
func (s *Server) recoverQueue(ctx context.Context) error {
	rows, err := s.store.Queue(ctx)
	if err != nil {
		return err
	}
	for i, r := range rows {
		it, err := decodeQueueItem(r.ID, r.Item, false)
		if err != nil {
			s.log.Error("dropping an unreadable queued prompt", "prompt_id", r.PromptID, "err", err)
			_ = s.store.Dequeue(ctx, r.ID)
			continue
		}
		if r.Running && r.Attempts >= maxAttempts {
			s.giveUp(it, r.Attempts)
			continue
		}
		// A row left running was cut off by a crash or shutdown: it runs
		// again before everything else, in the order it was queued.
		it.wasRunning = r.Running
		it.recoverRank = i
		s.queue.push(it)
	}
	if len(rows) > 0 {
		s.log.Info("recovered queued prompts", "count", len(rows))
	}
	return nil
}

// maxAttempts bounds how often a prompt that was running when the process
// died is run again: one that crashes the process every time must not
// crash it forever.
const maxAttempts = 3

// giveUp records a crash-looping prompt as failed instead of running it.
func (s *Server) giveUp(it *queueItem, attempts int) {
	s.log.Error("not running a prompt again: the server stopped every time it ran", "prompt_id", it.promptID, "attempts", attempts)
	ev := newRunEvents(s.hub, it.promptID, "")
	ev.ExecutionError(graph.ExecutionError{PromptID: it.promptID,
		ExceptionMessage: fmt.Sprintf("comfyd stopped %d times while running this prompt; it is not run again", attempts),
		ExceptionType:    "comfyd.CrashLoop"})
	rec, err := s.historyRecord(it, ev, Outcome{})
	if err == nil {
		err = s.store.Finish(context.Background(), it.rowID, rec)
	}
	if err != nil {
		s.log.Error("recording a crash-looping prompt", "prompt_id", it.promptID, "err", err)
	}
}

// worker executes prompts one at a time until the server stops.
func (s *Server) worker() {
	defer close(s.workerDone)
	ctx := s.workerCtx
	for {
		it, err := s.queue.take(ctx)
		if err != nil {
			return
		}
		if !s.runOne(ctx, it) {
			return
		}
	}
}

// runOne executes one item; it returns false when the server is stopping.
func (s *Server) runOne(ctx context.Context, it *queueItem) bool {
	if err := s.store.MarkRunning(ctx, it.rowID); err != nil && ctx.Err() == nil {
		s.log.Error("marking a prompt running", "prompt_id", it.promptID, "err", err)
	}
	s.hub.broadcastStatus()
	// No execution message before the POST /prompt answer is written.
	select {
	case <-it.released:
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
		return false
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	ev := newRunEvents(s.hub, it.promptID, it.clientID())
	s.runMu.Lock()
	s.current = &runState{item: it, events: ev, cancel: cancel}
	s.runMu.Unlock()

	out := s.execute(runCtx, it, ev)
	stopping := ctx.Err() != nil
	cancel(nil)
	s.runMu.Lock()
	s.current = nil
	s.runMu.Unlock()
	if stopping {
		// Stays queued as running: it runs again first at the next start,
		// and a clean stop does not count as a failed attempt.
		if err := s.store.Unwind(context.Background(), it.rowID); err != nil {
			s.log.Error("unwinding a stopped prompt", "prompt_id", it.promptID, "err", err)
		}
		return false
	}
	rec, err := s.historyRecord(it, ev, out)
	if err == nil {
		err = s.store.Finish(context.Background(), it.rowID, rec)
	}
	if err != nil {
		s.log.Error("writing history", "prompt_id", it.promptID, "err", err)
	}
	s.queue.done()
	s.hub.broadcastStatus()
	if ev.client != "" {
		s.hub.send("executing", ExecutingDoneData{PromptID: it.promptID}, ev.client)
	}
	s.applyFree()
	return true
}

// runFor builds the executor request, with the sensitive keys merged back
// into a copy of extra_data.
func (s *Server) runFor(it *queueItem) Run {
	extra := map[string]any{}
	raw, _ := it.extraData.MarshalJSON()
	_ = json.Unmarshal(raw, &extra)
	for k, v := range it.sensitive {
		var x any
		if json.Unmarshal(v, &x) == nil {
			extra[k] = x
		}
	}
	return Run{PromptID: it.promptID, Prompt: it.prompt, ExtraData: extra, Outputs: it.outputs, Prepared: it.prepared}
}

// executingNodeFor reports the node executing for sid's prompt, if any.
func (s *Server) executingNodeFor(sid string) (string, bool) {
	s.runMu.Lock()
	cur := s.current
	s.runMu.Unlock()
	if cur == nil || cur.events.client != sid {
		return "", false
	}
	return cur.events.executingNode()
}

// interrupt stops the running prompt; with a prompt id, only that one.
func (s *Server) interrupt(promptID string) bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.current == nil || (promptID != "" && s.current.item.promptID != promptID) {
		return false
	}
	s.current.cancel(context.Canceled)
	return true
}

// requestFree asks the worker to drop caches after the current prompt (or
// now, when idle).
func (s *Server) requestFree() {
	s.runMu.Lock()
	busy := s.current != nil
	s.runMu.Unlock()
	if !busy {
		s.engine.Free()
		return
	}
	s.freeMu.Lock()
	s.freePending = true
	s.freeMu.Unlock()
}

func (s *Server) applyFree() {
	s.freeMu.Lock()
	pending := s.freePending
	s.freePending = false
	s.freeMu.Unlock()
	if pending {
		s.engine.Free()
	}
}

// historyRecord builds the history entry (spec 5.2) and jobs summary.
func (s *Server) historyRecord(it *queueItem, ev *runEvents, out Outcome) (store.HistoryRecord, error) {
	ev.mu.Lock()
	msgs := append([]StatusPair(nil), ev.messages...)
	ev.mu.Unlock()
	status := HistoryStatus{StatusStr: "success", Completed: true, Messages: msgs}
	if !out.Success {
		status = HistoryStatus{StatusStr: "error", Completed: false, Messages: msgs}
	}
	if status.Messages == nil {
		status.Messages = []StatusPair{}
	}
	entry := historyEntry{Prompt: it.encode(), Outputs: out.Outputs, Status: status}
	entryJSON, err := json.Marshal(entry)
	if err != nil {
		return store.HistoryRecord{}, err
	}
	job, err := json.Marshal(historyJob(it, ev, out))
	if err != nil {
		return store.HistoryRecord{}, err
	}
	return store.HistoryRecord{PromptID: it.promptID, Entry: entryJSON, Job: job}, nil
}

// execute runs the engine, turning a panic (a bug) into an execution
// error so the worker and the queue carry on.
func (s *Server) execute(ctx context.Context, it *queueItem, ev *runEvents) (out Outcome) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("executor panic", "prompt_id", it.promptID, "panic", v, "stack", string(debug.Stack()))
			ev.ExecutionError(graph.ExecutionError{PromptID: it.promptID,
				ExceptionMessage: fmt.Sprint(v), ExceptionType: "RuntimeError"})
			out = Outcome{}
		}
	}()
	return s.engine.Execute(ctx, s.runFor(it), ev)
}
