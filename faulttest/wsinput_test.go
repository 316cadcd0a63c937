package faulttest

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"comfyd/internal/comfyclient"
)

// TestHostileWebSocketMessages: a client sends garbage, binary frames, an
// endless stream of feature_flags and finally a message beyond the 1 MiB
// limit. Its own socket may be closed; the server lives on and another
// client's prompt runs normally.
func TestHostileWebSocketMessages(t *testing.T) {
	s := start(t)
	good := dial(t, s, comfyDial())
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws?clientId=hostile"
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() { // drain, so the server's writes never block on us
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	msgs := []struct {
		kind int
		data string
	}{
		{websocket.TextMessage, `{"type": "feature_flags", "data": "not an object"}`},
		{websocket.TextMessage, `{{{{`},
		{websocket.TextMessage, `{"type": 5, "data": [1, 2]}`},
		{websocket.TextMessage, strings.Repeat("[", 100000)},
		{websocket.BinaryMessage, "\x00\x00\x00\x04garbage"},
		{websocket.TextMessage, "\xff\xfe not utf-8"},
	}
	for range 200 {
		msgs = append(msgs, struct {
			kind int
			data string
		}{websocket.TextMessage, `{"type": "feature_flags", "data": {"supports_preview_metadata": true}}`})
	}
	for _, m := range msgs {
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := conn.WriteMessage(m.kind, []byte(m.data)); err != nil {
			t.Fatalf("the server closed the socket on %.40q: %v", m.data, err)
		}
	}
	// Beyond the 1 MiB read limit: the server closes this socket.
	_ = conn.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 2<<20)))

	id := queue(t, s, good.ClientID, workflow(4, 31))
	waitFor(t, good, 30*time.Second, "execution_success", comfyclient.Is("execution_success", id))
	s.Alive(t)
}
