package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"comfyd/nodes"

	"github.com/gorilla/websocket"
)

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(int(p*float64(len(s))), len(s)-1)]
}

// BenchmarkPromptToSuccess measures POST /api/prompt on loopback until
// the client's WebSocket receives execution_success, for a two-node
// workflow whose nodes do no work, through the real validator and
// executor. Each iteration changes a widget so nothing is cached.
func BenchmarkPromptToSuccess(b *testing.B) {
	reg := nodes.NewRegistry()
	reg.Register(
		&nodes.Class{Name: "BenchText", Required: []nodes.Input{{Name: "text", Type: "STRING"}},
			Outputs: []nodes.Output{{Type: "STRING"}},
			Run: func(_ *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				s, err := in.String("text")
				return nodes.Result{Outputs: []any{s}}, err
			}},
		&nodes.Class{Name: "BenchSave", OutputNode: true, Required: []nodes.Input{{Name: "text", Type: "STRING"}},
			Run: func(_ *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
				return nodes.Result{UI: nodes.UI{"text": {"ok"}}}, nil
			}},
	)
	ts := newTestServer(b, func(c *Config) { c.Registry = reg; c.Engine = nil })
	ws := ts.dial(b, "?clientId=bench")
	ws.next()
	client := &http.Client{}
	var lat, postLat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := fmt.Sprintf(`{"client_id": "bench", "prompt": {"1": {"class_type": "BenchText", "inputs": {"text": "t%d"}}, "2": {"class_type": "BenchSave", "inputs": {"text": ["1", 0]}}}}`, i)
		start := time.Now()
		resp, err := client.Post(ts.http.URL+"/api/prompt", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var pr PromptResponse
		if err := json.NewDecoder(resp.Body).Decode(&struct {
			PromptID *string `json:"prompt_id"`
		}{&pr.PromptID}); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		postLat = append(postLat, time.Since(start))
		ws.until(func(m wsMsg) bool { return m.Type == "execution_success" && m.Data["prompt_id"] == pr.PromptID })
		lat = append(lat, time.Since(start))
		ws.until(runEnd(pr.PromptID))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	// The POST alone (validation, SQLite commit, answer): the baseline the
	// execution and WebSocket delivery add to.
	b.ReportMetric(float64(percentile(postLat, 0.5).Microseconds())/1000, "post-p50-ms")
}

// BenchmarkWSFanout100 broadcasts progress messages (a prompt without a
// client sends them to every socket) to 100 WebSocket clients on
// loopback and measures send-to-receive latency at every client.
func BenchmarkWSFanout100(b *testing.B) {
	for _, prepared := range []bool{false, true} {
		for _, pace := range []time.Duration{0, time.Millisecond, 10 * time.Millisecond} {
			b.Run(fmt.Sprintf("prepared-%v/every-%v", prepared, pace), func(b *testing.B) {
				defer func(old bool) { preparedBroadcast = old }(preparedBroadcast)
				preparedBroadcast = prepared
				benchFanout(b, pace)
			})
		}
	}
}

// benchFanout sends one progress message per pace (0: back to back).
func benchFanout(b *testing.B, pace time.Duration) {
	const clients = 100
	ts := newTestServer(b)
	url := "ws" + strings.TrimPrefix(ts.http.URL, "http") + "/ws"
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil { // status on connect
			b.Fatal(err)
		}
		conns[i] = c
	}
	n := b.N
	sent := make([]time.Time, n)
	var mu sync.Mutex
	var lat []time.Duration
	received := 0
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func(c *websocket.Conn) {
			defer wg.Done()
			local := make([]time.Duration, 0, n)
			for got := 0; got < n; {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, data, err := c.ReadMessage()
				if err != nil {
					break
				}
				var m struct {
					Type string `json:"type"`
					Data struct {
						Value int `json:"value"`
					} `json:"data"`
				}
				if json.Unmarshal(data, &m) != nil || m.Type != "progress" {
					continue
				}
				mu.Lock()
				t0 := sent[m.Data.Value]
				mu.Unlock()
				local = append(local, time.Since(t0))
				got++
			}
			mu.Lock()
			lat = append(lat, local...)
			received += len(local)
			mu.Unlock()
		}(c)
	}
	b.ResetTimer()
	for i := 0; i < n; i++ {
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		// What runEvents.Progress sends for a prompt without a client.
		ts.hub.send("progress", ProgressData{i, n, "bench", "3"}, "")
		if pace > 0 {
			time.Sleep(pace)
		}
	}
	wg.Wait()
	b.StopTimer()
	if received != n*clients {
		b.Errorf("received %d of %d messages", received, n*clients)
	}
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(n*clients-received), "lost")
}
