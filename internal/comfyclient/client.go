// Package comfyclient is a small ComfyUI API client for comfyd's load and
// fault tools: queue prompts over HTTP, follow runs on /ws, read history.
// It speaks only what those tools need and refuses non-loopback servers
// (see RequireLoopback), so a load run cannot be pointed at someone else's
// machine by mistake.
package comfyclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks HTTP to one server.
type Client struct {
	// BaseURL is "http://127.0.0.1:<port>" (no trailing slash).
	BaseURL string
	HTTP    *http.Client
}

// New returns a client for base, which must be a loopback http URL.
func New(base string) (*Client, error) {
	base = strings.TrimRight(base, "/")
	if err := RequireLoopback(base); err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	return &Client{BaseURL: base, HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}, nil
}

// PromptRequest is the body of POST /prompt.
type PromptRequest struct {
	Prompt    map[string]any `json:"prompt"`
	ClientID  string         `json:"client_id,omitempty"`
	PromptID  string         `json:"prompt_id,omitempty"`
	ExtraData map[string]any `json:"extra_data,omitempty"`
}

// PromptResponse is the 200 answer of POST /prompt.
type PromptResponse struct {
	PromptID   string          `json:"prompt_id"`
	Number     float64         `json:"number"`
	NodeErrors json.RawMessage `json:"node_errors"`
}

// ErrorObject is ComfyUI's error object (spec 2.3).
type ErrorObject struct {
	Type      string         `json:"type"`
	Message   string         `json:"message"`
	Details   string         `json:"details"`
	ExtraInfo map[string]any `json:"extra_info"`
}

// PromptError is the 400 answer of POST /prompt.
type PromptError struct {
	Error      *ErrorObject               `json:"error"`
	NodeErrors map[string]json.RawMessage `json:"node_errors"`
}

// StatusError is a non-200 HTTP answer.
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string {
	body := e.Body
	if len(body) > 300 {
		body = append(body[:300:300], "..."...)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, body)
}

// QueuePrompt posts a prompt. A non-200 answer is a *StatusError.
func (c *Client) QueuePrompt(ctx context.Context, req PromptRequest) (*PromptResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	status, data, err := c.Do(ctx, http.MethodPost, "/prompt", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, &StatusError{Status: status, Body: data}
	}
	var out PromptResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("POST /prompt answer: %w", err)
	}
	if out.PromptID == "" {
		return nil, fmt.Errorf("POST /prompt answer has no prompt_id: %s", data)
	}
	return &out, nil
}

// Do sends one request and reads the whole answer.
func (c *Client) Do(ctx context.Context, method, path, contentType string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	return resp.StatusCode, data, err
}

// GetJSON reads a JSON answer into out; non-200 is a *StatusError.
func (c *Client) GetJSON(ctx context.Context, path string, out any) error {
	status, data, err := c.Do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return &StatusError{Status: status, Body: data}
	}
	return json.Unmarshal(data, out)
}

// HistoryEntry is one /history entry (spec 5.2), the parts the tools read.
type HistoryEntry struct {
	Outputs map[string]map[string]json.RawMessage `json:"outputs"`
	Status  struct {
		StatusStr string              `json:"status_str"`
		Completed bool                `json:"completed"`
		Messages  [][]json.RawMessage `json:"messages"`
	} `json:"status"`
}

// FileRef is an item of a node's "images" output.
type FileRef struct {
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// Images lists the "images" file references of every output node.
func (h *HistoryEntry) Images() []FileRef {
	var out []FileRef
	for _, node := range h.Outputs {
		var refs []FileRef
		if raw, ok := node["images"]; ok && json.Unmarshal(raw, &refs) == nil {
			out = append(out, refs...)
		}
	}
	return out
}

// History returns the entry of one prompt, nil when it is not finished.
func (c *Client) History(ctx context.Context, promptID string) (*HistoryEntry, error) {
	var h map[string]*HistoryEntry
	if err := c.GetJSON(ctx, "/history/"+url.PathEscape(promptID), &h); err != nil {
		return nil, err
	}
	return h[promptID], nil
}

// AllHistory returns every history entry by prompt id.
func (c *Client) AllHistory(ctx context.Context) (map[string]*HistoryEntry, error) {
	var h map[string]*HistoryEntry
	err := c.GetJSON(ctx, "/history", &h)
	return h, err
}

// QueueState is GET /queue: the number of running and pending items.
func (c *Client) QueueState(ctx context.Context) (running, pending int, err error) {
	var q struct {
		Running []json.RawMessage `json:"queue_running"`
		Pending []json.RawMessage `json:"queue_pending"`
	}
	if err := c.GetJSON(ctx, "/queue", &q); err != nil {
		return 0, 0, err
	}
	return len(q.Running), len(q.Pending), nil
}

// WaitHistory polls until promptID has a history entry or ctx ends.
func (c *Client) WaitHistory(ctx context.Context, promptID string) (*HistoryEntry, error) {
	for {
		h, err := c.History(ctx, promptID)
		if err == nil && h != nil {
			return h, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("waiting for the history of %s: %w", promptID, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Interrupt posts /interrupt for promptID ("" = whatever runs).
func (c *Client) Interrupt(ctx context.Context, promptID string) error {
	body := "{}"
	if promptID != "" {
		b, _ := json.Marshal(map[string]string{"prompt_id": promptID})
		body = string(b)
	}
	status, data, err := c.Do(ctx, http.MethodPost, "/interrupt", "application/json", strings.NewReader(body))
	if err == nil && status != http.StatusOK {
		err = &StatusError{Status: status, Body: data}
	}
	return err
}

// FirstCheckpoint is the first ckpt_name choice of CheckpointLoaderSimple,
// the built-in model on a server without checkpoint files.
func (c *Client) FirstCheckpoint(ctx context.Context) (string, error) {
	var info map[string]struct {
		Input struct {
			Required map[string][]json.RawMessage `json:"required"`
		} `json:"input"`
	}
	if err := c.GetJSON(ctx, "/object_info/CheckpointLoaderSimple", &info); err != nil {
		return "", err
	}
	spec := info["CheckpointLoaderSimple"].Input.Required["ckpt_name"]
	if len(spec) == 0 {
		return "", fmt.Errorf("object_info has no ckpt_name input for CheckpointLoaderSimple")
	}
	// The choices are either the list itself or ["COMBO", {"options": [...]}].
	var choices []string
	if json.Unmarshal(spec[0], &choices) != nil || len(choices) == 0 {
		var opts struct {
			Options []string `json:"options"`
		}
		if len(spec) > 1 {
			_ = json.Unmarshal(spec[1], &opts)
		}
		choices = opts.Options
	}
	if len(choices) == 0 {
		return "", fmt.Errorf("CheckpointLoaderSimple offers no checkpoint")
	}
	return choices[0], nil
}
