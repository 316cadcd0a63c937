package server

import (
	"encoding/binary"
	"encoding/json"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"comfyd/graph"
)

// Binary event types (ComfyUI protocol.py).
const (
	binPreviewImage             = 1
	binText                     = 3
	binPreviewImageWithMetadata = 4
)

// Per-socket outbound limits. A client that falls behind first loses
// previews (they are superseded by the next one anyway) and intermediate
// progress_state messages (see progressState); one that cannot take even
// JSON messages is disconnected, so it never stalls the executor or the
// other sockets, and its backlog never holds more than maxBacklogBytes.
// The frontend reconnects by itself.
const (
	previewBacklog  = 16       // previews are dropped beyond this many queued frames
	maxBacklog      = 8192     // the socket is closed beyond this many
	maxBacklogBytes = 32 << 20 // or beyond this many bytes (a single frame always fits)
	writeTimeout    = 10 * time.Second
	// closeTimeout bounds the wait to send a close frame to a socket
	// given up on (its writer may be stuck on a full TCP buffer).
	closeTimeout = time.Second
)

type frame struct {
	kind int // websocket.TextMessage or BinaryMessage
	data []byte
	// prep is set for broadcasts: the frame is encoded once for every
	// socket instead of once per socket.
	prep *websocket.PreparedMessage
	// state, when set, is a progress_state marker: the message is the
	// latest state when the writer reaches it (data is unused).
	state *progressState
}

// wsClient is one socket: an unbounded-but-capped FIFO drained by a single
// writer goroutine, so sends never block the caller.
type wsClient struct {
	sid  string
	conn *websocket.Conn

	mu        sync.Mutex
	frames    []frame
	closed    bool
	flagsSeen bool // the first text message was handled
	// previewMetadata: the client announced supports_preview_metadata.
	previewMetadata bool
	logs            bool // subscribed to log messages
	dropped         int  // previews dropped (tests, diagnostics)
	// backlogBytes is the size of the frames queued or taken by the
	// writer and not yet written (progress_state markers count as 0: at
	// most one per prompt is queued).
	backlogBytes int
	// queuedStates are the progress_state markers in frames, not yet
	// taken by the writer: a newer state joins them instead of queueing.
	queuedStates map[*progressState]bool

	notify chan struct{}
	done   chan struct{}
}

func newWSClient(sid string, conn *websocket.Conn) *wsClient {
	return &wsClient{sid: sid, conn: conn, notify: make(chan struct{}, 1), done: make(chan struct{})}
}

// enqueue appends a frame; droppable frames are skipped when the client
// is behind, and a progress_state marker already queued for the same
// prompt stands for a newer one. It returns false when the client had to
// be given up.
func (c *wsClient) enqueue(f frame, droppable bool) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if f.state != nil && c.queuedStates[f.state] {
		c.mu.Unlock()
		return true
	}
	if droppable && len(c.frames) >= previewBacklog {
		c.dropped++
		c.mu.Unlock()
		return true
	}
	if len(c.frames) >= maxBacklog || c.backlogBytes > 0 && c.backlogBytes+len(f.data) > maxBacklogBytes {
		c.giveUpLocked()
		c.mu.Unlock()
		return false
	}
	if f.state == nil {
		c.freezeTailStatesLocked(maxFrozenStateNodes)
	}
	c.frames = append(c.frames, f)
	c.backlogBytes += len(f.data)
	if f.state != nil {
		if c.queuedStates == nil {
			c.queuedStates = map[*progressState]bool{}
		}
		c.queuedStates[f.state] = true
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return true
}

// maxFrozenStateNodes bounds the prompts whose queued progress_state is
// frozen in place: each frozen copy lists every node, so for a huge graph
// behind a lagging socket the copies would grow with the square of its
// size; such a prompt keeps one live marker (latest state, possibly ahead
// of the messages queued after it) instead.
const maxFrozenStateNodes = 512

