package server

import (
	"sync"
	"time"

	"comfyd/graph"
)

// runEvents implements graph.Events for one prompt: it addresses each
// message as ComfyUI does (spec 3.3) and records the five executor events
// for the history entry. It never blocks: the hub only queues frames.
// Progress is forwarded as reported: samplers already throttle it as
// ComfyUI's ProgressBar does (nodes.SamplingProgress, spec 6.2), and a
// second throttle here, on another clock, would drop updates they meant
// to send.
type runEvents struct {
	h        *hub
	promptID string
	client   string         // extra_data.client_id, "" when none
	progress *progressState // the latest progress_state, shared by the sockets

	mu          sync.Mutex
	messages    []StatusPair
	display     map[string]string // node id -> display node id
	lastNode    string
	startMS     int64
	endMS       int64
	errData     *graph.ExecutionError
	interrupted bool
}

func newRunEvents(h *hub, promptID, client string) *runEvents {
	return &runEvents{h: h, promptID: promptID, client: client, display: map[string]string{},
		progress: newProgressState(promptID)}
}

var _ graph.Events = (*runEvents)(nil)

func nowMS() int64 { return time.Now().UnixMilli() }

// record appends an executor message to the history status.
func (e *runEvents) record(typ string, data any) {
	e.mu.Lock()
	e.messages = append(e.messages, StatusPair{typ, data})
	e.mu.Unlock()
}

// toClient sends to the prompt's client only, dropping when there is none
// (ComfyUI's executor and client-only messages).
func (e *runEvents) toClient(typ string, data any) {
	if e.client != "" {
		e.h.send(typ, data, e.client)
	}
}

// toClientOrAll sends to the client, or to every socket without one.
func (e *runEvents) toClientOrAll(typ string, data any) {
	e.h.send(typ, data, e.client)
}

func (e *runEvents) ExecutionStart(promptID string) {
	data := PromptStamp{promptID, nowMS()}
	e.mu.Lock()
	e.startMS = data.Timestamp
	e.mu.Unlock()
	e.record("execution_start", data)
	e.toClient("execution_start", data)
}

func (e *runEvents) ExecutionCached(promptID string, nodeIDs []string) {
	data := ExecutionCachedData{nonNil(nodeIDs), promptID, nowMS()}
	e.record("execution_cached", data)
	e.toClient("execution_cached", data)
}

func (e *runEvents) Executing(promptID, nodeID, displayNode string) {
	if displayNode == "" {
		displayNode = nodeID
	}
	e.mu.Lock()
	e.display[nodeID] = displayNode
	e.lastNode = nodeID
	e.mu.Unlock()
	e.toClient("executing", ExecutingData{nodeID, displayNode, promptID})
}

func (e *runEvents) Progress(promptID, nodeID string, value, max int) {
	e.toClientOrAll("progress", ProgressData{value, max, promptID, nodeID})
}

func (e *runEvents) ProgressState(promptID string, nodes map[string]graph.NodeProgress) {
	e.h.sendProgressState(e.progress, nodes)
}

func (e *runEvents) Preview(promptID, nodeID, format string, data []byte) {
	e.mu.Lock()
	display := e.display[nodeID]
	e.mu.Unlock()
	if display == "" {
		display = nodeID
	}
	e.h.sendPreview(e.client, format, data, PreviewMeta{
		NodeID: nodeID, PromptID: promptID, DisplayNodeID: display, RealNodeID: display,
	})
}

func (e *runEvents) Executed(promptID, nodeID, displayNode string, ui map[string][]any) {
	if displayNode == "" {
		displayNode = nodeID
	}
	var output any
	if ui != nil {
		output = ui
	}
	e.toClient("executed", ExecutedData{nodeID, displayNode, output, promptID})
}

func (e *runEvents) ExecutionSuccess(promptID string) {
	data := PromptStamp{promptID, nowMS()}
	e.mu.Lock()
	e.endMS = data.Timestamp
	e.mu.Unlock()
	e.record("execution_success", data)
	e.toClient("execution_success", data)
}

func (e *runEvents) ExecutionError(ee graph.ExecutionError) {
	if ee.ExceptionType == "ExecutionBlocked" {
		// An ExecutionBlocker's message: sent as is, without timestamp,
		// and not part of the history (spec 4.4).
		ee.Timestamp = 0
		e.toClient("execution_error", ee)
		return
	}
	if ee.Timestamp == 0 {
		ee.Timestamp = nowMS()
	}
	if ee.Executed == nil {
		ee.Executed = []string{}
	}
	if ee.Traceback == nil {
		ee.Traceback = []string{}
	}
	if ee.CurrentInputs == nil {
		ee.CurrentInputs = map[string]any{}
	}
	if ee.CurrentOutputs == nil {
		ee.CurrentOutputs = []string{}
	}
	e.mu.Lock()
	e.endMS = ee.Timestamp
	errCopy := ee
	e.errData = &errCopy
	e.mu.Unlock()
	e.record("execution_error", ee)
	e.toClient("execution_error", ee)
}

func (e *runEvents) ExecutionInterrupted(ei graph.ExecutionInterrupted) {
	if ei.Timestamp == 0 {
		ei.Timestamp = nowMS()
	}
	if ei.Executed == nil {
		ei.Executed = []string{}
	}
	e.mu.Lock()
	e.endMS = ei.Timestamp
	e.interrupted = true
	e.mu.Unlock()
	e.record("execution_interrupted", ei)
	e.toClientOrAll("execution_interrupted", ei)
}

// executingNode is the node last announced, for a reconnecting client.
func (e *runEvents) executingNode() (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastNode, e.lastNode != ""
}
