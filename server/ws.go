package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 64 << 10,
	// The origin middleware has already applied ComfyUI's rule.
	CheckOrigin: func(*http.Request) bool { return true },
}

// maxClientMessage bounds what a client may send (it only ever sends the
// small feature_flags message).
const maxClientMessage = 1 << 20

// handleWS serves /ws (spec 3.1).
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("clientId")
	if sid == "" {
		sid = strings.ReplaceAll(uuid.NewString(), "-", "")
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	conn.SetReadLimit(maxClientMessage)
	c := newWSClient(sid, conn)
	go c.writeLoop()
	// Register and greet under the hub lock so no broadcast slips between.
	s.hub.mu.Lock()
	s.hub.clients[sid] = c
	c.enqueue(frame{kind: websocket.TextMessage, data: encodeMessage("status",
		StatusData{Status: PromptInfo{ExecInfo{s.queue.remaining()}}, SID: sid})}, false)
	if node, ok := s.executingNodeFor(sid); ok {
		c.enqueue(frame{kind: websocket.TextMessage, data: encodeMessage("executing", map[string]any{"node": node})}, false)
	}
	s.hub.mu.Unlock()
	s.readLoop(c)
	s.hub.remove(c)
	c.close(websocket.CloseNormalClosure, "")
}

// readLoop handles client messages until the socket closes.
func (s *Server) readLoop(c *wsClient) {
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if kind != websocket.TextMessage {
			continue
		}
		if reply := s.clientMessage(c, data); reply != nil {
			c.enqueue(frame{kind: websocket.TextMessage, data: reply}, false)
		}
	}
}

// clientMessage applies one text message from a client and returns the
// reply to send, if any. ComfyUI honours feature_flags only as the first
// text message; everything else is ignored (invalid JSON is logged).
func (s *Server) clientMessage(c *wsClient, data []byte) []byte {
	c.mu.Lock()
	first := !c.flagsSeen
	c.flagsSeen = true
	c.mu.Unlock()
	var msg struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		s.log.Warn("invalid websocket message", "sid", c.sid, "err", err)
		return nil
	}
	if !first || msg.Type != "feature_flags" {
		return nil
	}
	var flags map[string]any
	if json.Unmarshal(msg.Data, &flags) == nil {
		v, _ := flags["supports_preview_metadata"].(bool)
		c.mu.Lock()
		c.previewMetadata = v
		c.mu.Unlock()
	}
	return encodeMessage("feature_flags", s.featureFlags())
}

// featureFlags is what /features and the handshake advertise (spec 2.15).
func (s *Server) featureFlags() map[string]any {
	return map[string]any{
		"supports_preview_metadata": true,
		"max_upload_size":           s.cfg.MaxUploadSize,
	}
}