// freezeTailStatesLocked encodes the live progress_state markers at the
// tail of the queue as they are now (those of prompts with at most
// maxNodes nodes; -1: all), before another message is queued behind them:
// a marker written later would otherwise show states of nodes whose
// executing/executed messages it then precedes. Newer states coalesce only
// into a marker still live. c.mu is held.
func (c *wsClient) freezeTailStatesLocked(maxNodes int) {
	for i := len(c.frames) - 1; i >= 0 && c.frames[i].state != nil; i-- {
		st := c.frames[i].state
		if maxNodes >= 0 && st.size() > maxNodes {
			continue
		}
		c.frames[i].data, c.frames[i].state = st.message(), nil
		c.backlogBytes += len(c.frames[i].data)
		delete(c.queuedStates, st)
	}
}

// giveUpLocked drops the backlog of a client too slow to keep and closes
// its socket, with a close frame if one can still be written in time.
// c.mu is held.
func (c *wsClient) giveUpLocked() {
	c.closed = true
	c.frames = nil
	c.backlogBytes = 0
	c.queuedStates = nil
	go func() {
		msg := websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "client too slow: outbound backlog over the limit")
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
		c.conn.Close()
	}()
}

func (c *wsClient) wantsPreviewMetadata() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.previewMetadata
}

// writeLoop sends queued frames in order until the socket fails or closes.
func (c *wsClient) writeLoop() {
	defer func() {
		c.conn.Close() // the reader then fails and unregisters the socket
		close(c.done)
	}()
	var batch []frame
	for {
		c.mu.Lock()
		// Markers taken are encoded now, before anything can queue behind
		// them; a newer state then queues anew.
		c.freezeTailStatesLocked(-1)
		batch, c.frames = c.frames, batch[:0]
		closed := c.closed
		c.mu.Unlock()
		for i, f := range batch {
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			var err error
			switch {
			case f.state != nil:
				err = c.conn.WriteMessage(websocket.TextMessage, f.state.message())
			case f.prep != nil:
				err = c.conn.WritePreparedMessage(f.prep)
			default:
				err = c.conn.WriteMessage(f.kind, f.data)
			}
			c.mu.Lock()
			if err != nil {
				c.closed = true
				c.frames = nil
				c.backlogBytes = 0
				c.queuedStates = nil
				c.mu.Unlock()
				c.conn.Close()
				return
			}
			if !c.closed {
				c.backlogBytes -= len(f.data)
			}
			c.mu.Unlock()
			batch[i] = frame{}
		}
		if closed {
			return
		}
		if len(batch) > 0 {
			continue // more may have arrived while writing
		}
		<-c.notify
	}
}

// close sends a close frame after the queued frames and stops the writer.
func (c *wsClient) close(code int, text string) {
	c.enqueue(frame{kind: websocket.CloseMessage, data: websocket.FormatCloseMessage(code, text)}, false)
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// preparedBroadcast encodes broadcast frames once (benchmarks turn it off
// to measure the per-socket baseline).
var preparedBroadcast = true

// hub is the registry of sockets by sid. Every send goes through it under
// one lock, so all sockets see messages in emission order.
type hub struct {
	s       *Server
	mu      sync.Mutex
	clients map[string]*wsClient
}

func newHub(s *Server) *hub { return &hub{s: s, clients: map[string]*wsClient{}} }

// remove forgets a socket if it is still the one registered for its sid.
func (h *hub) remove(c *wsClient) {
	h.mu.Lock()
	if h.clients[c.sid] == c {
		delete(h.clients, c.sid)
	}
	h.mu.Unlock()
}

func (h *hub) client(sid string) *wsClient {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clients[sid]
}

func encodeMessage(typ string, data any) []byte {
	b, err := json.Marshal(WSMessage{Type: typ, Data: data})
	if err != nil {
		// Data comes from node UI results; never let one break the stream.
		b, _ = json.Marshal(WSMessage{Type: typ, Data: map[string]string{"error": err.Error()}})
	}
	return b
}

// send delivers a JSON message to sid, or to every socket when sid is "".
// Nothing is encoded when no socket would receive it.
func (h *hub) send(typ string, data any, sid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.hasRecipientLocked(sid) {
		return
	}
	h.sendFrameLocked(frame{kind: websocket.TextMessage, data: encodeMessage(typ, data)}, sid, false)
}

// hasRecipientLocked reports whether a message to sid ("" = every socket)
// reaches any socket. h.mu is held.
func (h *hub) hasRecipientLocked(sid string) bool {
	if sid == "" {
		return len(h.clients) > 0
	}
	return h.clients[sid] != nil
}

// sendProgressState delivers ps, just updated from the executor's map, to
// every socket: a marker frame, joined with the one a socket already has
// queued for the prompt (see progressState). With no socket connected the
// map is not even mirrored: the next state carries the whole map again.
func (h *hub) sendProgressState(ps *progressState, nodes map[string]graph.NodeProgress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) == 0 {
		return
	}
	ps.update(nodes)
	for _, c := range h.clients {
		c.enqueue(frame{kind: websocket.TextMessage, state: ps}, false)
	}
}

