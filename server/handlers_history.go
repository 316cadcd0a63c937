package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// pyIntParam parses a query integer as Python's int() does.
func pyIntParam(s string) (int, error) {
	return strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), "_", ""))
}

// handleGetHistory pages the history as ComfyUI's get_history (spec 2.6),
// including its quirks: a negative offset with max_items returns the last
// max_items entries, and max_items <= 0 with offset >= 0 still returns one.
func (s *Server) handleGetHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	maxItems, hasMax := 0, q.Has("max_items")
	if hasMax {
		n, err := pyIntParam(q.Get("max_items"))
		if err != nil {
			writeText(w, http.StatusBadRequest, "max_items must be an integer")
			return
		}
		maxItems = n
	}
	offset := -1
	if q.Has("offset") {
		n, err := pyIntParam(q.Get("offset"))
		if err != nil {
			writeText(w, http.StatusBadRequest, "offset must be an integer")
			return
		}
		offset = n
	}
	start, limit := 0, -1
	switch {
	case offset < 0 && hasMax:
		total, err := s.store.HistoryCount(r.Context())
		if err != nil {
			writeText(w, http.StatusInternalServerError, err.Error())
			return
		}
		if maxItems <= 0 {
			writeRawJSON(w, http.StatusOK, []byte("{}"))
			return
		}
		start, limit = max(total-maxItems, 0), maxItems
	case offset >= 0:
		start = offset
		if hasMax {
			limit = max(maxItems, 1)
		}
	}
	recs, err := s.store.History(r.Context(), start, limit)
	if err != nil {
		writeText(w, http.StatusInternalServerError, err.Error())
		return
	}
	keys := make([]string, len(recs))
	vals := make([]json.RawMessage, len(recs))
	for i, rec := range recs {
		keys[i], vals[i] = rec.PromptID, rec.Entry
	}
	var b bytes.Buffer
	writeOrdered(&b, keys, vals)
	writeRawJSON(w, http.StatusOK, b.Bytes())
}

// handleGetHistoryItem returns {id: entry}, or {} while unknown or not
// finished.
func (s *Server) handleGetHistoryItem(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "prompt_id")
	rec, ok, err := s.store.HistoryGet(r.Context(), id)
	if err != nil {
		writeText(w, http.StatusInternalServerError, err.Error())
		return
	}
	if !ok {
		writeRawJSON(w, http.StatusOK, []byte("{}"))
		return
	}
	var b bytes.Buffer
	writeOrdered(&b, []string{id}, []json.RawMessage{rec.Entry})
	writeRawJSON(w, http.StatusOK, b.Bytes())
}

