package nodes

import (
	"context"
	"log/slog"

	"comfyd/paths"
)

// Env is what every node execution shares: folders and server settings.
// It is built once by cmd/comfyd and passed down; nodes never reach for a
// global server object.
type Env struct {
	Folders *paths.Folders
	// PreviewMethod is none, auto, latent2rgb or taesd (--preview-method).
	PreviewMethod string
	// NoiseDevice is the device whose internal sampler noise comfyd
	// reproduces: "cuda" (the default: most ComfyUI users run on a GPU)
	// or "cpu".
	NoiseDevice string
	Logger      *slog.Logger
}

// Reporter receives what a running node reports. The executor implements it
// and forwards to the server's WebSocket hub.
type Reporter interface {
	// Progress reports value out of max for the running node.
	Progress(value, max int)
	// Preview sends an encoded preview image; format is "JPEG" or "PNG".
	Preview(format string, data []byte)
}

// Context is what one node call sees. Its embedded context.Context is
// cancelled on interrupt: long nodes must check it (samplers do so before
// every model call).
type Context struct {
	context.Context
	Env       *Env
	PromptID  string
	NodeID    string // the real node id
	ClassType string
	// Prompt is the whole API prompt as submitted (hidden PROMPT) and
	// ExtraPNGInfo is extra_data.extra_pnginfo (hidden EXTRA_PNGINFO).
	Prompt       any
	ExtraPNGInfo any
	Reporter     Reporter
}

// Progress reports progress if a reporter is attached.
func (c *Context) Progress(value, max int) {
	if c.Reporter != nil {
		c.Reporter.Progress(value, max)
	}
}

// Preview forwards an encoded preview image if a reporter is attached.
func (c *Context) Preview(format string, data []byte) {
	if c.Reporter != nil {
		c.Reporter.Preview(format, data)
	}
}

// Log returns the environment's logger, or the default one.
func (c *Context) Log() *slog.Logger {
	if c.Env != nil && c.Env.Logger != nil {
		return c.Env.Logger
	}
	return slog.Default()
}
