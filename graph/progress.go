package graph

// progress_state bookkeeping (upstream's ProgressRegistry) and the
// nodes.Reporter a running node reports through.

// setProgress updates a node's state and sends the progress_state
// snapshot of every non-pending node. value < 0 keeps the old value;
// "finished" sets value to max, like upstream's finish_progress.
func (r *run) setProgress(id, state string, value, max float64) {
	r.progressMu.Lock()
	p, ok := r.progress[id]
	if !ok {
		p = NodeProgress{Max: 1, NodeID: id, PromptID: r.req.PromptID, DisplayNodeID: id, RealNodeID: id}
	}
	p.State = state
	if value >= 0 {
		p.Value = value
	}
	if max >= 0 {
		p.Max = max
	}
	if state == "finished" {
		p.Value = p.Max
	}
	r.progress[id] = p
	// The map is lent for the duration of the call (see Events), under
	// the lock so that a node reporting from several goroutines cannot
	// change it meanwhile.
	r.ev.ProgressState(r.req.PromptID, r.progress)
	r.progressMu.Unlock()
}

// nodeReporter forwards a node's progress and previews to Events with the
// prompt and node ids.
type nodeReporter struct {
	r  *run
	id string
}

// Progress sends progress_state then progress, as upstream's hook does.
func (n *nodeReporter) Progress(value, max int) {
	n.r.setProgress(n.id, "running", float64(value), float64(max))
	n.r.ev.Progress(n.r.req.PromptID, n.id, value, max)
}

// Preview forwards an encoded preview image.
func (n *nodeReporter) Preview(format string, data []byte) {
	n.r.ev.Preview(n.r.req.PromptID, n.id, format, data)
}
