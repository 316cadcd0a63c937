package server

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"sync"
)

// queueItem is one queued prompt: ComfyUI's [number, prompt_id, prompt,
// extra_data, outputs_to_execute] plus what comfyd needs around it.
type queueItem struct {
	rowID     int64
	number    pyNumber
	promptID  string
	prompt    json.RawMessage
	extraData *orderedObject
	outputs   []string
	prepared  any // Validation.Prepared (memory only)
	// sensitive holds auth keys moved out of extra_data ([B]): given to
	// the executor, never shown in /queue or history. Not persisted.
	sensitive map[string]json.RawMessage
	// released is closed once the POST /prompt response is written: the
	// worker waits for it so no execution message precedes the answer.
	released chan struct{}
	// wasRunning marks an item recovered from a run cut short; such items
	// run first, by recoverRank.
	wasRunning  bool
	recoverRank int
}

// clientID is extra_data.client_id, "" when absent or not a string.
func (it *queueItem) clientID() string {
	raw, ok := it.extraData.Get("client_id")
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// encode renders the 5-element queue item.
func (it *queueItem) encode() json.RawMessage {
	var b bytes.Buffer
	num, _ := it.number.MarshalJSON()
	id, _ := json.Marshal(it.promptID)
	extra, _ := it.extraData.MarshalJSON()
	outs, _ := json.Marshal(nonNil(it.outputs))
	b.WriteByte('[')
	for i, part := range [][]byte{num, id, it.prompt, extra, outs} {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(part)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// decodeQueueItem parses an encoded 5-element item (from the store).
func decodeQueueItem(rowID int64, data []byte, isFloat bool) (*queueItem, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return nil, err
	}
	if len(parts) != 5 {
		return nil, errBadItem
	}
	it := &queueItem{rowID: rowID, prompt: parts[2], extraData: newOrderedObject()}
	if err := json.Unmarshal(parts[0], &it.number.V); err != nil {
		return nil, err
	}
	it.number.IsFloat = isFloat || bytes.ContainsAny(parts[0], ".eE")
	if err := json.Unmarshal(parts[1], &it.promptID); err != nil {
		return nil, err
	}
	if err := it.extraData.UnmarshalJSON(parts[3]); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(parts[4], &it.outputs); err != nil {
		return nil, err
	}
	it.released = closedChan
	return it, nil
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// less orders pending items as ComfyUI's heap: by number, then prompt id;
// insertion order breaks the remaining ties.
func (it *queueItem) less(o *queueItem) bool {
	if it.wasRunning != o.wasRunning {
		return it.wasRunning
	}
	if it.wasRunning {
		return it.recoverRank < o.recoverRank
	}
	if it.number.V != o.number.V {
		return it.number.V < o.number.V
	}
	if it.promptID != o.promptID {
		return it.promptID < o.promptID
	}
	return it.rowID < o.rowID
}

// promptQueue is the in-memory view of the queue: pending items sorted in
// run order and the running one. The store holds the durable copy.
type promptQueue struct {
	mu      sync.Mutex
	pending []*queueItem
	running *queueItem
	wake    chan struct{} // capacity 1: a push happened
}

func newPromptQueue() *promptQueue { return &promptQueue{wake: make(chan struct{}, 1)} }

func (q *promptQueue) push(it *queueItem) {
	q.mu.Lock()
	i := sort.Search(len(q.pending), func(i int) bool { return it.less(q.pending[i]) })
	q.pending = append(q.pending, nil)
	copy(q.pending[i+1:], q.pending[i:])
	q.pending[i] = it
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take blocks until an item is pending, then makes it the running one.
func (q *promptQueue) take(ctx context.Context) (*queueItem, error) {
	for {
		q.mu.Lock()
		if len(q.pending) > 0 {
			it := q.pending[0]
			q.pending = q.pending[1:]
			q.running = it
			q.mu.Unlock()
			return it, nil
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// done clears the running item.
func (q *promptQueue) done() {
	q.mu.Lock()
	q.running = nil
	q.mu.Unlock()
}

// remove deletes pending items whose prompt id is in ids (all when ids is
// nil) and returns them.
func (q *promptQueue) remove(ids map[string]bool) []*queueItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	var removed []*queueItem
	kept := q.pending[:0]
	for _, it := range q.pending {
		if ids == nil || ids[it.promptID] {
			removed = append(removed, it)
		} else {
			kept = append(kept, it)
		}
	}
	for i := len(kept); i < len(q.pending); i++ {
		q.pending[i] = nil
	}
	q.pending = kept
	return removed
}

// snapshot returns the running item (or nil) and the pending ones in run
// order.
func (q *promptQueue) snapshot() (*queueItem, []*queueItem) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, append([]*queueItem(nil), q.pending...)
}

// remaining is ComfyUI's queue_remaining: pending plus running.
func (q *promptQueue) remaining() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.pending)
	if q.running != nil {
		n++
	}
	return n
}
