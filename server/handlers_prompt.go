package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"comfyd/graph"
)

// sensitiveKeys leave extra_data before queueing ([B]): the executor sees
// them, /queue and history never do.
var sensitiveKeys = []string{"auth_token_comfy_org", "api_key_comfy_org"}

// readJSONObject reads a request body as a JSON object whatever its
// Content-Type. An empty body is an empty object.
func readJSONObject(r *http.Request) (*orderedObject, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	obj := newOrderedObject()
	if len(bytes.TrimSpace(data)) == 0 {
		return obj, nil
	}
	if err := obj.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return obj, nil
}

// bodyError answers a body that could not be read: 413 past the limit,
// otherwise 400 with ComfyUI's error object.
func bodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeText(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	writeJSON(w, http.StatusBadRequest, PromptError{
		Error:      ErrorObject{Type: "invalid_json", Message: "Invalid JSON in request body", Details: err.Error(), ExtraInfo: map[string]any{}},
		NodeErrors: map[string]any{},
	})
}

func (s *Server) handleGetPrompt(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, PromptInfo{ExecInfo{s.queue.remaining()}})
}

// handlePostPrompt validates and queues a prompt (spec 2.2).
func (s *Server) handlePostPrompt(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONObject(r)
	if err != nil {
		bodyError(w, err)
		return
	}
	number, err := s.promptNumber(r, body)
	if err != nil {
		bodyError(w, err)
		return
	}
	promptRaw, ok := body.Get("prompt")
	if !ok {
		writeJSON(w, http.StatusBadRequest, PromptError{
			Error:      ErrorObject{Type: "no_prompt", Message: "No prompt provided", Details: "No prompt provided", ExtraInfo: map[string]any{}},
			NodeErrors: map[string]any{},
		})
		return
	}
	var targets []string
	if raw, ok := body.Get("partial_execution_targets"); ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &targets); err != nil {
			bodyError(w, errors.New("partial_execution_targets must be a list of node ids"))
			return
		}
	}
	v := s.engine.Validate(promptRaw, targets)
	if !v.OK {
		writeRawJSON(w, http.StatusBadRequest, v.Body)
		return
	}
	it, err := newQueueItem(body, number, v)
	if err != nil {
		bodyError(w, err)
		return
	}
	if err := s.enqueue(it); err != nil {
		s.log.Error("queueing a prompt", "err", err)
		writeText(w, http.StatusInternalServerError, "could not store the prompt: "+err.Error())
		return
	}
	defer close(it.released) // now the worker may start it
	writeJSON(w, http.StatusOK, PromptResponse{PromptID: it.promptID, Number: number, NodeErrors: rawOrObject(v.NodeErrors)})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// newQueueItem builds the queue item of a validated prompt: extra_data
// with client_id and create_time added and the auth keys moved aside.
func newQueueItem(body *orderedObject, number pyNumber, v Validation) (*queueItem, error) {
	it := &queueItem{
		number:    number,
		promptID:  promptID(body),
		prompt:    v.Prompt,
		outputs:   v.Outputs,
		prepared:  v.Prepared,
		released:  make(chan struct{}),
		extraData: newOrderedObject(),
	}
	if raw, ok := body.Get("extra_data"); ok && isTruthyJSON(raw) {
		if err := it.extraData.UnmarshalJSON(raw); err != nil {
			return nil, errors.New("extra_data must be an object")
		}
	}
	if raw, ok := body.Get("client_id"); ok {
		it.extraData.Set("client_id", raw)
	}
	for _, k := range sensitiveKeys {
		if raw, ok := it.extraData.Get(k); ok {
			if it.sensitive == nil {
				it.sensitive = map[string]json.RawMessage{}
			}
			it.sensitive[k] = raw
			it.extraData.Delete(k)
		}
	}
	it.extraData.SetValue("create_time", nowMS())
	return it, nil
}

// enqueue commits an item to the store, then to the in-memory queue, and
// broadcasts the new queue size. The request's context is not used: once
// committed the prompt must be queued in memory too, whatever the client
// does meanwhile.
func (s *Server) enqueue(it *queueItem) error {
	rowID, err := s.store.Enqueue(context.Background(), it.promptID, it.number.V, it.encode())
	if err != nil {
		return err
	}
	it.rowID = rowID
	s.queue.push(it)
	s.hub.broadcastStatus()
	return nil
}