func (h *hub) sendFrame(f frame, sid string, droppable bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sendFrameLocked(f, sid, droppable)
}

func (h *hub) sendFrameLocked(f frame, sid string, droppable bool) {
	if sid != "" {
		if c := h.clients[sid]; c != nil {
			c.enqueue(f, droppable)
		}
		return
	}
	if len(h.clients) > 1 && preparedBroadcast {
		if prep, err := websocket.NewPreparedMessage(f.kind, f.data); err == nil {
			f.prep = prep
		}
	}
	for _, c := range h.clients {
		c.enqueue(f, droppable)
	}
}

// broadcastStatus sends the queue size to every socket.
func (h *hub) broadcastStatus() {
	h.send("status", StatusData{Status: PromptInfo{ExecInfo{h.s.queue.remaining()}}}, "")
}

// sendPreview routes a preview as ComfyUI does: the metadata frame (type 4)
// to a client that announced supports_preview_metadata, the plain frame
// (type 1) otherwise, and type 1 to every socket when the prompt has no
// client.
func (h *hub) sendPreview(sid, format string, image []byte, meta PreviewMeta) {
	imgFormat, mime := uint32(1), "image/jpeg"
	if format == "PNG" {
		imgFormat, mime = 2, "image/png"
	}
	plain := make([]byte, 8+len(image))
	binary.BigEndian.PutUint32(plain, binPreviewImage)
	binary.BigEndian.PutUint32(plain[4:], imgFormat)
	copy(plain[8:], image)
	if sid == "" {
		h.sendFrame(frame{kind: websocket.BinaryMessage, data: plain}, "", true)
		return
	}
	c := h.client(sid)
	if c == nil {
		return
	}
	if !c.wantsPreviewMetadata() {
		h.sendFrame(frame{kind: websocket.BinaryMessage, data: plain}, sid, true)
		return
	}
	meta.ImageType = mime
	mj, _ := json.Marshal(meta)
	b := make([]byte, 8+len(mj)+len(image))
	binary.BigEndian.PutUint32(b, binPreviewImageWithMetadata)
	binary.BigEndian.PutUint32(b[4:], uint32(len(mj)))
	copy(b[8:], mj)
	copy(b[8+len(mj):], image)
	h.sendFrame(frame{kind: websocket.BinaryMessage, data: b}, sid, true)
}

// sendLogs forwards new log entries to subscribed sockets.
func (h *hub) sendLogs(entries []LogEntry) {
	h.mu.Lock()
	var subs []*wsClient
	for _, c := range h.clients {
		c.mu.Lock()
		if c.logs {
			subs = append(subs, c)
		}
		c.mu.Unlock()
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	data := encodeMessage("logs", LogsRaw{Entries: entries, Size: TermSize{Cols: 80, Rows: 24}})
	for _, c := range subs {
		c.enqueue(frame{kind: websocket.TextMessage, data: data}, true)
	}
}

// setLogs subscribes or unsubscribes a socket to log messages.
func (h *hub) setLogs(sid string, on bool) bool {
	c := h.client(sid)
	if c == nil {
		return false
	}
	c.mu.Lock()
	c.logs = on
	c.mu.Unlock()
	return true
}

// closeAll closes every socket with a going-away close frame and waits
// briefly for the writers to flush.
func (h *hub) closeAll() {
	h.mu.Lock()
	all := make([]*wsClient, 0, len(h.clients))
	for _, c := range h.clients {
		all = append(all, c)
	}
	h.clients = map[string]*wsClient{}
	h.mu.Unlock()
	for _, c := range all {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
	deadline := time.After(2 * time.Second)
	for _, c := range all {
		select {
		case <-c.done:
		case <-deadline:
		}
		c.conn.Close()
	}
}
