package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"comfyd/nodes"
	"comfyd/paths"
	"comfyd/store"
)

// Config configures a Server. Zero values take ComfyUI's defaults.
type Config struct {
	Listen string
	Port   int

	Folders  *paths.Folders
	Registry *nodes.Registry
	Env      *nodes.Env

	// DatabasePath is the SQLite file holding queue, history, users and
	// settings.
	DatabasePath string
	// FrontEndRoot, when set, is served at / instead of WebFS.
	FrontEndRoot string
	// WebFS is the built-in UI; nil serves a small page linking the API.
	WebFS fs.FS
	// EnableCORSHeader: "" keeps ComfyUI's loopback origin check; "*" or
	// an origin sends CORS headers instead.
	EnableCORSHeader string
	// MaxUploadSize limits uploads, MaxBodySize every other body (bytes,
	// default 100 MB each).
	MaxUploadSize int64
	MaxBodySize   int64
	// APIKey, when set, is a bearer token every request must carry
	// (Authorization: Bearer <key>, or ?token=<key> for WebSockets).
	APIKey string
	// CacheLRU and CacheNone select the executor's cache between prompts.
	CacheLRU  int
	CacheNone bool
	Version   string
	Logger    *slog.Logger

	// Engine overrides the executor (tests); nil uses package graph.
	Engine Engine
}

const defaultMaxSize = 100 << 20

// Server is a running comfyd API.
type Server struct {
	cfg    Config
	log    *slog.Logger
	logs   *logBuffer
	store  *store.Store
	engine Engine
	queue  *promptQueue
	hub    *hub
	router http.Handler

	settingsMu sync.Mutex // serialises settings read-modify-write

	runMu   sync.Mutex
	current *runState // the running prompt, nil when idle

	freeMu      sync.Mutex
	freePending bool

	workerCtx    context.Context
	workerCancel context.CancelFunc
	workerDone   chan struct{}
	startOnce    sync.Once
	shutdownOnce sync.Once
	stopping     atomic.Bool // Shutdown began: new requests get 503
}

// New opens the store, recovers the queue (prompts that were pending or
// running when the previous process stopped run again, in order) and
// builds the router. Call Start to begin executing.
func New(cfg Config) (*Server, error) {
	if cfg.Folders == nil {
		return nil, errors.New("server: Config.Folders is required")
	}
	if cfg.Registry == nil {
		cfg.Registry = nodes.NewRegistry()
	}
	if cfg.Env == nil {
		cfg.Env = &nodes.Env{Folders: cfg.Folders}
	}
	if cfg.MaxUploadSize <= 0 {
		cfg.MaxUploadSize = defaultMaxSize
	}
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = defaultMaxSize
	}
	if cfg.DatabasePath == "" {
		return nil, errors.New("server: Config.DatabasePath is required")
	}
	if cfg.Version == "" {
		cfg.Version = "0.0.0-comfyd"
	}
	base := cfg.Logger
	if base == nil {
		base = slog.Default()
	}
	s := &Server{cfg: cfg, logs: newLogBuffer(2000)}
	s.log = slog.New(newTeeHandler(base.Handler(), s.logs))
	st, err := store.Open(cfg.DatabasePath)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.store = st
	s.engine = cfg.Engine
	if s.engine == nil {
		s.engine = newGraphEngine(cfg)
	}
	s.hub = newHub(s)
	s.logs.onAppend = s.hub.sendLogs
	s.queue = newPromptQueue()
	if err := s.recoverQueue(context.Background()); err != nil {
		st.Close()
		return nil, fmt.Errorf("server: recovering the queue: %w", err)
	}
	s.workerCtx, s.workerCancel = context.WithCancel(context.Background())
	s.workerDone = make(chan struct{})
	s.router = s.routes()
	return s, nil
}

// Logger is the server's logger; what it logs also feeds /internal/logs.
func (s *Server) Logger() *slog.Logger { return s.log }

// Handler is the HTTP handler serving every route.
func (s *Server) Handler() http.Handler { return s.router }

// Start starts the worker loop; it runs until Shutdown or ctx ends.
func (s *Server) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		go func() {
			select {
			case <-ctx.Done():
				s.workerCancel()
			case <-s.workerCtx.Done():
			}
		}()
		go s.worker()
	})
}

// Shutdown stops accepting requests (they get 503), stops the worker
// (interrupting the running prompt, which stays queued and runs again at
// the next start), closes every WebSocket with a close frame and closes
// the store. The HTTP listener itself is the caller's (http.Server).
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.shutdownOnce.Do(func() {
		s.stopping.Store(true)
		s.workerCancel()
		s.startOnce.Do(func() { close(s.workerDone) }) // never started: nothing to wait for
		select {
		case <-s.workerDone:
		case <-ctx.Done():
			err = ctx.Err()
		}
		s.hub.closeAll()
		if cerr := s.store.Close(); cerr != nil && err == nil {
			err = cerr
		}
	})
	return err
}
