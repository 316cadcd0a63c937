// Command comfyd is a ComfyUI-compatible server: point the ComfyUI frontend
// or any ComfyUI API client at it. Flags follow ComfyUI's (--listen,
// --port, --base-directory, ...); run with --help for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"comfyd/models"
	_ "comfyd/models/builtin" // registers the file-less default checkpoint
	"comfyd/nodes"
	"comfyd/nodes/core"
	"comfyd/nodes/inspire"
	"comfyd/paths"
	"comfyd/server"
	"comfyd/web"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, err := parseConfig(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "comfyd:", err)
		return 2
	}
	level, _ := cfg.logLevel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	if err := serve(cfg, log); err != nil {
		log.Error("comfyd stopped", "err", err)
		return 1
	}
	return 0
}

func serve(cfg *config, log *slog.Logger) error {
	srv, err := newServer(cfg, log)
	if err != nil {
		return err
	}
	// From here on, log through the server so /internal/logs shows it.
	log = srv.Logger()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	addr := net.JoinHostPort(cfg.Listen, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv.Start(ctx)
	go warmBuiltins(ctx, log)
	log.Info("listening", "url", "http://"+displayAddr(cfg.Listen, cfg.Port))

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Stop the executor and close WebSockets first: hijacked connections
	// are not closed by http.Server.Shutdown.
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("server shutdown", "err", err)
	}
	err = httpSrv.Shutdown(shutdownCtx)
	_, _, temp, _, _ := cfg.dirs()
	if rmErr := os.RemoveAll(temp); rmErr != nil {
		log.Warn("clearing the temp folder", "err", rmErr)
	}
	return err
}

// newServer builds everything the binary serves: folders, the node
// registry, the store-backed server. Tests use it to run the real wiring.
func newServer(cfg *config, log *slog.Logger) (*server.Server, error) {
	folders, err := setupFolders(cfg, log)
	if err != nil {
		return nil, err
	}
	env := &nodes.Env{Folders: folders, PreviewMethod: cfg.PreviewMethod, NoiseDevice: cfg.NoiseDevice, Logger: log}
	reg := nodes.NewRegistry()
	core.Register(reg)
	inspire.Register(reg)

	dbPath := cfg.Database
	if dbPath == "" {
		dbPath = filepath.Join(folders.User, "comfyd.db")
	}
	srv, err := server.New(server.Config{
		Listen:           cfg.Listen,
		Port:             cfg.Port,
		Folders:          folders,
		Registry:         reg,
		Env:              env,
		DatabasePath:     dbPath,
		FrontEndRoot:     cfg.FrontEndRoot,
		WebFS:            web.FS(),
		EnableCORSHeader: cfg.EnableCORS,
		MaxUploadSize:    cfg.maxUploadBytes(),
		MaxBodySize:      cfg.maxUploadBytes(), // ComfyUI's limit applies to every request body
		APIKey:           cfg.APIKey,
		CacheLRU:         cfg.CacheLRU,
		CacheNone:        cfg.CacheNone,
		Version:          version(),
		Logger:           log,
	})
	if err != nil {
		return nil, err
	}
	log.Info("store", "database", dbPath)
	log.Info("nodes", "classes", len(reg.Names()), "preview_method", cfg.PreviewMethod, "noise_device", cfg.NoiseDevice)
	return srv, nil
}

// setupFolders creates the folders and logs what comfyd uses and finds.
func setupFolders(cfg *config, log *slog.Logger) (*paths.Folders, error) {
	base, err := filepath.Abs(cfg.BaseDir)
	if err != nil {
		return nil, err
	}
	folders := paths.New(base)
	folders.Output, folders.Input, folders.Temp, folders.User, err = cfg.dirs()
	if err != nil {
		return nil, err
	}
	for _, file := range cfg.ExtraModelPaths {
		added, err := folders.LoadExtraModelPaths(file)
		if err != nil {
			return nil, fmt.Errorf("--extra-model-paths-config: %w", err)
		}
		for _, a := range added {
			log.Info("extra model path", "path", a)
		}
	}
	// Like ComfyUI, previews in temp/ live for one server run.
	if err := os.RemoveAll(folders.Temp); err != nil {
		return nil, fmt.Errorf("clearing the temp folder: %w", err)
	}
	if err := folders.Create(); err != nil {
		return nil, err
	}
	log.Info("folders", "base", base, "output", folders.Output, "input", folders.Input, "temp", folders.Temp, "user", folders.User)
	models.SetEmbeddingDirs(folders.ModelDirs("embeddings")...)
	tokDir := cfg.TokenizerDir
	if tokDir == "" {
		if st, err := os.Stat(filepath.Join(base, "models", "tokenizer")); err == nil && st.IsDir() {
			tokDir = filepath.Join(base, "models", "tokenizer")
		}
	}
	if tokDir != "" {
		models.SetTokenizerDir(tokDir)
		log.Info("CLIP tokenizer", "folder", tokDir)
	}
	ckpts := append(models.Builtins(), folders.ListModels("checkpoints")...)
	log.Info("checkpoints", "found", ckpts, "searched", folders.ModelDirs("checkpoints"))
	return folders, nil
}

// warmBuiltins loads the built-in checkpoints in the background, so the
// first prompt does not wait for the built-in model to paint its pictures.
func warmBuiltins(ctx context.Context, log *slog.Logger) {
	for _, name := range models.Builtins() {
		start := time.Now()
		if _, err := models.LoadBuiltin(ctx, name); err != nil {
			log.Warn("built-in model", "name", name, "err", err)
			continue
		}
		log.Info("built-in model loaded", "name", name, "took", time.Since(start).Round(time.Millisecond))
	}
}

func displayAddr(listen string, port int) string {
	if listen == "0.0.0.0" || listen == "::" || listen == "" {
		listen = "127.0.0.1"
	}
	return net.JoinHostPort(listen, strconv.Itoa(port))
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "0.1.0"
}