// handlePostHistory clears and/or deletes entries.
func (s *Server) handlePostHistory(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONObject(r)
	if err != nil {
		bodyError(w, err)
		return
	}
	if raw, ok := body.Get("clear"); ok && isTruthyJSON(raw) {
		if err := s.store.HistoryClear(r.Context()); err != nil {
			writeText(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	if raw, ok := body.Get("delete"); ok {
		ids, err := stringList(raw)
		if err != nil {
			bodyError(w, err)
			return
		}
		if err := s.store.HistoryDelete(r.Context(), ids...); err != nil {
			writeText(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	writeEmpty(w, http.StatusOK)
}

// jobsQuery is a parsed GET /api/jobs query.
type jobsQuery struct {
	statuses   map[string]bool // nil = all
	workflowID string
	byDuration bool
	asc        bool
	limit      *int
	offset     int
}

// parseJobsQuery applies spec 2.7's rules and error texts.
func parseJobsQuery(q map[string][]string) (jobsQuery, string) {
	get := func(k string) (string, bool) {
		v, ok := q[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	var jq jobsQuery
	if v, ok := get("status"); ok && v != "" {
		jq.statuses = map[string]bool{}
		var bad []string
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if st == "" {
				continue
			}
			valid := false
			for _, known := range jobStatuses {
				valid = valid || st == known
			}
			if !valid {
				bad = append(bad, st)
			}
			jq.statuses[st] = true
		}
		if len(bad) > 0 {
			return jq, "Invalid status value(s): " + strings.Join(bad, ", ") + ". Valid values: " + strings.Join(jobStatuses, ", ")
		}
	}
	jq.workflowID, _ = get("workflow_id")
	if v, ok := get("sort_by"); ok {
		switch v {
		case "created_at":
		case "execution_duration":
			jq.byDuration = true
		default:
			return jq, "sort_by must be 'created_at' or 'execution_duration'"
		}
	}
	if v, ok := get("sort_order"); ok {
		switch v {
		case "desc":
		case "asc":
			jq.asc = true
		default:
			return jq, "sort_order must be 'asc' or 'desc'"
		}
	}
	if v, ok := get("limit"); ok {
		n, err := pyIntParam(v)
		if err != nil {
			return jq, "limit must be an integer"
		}
		if n <= 0 {
			return jq, "limit must be a positive integer"
		}
		jq.limit = &n
	}
	if v, ok := get("offset"); ok {
		n, err := pyIntParam(v)
		if err != nil {
			return jq, "offset must be an integer"
		}
		jq.offset = max(n, 0)
	}
	return jq, ""
}

// allJobs lists running, pending and finished jobs.
func (s *Server) allJobs(r *http.Request) ([]Job, error) {
	running, pending := s.queue.snapshot()
	var jobs []Job
	if running != nil {
		jobs = append(jobs, queueJob(running, jobInProgress))
	}
	for _, it := range pending {
		jobs = append(jobs, queueJob(it, jobPending))
	}
	recs, err := s.store.HistoryJobs(r.Context())
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		var j Job
		if err := json.Unmarshal(rec.Job, &j); err != nil {
			continue
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// handleJobs serves GET /api/jobs.
func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) {
	jq, msg := parseJobsQuery(r.URL.Query())
	if msg != "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: msg})
		return
	}
	all, err := s.allJobs(r)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{Error: err.Error()})
		return
	}
	jobs := all[:0]
	for _, j := range all {
		if jq.statuses != nil && !jq.statuses[j.Status] {
			continue
		}
		if jq.workflowID != "" && (j.WorkflowID == nil || *j.WorkflowID != jq.workflowID) {
			continue
		}
		jobs = append(jobs, j)
	}
	key := func(j Job) int64 {
		if jq.byDuration {
			if j.ExecutionStartTime != nil && j.ExecutionEndTime != nil {
				return *j.ExecutionEndTime - *j.ExecutionStartTime
			}
			return 0
		}
		if j.CreateTime != nil {
			return *j.CreateTime
		}
		return 0
	}
	sort.SliceStable(jobs, func(a, b int) bool {
		if jq.asc {
			return key(jobs[a]) < key(jobs[b])
		}
		return key(jobs[a]) > key(jobs[b])
	})
	total := len(jobs)
	page := jobs[min(jq.offset, total):]
	if jq.limit != nil && len(page) > *jq.limit {
		page = page[:*jq.limit]
	}
	out := JobsPage{Jobs: make([]any, len(page)), Pagination: Pagination{
		Offset: jq.offset, Limit: jq.limit, Total: total, HasMore: jq.offset+len(page) < total,
	}}
	for i := range page {
		out.Jobs[i] = page[i]
	}
	writeJSON(w, http.StatusOK, out)
}

// handleJob serves GET /api/jobs/{job_id}: the job, with outputs, status
// and workflow for finished ones.
func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "job_id")
	if id == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "job_id is required"})
		return
	}
	running, pending := s.queue.snapshot()
	if running != nil && running.promptID == id {
		writeJSON(w, http.StatusOK, queueJob(running, jobInProgress))
		return
	}
	for _, it := range pending {
		if it.promptID == id {
			writeJSON(w, http.StatusOK, queueJob(it, jobPending))
			return
		}
	}
	rec, ok, err := s.store.HistoryGet(r.Context(), id)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{Error: err.Error()})
		return
	}
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Error: "Job not found"})
		return
	}
	var j Job
	var entry struct {
		Prompt  []json.RawMessage          `json:"prompt"`
		Outputs orderedObject              `json:"outputs"`
		Status  json.RawMessage            `json:"status"`
		Meta    map[string]json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal(rec.Job, &j); err != nil || json.Unmarshal(rec.Entry, &entry) != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "unreadable history entry"})
		return
	}
	j.Outputs = normaliseJobOutputs(&entry.Outputs)
	j.ExecutionStatus = entry.Status
	if len(entry.Prompt) == 5 {
		j.Workflow = &JobWorkflow{Prompt: entry.Prompt[2], ExtraData: entry.Prompt[3]}
	}
	writeJSON(w, http.StatusOK, j)
}

// normaliseJobOutputs turns 3D file names into file refs and drops nulls.
func normaliseJobOutputs(outs *orderedObject) json.RawMessage {
	norm := newOrderedObject()
	for _, node := range outs.keys {
		var ui orderedObject
		if json.Unmarshal(outs.vals[node], &ui) != nil {
			norm.Set(node, outs.vals[node])
			continue
		}
		for _, key := range ui.keys {
			var items []any
			if json.Unmarshal(ui.vals[key], &items) != nil {
				continue
			}
			kept := make([]any, 0, len(items))
			for _, it := range items {
				if it == nil {
					continue
				}
				if s, ok := it.(string); ok && is3D(s) {
					it = map[string]any{"filename": s, "type": "output", "subfolder": "", "mediaType": "3d"}
				}
				kept = append(kept, it)
			}
			ui.SetValue(key, kept)
		}
		raw, _ := ui.MarshalJSON()
		norm.Set(node, raw)
	}
	raw, _ := norm.MarshalJSON()
	return raw
}

// cancelJob interrupts a running job or removes a pending one.
func (s *Server) cancelJob(r *http.Request, id string) bool {
	if s.interrupt(id) && id != "" {
		return true
	}
	return s.dropPending(r, map[string]bool{id: true})
}

func (s *Server) handleJobCancel(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"cancelled": s.cancelJob(r, chi.URLParam(r, "job_id"))})
}

func (s *Server) handleJobsCancel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		JobIDs []string `json:"job_ids"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	cancelled := false
	for _, id := range body.JobIDs {
		cancelled = s.cancelJob(r, id) || cancelled
	}
	writeJSON(w, http.StatusOK, map[string]bool{"cancelled": cancelled})
}
