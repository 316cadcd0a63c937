package comfyclient

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Message is one frame received on /ws, decoded enough to route it.
type Message struct {
	At     time.Time
	Binary bool
	// BinaryType is the big-endian event type of a binary frame.
	BinaryType uint32
	Type       string
	Data       json.RawMessage
	// PromptID is data.prompt_id, "" when absent.
	PromptID string
	// Node is data.node for "executing"/"progress"/"executed"; NodeNull
	// reports an explicit null (the end of a prompt).
	Node     string
	NodeNull bool
	// Value and Max are a "progress" message's counters.
	Value, Max int
}

// Socket is one /ws connection whose frames a goroutine reads into
// Messages until the connection ends; Err then tells why.
type Socket struct {
	ClientID string
	SID      string // the sid of the first status message
	conn     *websocket.Conn
	Messages chan Message

	mu        sync.Mutex
	err       error
	closeCode int // close frame code received, 0 if none
	done      chan struct{}
}

// DialOptions tune a socket; the zero value is a normal client.
type DialOptions struct {
	// Buffer is the capacity of Messages (default 4096). The reader
	// blocks when it is full, which is how a slow client is simulated.
	Buffer int
	// NetDial replaces the TCP dialer (e.g. to shrink socket buffers).
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// FeatureFlags, when true, sends the frontend's feature_flags
	// handshake (supports_preview_metadata) first.
	FeatureFlags bool
}

// Dial opens /ws?clientId=clientID on the server at base (http URL) and
// waits for the first status message.
func Dial(ctx context.Context, base, clientID string, opt DialOptions) (*Socket, error) {
	if err := RequireLoopback(base); err != nil {
		return nil, err
	}
	u := "ws" + strings.TrimPrefix(strings.TrimRight(base, "/"), "http") + "/ws?clientId=" + url.QueryEscape(clientID)
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: opt.NetDial, ReadBufferSize: 64 << 10}
	conn, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	if opt.Buffer <= 0 {
		opt.Buffer = 4096
	}
	s := &Socket{ClientID: clientID, conn: conn, Messages: make(chan Message, opt.Buffer), done: make(chan struct{})}
	if opt.FeatureFlags {
		flags := `{"type":"feature_flags","data":{"supports_preview_metadata":true}}`
		if err := conn.WriteMessage(websocket.TextMessage, []byte(flags)); err != nil {
			conn.Close()
			return nil, err
		}
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	_ = conn.SetReadDeadline(dl)
	first, err := s.read()
	if err != nil {
		conn.Close()
		return nil, err
	}
	if first.Type != "status" {
		conn.Close()
		return nil, errors.New("first /ws message is " + first.Type + ", want status")
	}
	var st struct {
		SID string `json:"sid"`
	}
	_ = json.Unmarshal(first.Data, &st)
	s.SID = st.SID
	_ = conn.SetReadDeadline(time.Time{})
	go s.readLoop()
	return s, nil
}

// SmallBufferDialer returns a NetDial function whose sockets have a small receive
// buffer, so a client that stops reading stalls the server's writes fast.
func SmallBufferDialer(rcvBuf int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(rcvBuf)
		}
		return c, nil
	}
}

func (s *Socket) readLoop() {
	defer close(s.Messages)
	defer close(s.done)
	for {
		m, err := s.read()
		if err != nil {
			s.mu.Lock()
			s.err = err
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				s.closeCode = ce.Code
			}
			s.mu.Unlock()
			return
		}
		s.Messages <- m
	}
}

func (s *Socket) read() (Message, error) {
	kind, data, err := s.conn.ReadMessage()
	if err != nil {
		return Message{}, err
	}
	m := Message{At: time.Now()}
	if kind == websocket.BinaryMessage {
		m.Binary = true
		if len(data) >= 4 {
			m.BinaryType = binary.BigEndian.Uint32(data)
		}
		return m, nil
	}
	// progress_state goes to every socket on every step: skip decoding it,
	// a load client with many sockets would spend its time there.
	if bytes.HasPrefix(data, progressStatePrefix) {
		m.Type = "progress_state"
		return m, nil
	}
	return decodeMessage(m, data)
}

var progressStatePrefix = []byte(`{"type":"progress_state"`)

func decodeMessage(m Message, data []byte) (Message, error) {
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return m, err
	}
	m.Type, m.Data = env.Type, env.Data
	var d struct {
		PromptID string          `json:"prompt_id"`
		Node     json.RawMessage `json:"node"`
		Value    int             `json:"value"`
		Max      int             `json:"max"`
	}
	if json.Unmarshal(env.Data, &d) == nil {
		m.PromptID, m.Value, m.Max = d.PromptID, d.Value, d.Max
		if string(d.Node) == "null" {
			m.NodeNull = true
		} else if len(d.Node) > 0 {
			_ = json.Unmarshal(d.Node, &m.Node)
		}
	}
	return m, nil
}

// Err is why the socket stopped reading (nil while it runs).
func (s *Socket) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// CloseCode is the code of the close frame the server sent, 0 if none.
func (s *Socket) CloseCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode
}

// Done is closed when the reader stops.
func (s *Socket) Done() <-chan struct{} { return s.done }

// Close sends a normal close frame and closes the connection.
func (s *Socket) Close() error {
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return s.conn.Close()
}

// Abort drops the TCP connection without a close frame, as a crashed
// browser tab would.
func (s *Socket) Abort() error { return s.conn.NetConn().Close() }

// WaitFor returns the first message for which match is true, discarding
// the others, until ctx ends or the socket closes.
func (s *Socket) WaitFor(ctx context.Context, match func(Message) bool) (Message, error) {
	for {
		select {
		case m, ok := <-s.Messages:
			if !ok {
				err := s.Err()
				if err == nil {
					err = errors.New("socket closed")
				}
				return Message{}, err
			}
			if match(m) {
				return m, nil
			}
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Is matches a message of type typ for promptID.
func Is(typ, promptID string) func(Message) bool {
	return func(m Message) bool { return m.Type == typ && m.PromptID == promptID }
}

// IsEnd matches the "executing" with node null that ends promptID.
func IsEnd(promptID string) func(Message) bool {
	return func(m Message) bool { return m.Type == "executing" && m.NodeNull && m.PromptID == promptID }
}