// promptNumber computes the priority: an explicit number as a float, else
// the next counter value, negated with a truthy "front". The counter
// advances even when validation later fails, as ComfyUI's does.
func (s *Server) promptNumber(r *http.Request, body *orderedObject) (pyNumber, error) {
	if raw, ok := body.Get("number"); ok {
		f, err := pyFloatJSON(raw)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return pyNumber{}, errors.New("number must be a finite number")
		}
		return pyNumber{V: f, IsFloat: true}, nil
	}
	n, err := s.store.NextNumber(r.Context())
	if err != nil {
		return pyNumber{}, err
	}
	if raw, ok := body.Get("front"); ok && isTruthyJSON(raw) {
		n = -n
	}
	return pyNumber{V: float64(n)}, nil
}

// pyFloatJSON is Python's float() of a JSON value: numbers, numeric
// strings and booleans.
func pyFloatJSON(raw json.RawMessage) (float64, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		return strconv.ParseFloat(string(bytes.TrimSpace([]byte(x))), 64)
	}
	return 0, errors.New("not a number")
}

// isTruthyJSON is Python truthiness of a JSON value (false when raw is
// not JSON).
func isTruthyJSON(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	return graph.PyBool(v)
}

// promptID is the client's prompt_id stringified ([A]) or a new uuid4.
func promptID(body *orderedObject) string {
	raw, ok := body.Get("prompt_id")
	if !ok {
		return uuid.NewString()
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return string(bytes.TrimSpace(raw))
}

// handleGetQueue lists the running and pending items (spec 2.5).
func (s *Server) handleGetQueue(w http.ResponseWriter, r *http.Request) {
	running, pending := s.queue.snapshot()
	var b bytes.Buffer
	b.WriteString(`{"queue_running": [`)
	if running != nil {
		b.Write(running.encode())
	}
	b.WriteString(`], "queue_pending": [`)
	for i, it := range pending {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(it.encode())
	}
	b.WriteString(`]}`)
	writeRawJSON(w, http.StatusOK, b.Bytes())
}

// handlePostQueue clears and/or deletes pending items.
func (s *Server) handlePostQueue(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONObject(r)
	if err != nil {
		bodyError(w, err)
		return
	}
	if raw, ok := body.Get("clear"); ok && isTruthyJSON(raw) {
		s.dropPending(r, nil)
	}
	if raw, ok := body.Get("delete"); ok {
		ids, err := stringList(raw)
		if err != nil {
			bodyError(w, err)
			return
		}
		set := map[string]bool{}
		for _, id := range ids {
			set[id] = true
		}
		s.dropPending(r, set)
	}
	writeEmpty(w, http.StatusOK)
}

// dropPending removes pending items (all when ids is nil) from memory and
// the store, and broadcasts the new queue size.
func (s *Server) dropPending(r *http.Request, ids map[string]bool) bool {
	removed := s.queue.remove(ids)
	if len(removed) == 0 {
		return false
	}
	rows := make([]int64, len(removed))
	for i, it := range removed {
		rows[i] = it.rowID
	}
	// Not the request's context: memory already changed, the store must
	// follow even if the client goes away.
	if err := s.store.Dequeue(context.Background(), rows...); err != nil {
		s.log.Error("deleting queued prompts", "err", err)
	}
	s.hub.broadcastStatus()
	return true
}

// stringList decodes a JSON list of ids (non-strings stringified).
func stringList(raw json.RawMessage) ([]string, error) {
	var vals []any
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil, errors.New("expected a list of ids")
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			out = append(out, s)
		} else {
			b, _ := json.Marshal(v)
			out = append(out, string(b))
		}
	}
	return out, nil
}

// handleInterrupt stops the running prompt, or only the given one.
func (s *Server) handleInterrupt(w http.ResponseWriter, r *http.Request) {
	id := ""
	if body, err := readJSONObject(r); err == nil {
		if raw, ok := body.Get("prompt_id"); ok {
			_ = json.Unmarshal(raw, &id)
		}
	}
	s.interrupt(id)
	writeEmpty(w, http.StatusOK)
}

// handleFree drops the executor's caches (models live in them).
func (s *Server) handleFree(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONObject(r)
	if err != nil {
		bodyError(w, err)
		return
	}
	unload, _ := body.Get("unload_models")
	free, _ := body.Get("free_memory")
	if isTruthyJSON(unload) || isTruthyJSON(free) {
		s.requestFree()
	}
	writeEmpty(w, http.StatusOK)
}
