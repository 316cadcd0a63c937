package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// logBuffer keeps the last log lines for /internal/logs and forwards new
// ones to subscribed sockets.
type logBuffer struct {
	mu       sync.Mutex
	max      int
	entries  []LogEntry
	onAppend func([]LogEntry)
}

func newLogBuffer(max int) *logBuffer { return &logBuffer{max: max} }

func (b *logBuffer) add(e LogEntry) {
	b.mu.Lock()
	b.entries = append(b.entries, e)
	if len(b.entries) > b.max {
		b.entries = append([]LogEntry(nil), b.entries[len(b.entries)-b.max:]...)
	}
	cb := b.onAppend
	b.mu.Unlock()
	if cb != nil {
		cb([]LogEntry{e})
	}
}

func (b *logBuffer) snapshot() []LogEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]LogEntry{}, b.entries...)
}

// teeHandler passes records to the next handler and into the buffer.
type teeHandler struct {
	next  slog.Handler
	buf   *logBuffer
	attrs string
}

func newTeeHandler(next slog.Handler, buf *logBuffer) *teeHandler {
	return &teeHandler{next: next, buf: buf}
}

func (h *teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Message)
	sb.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	sb.WriteByte('\n')
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	h.buf.add(LogEntry{T: t.Format("2006-01-02 15:04:05.000"), M: sb.String()})
	return h.next.Handle(ctx, r)
}

func (h *teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var sb strings.Builder
	sb.WriteString(h.attrs)
	for _, a := range as {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
	}
	return &teeHandler{next: h.next.WithAttrs(as), buf: h.buf, attrs: sb.String()}
}

func (h *teeHandler) WithGroup(name string) slog.Handler {
	return &teeHandler{next: h.next.WithGroup(name), buf: h.buf, attrs: h.attrs}
}
