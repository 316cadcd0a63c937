package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
)

// config is comfyd's command line, spelled as ComfyUI's so its users feel
// at home.
type config struct {
	Listen          string
	Port            int
	BaseDir         string
	OutputDir       string
	InputDir        string
	TempDir         string
	UserDir         string
	ExtraModelPaths []string
	PreviewMethod   string
	FrontEndRoot    string
	EnableCORS      string
	MaxUploadMB     float64
	Database        string
	Verbose         string
	APIKey          string
	CacheLRU        int
	CacheNone       bool
	NoiseDevice     string
	TokenizerDir    string
}

// errUsage marks a bad command line: the caller exits with status 2.
var errUsage = errors.New("usage")

// optionalValue lists flags that ComfyUI accepts bare, with the value a bare
// flag means.
var optionalValue = map[string]string{
	"listen":             "0.0.0.0",
	"enable-cors-header": "*",
	"verbose":            "DEBUG",
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseConfig parses args (without the program name). Output for --help and
// errors goes to out.
func parseConfig(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("comfyd", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1", "address to listen on; bare --listen means 0.0.0.0 (all interfaces)")
	fs.IntVar(&c.Port, "port", 8188, "port to listen on")
	fs.StringVar(&c.BaseDir, "base-directory", ".", "base folder for models/, input/, output/, temp/ and user/")
	fs.StringVar(&c.OutputDir, "output-directory", "", "output folder (default <base>/output)")
	fs.StringVar(&c.InputDir, "input-directory", "", "input folder (default <base>/input)")
	fs.StringVar(&c.TempDir, "temp-directory", "", "parent of the temp folder (default <base>); temp files go to <dir>/temp")
	fs.StringVar(&c.UserDir, "user-directory", "", "user data folder (default <base>/user)")
	fs.Var((*multiFlag)(&c.ExtraModelPaths), "extra-model-paths-config", "ComfyUI extra_model_paths.yaml file (repeatable)")
	fs.StringVar(&c.PreviewMethod, "preview-method", "auto", "latent previews: none|auto|latent2rgb|taesd (taesd falls back to latent2rgb)")
	fs.StringVar(&c.FrontEndRoot, "front-end-root", "", "serve a ComfyUI frontend build from this folder at /")
	fs.StringVar(&c.EnableCORS, "enable-cors-header", "", "send CORS headers for this origin; bare flag means '*' (disables the origin check)")
	fs.Float64Var(&c.MaxUploadMB, "max-upload-size", 100, "maximum upload size in MB")
	fs.StringVar(&c.Database, "database", "", "SQLite file holding the queue, history, users and settings (default <user>/comfyd.db)")
	fs.StringVar(&c.Verbose, "verbose", "INFO", "log level: DEBUG|INFO|WARNING|ERROR|CRITICAL; bare flag means DEBUG")
	fs.StringVar(&c.APIKey, "api-key", "", "require 'Authorization: Bearer <key>' on every request (off when empty)")
	fs.IntVar(&c.CacheLRU, "cache-lru", 0, "keep up to N node results across prompts (LRU); 0 = ComfyUI's classic cache")
	fs.BoolVar(&c.CacheNone, "cache-none", false, "keep no node results between prompts (least memory)")
	fs.StringVar(&c.TokenizerDir, "clip-tokenizer-dir", "", "folder with CLIP's vocab.json and merges.txt for SD1 checkpoints (ComfyUI's comfy/sd1_tokenizer or a diffusers tokenizer/ folder; default <base>/models/tokenizer, or $COMFYD_TOKENIZER_DIR)")
	fs.StringVar(&c.NoiseDevice, "noise-device", "cuda", "whose sampler noise to reproduce: cuda (a GPU ComfyUI, the common case) or cpu")
	fs.Usage = func() {
		fmt.Fprintf(out, "comfyd: a ComfyUI-compatible server in one Go binary\n\nUsage: comfyd [flags]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(expandBareFlags(args, fs)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, nil
}

// expandBareFlags rewrites a bare optional-value flag ("--listen" followed
// by nothing or by another flag) into "--listen=<default>", which Go's flag
// package cannot express by itself.
func expandBareFlags(args []string, fs *flag.FlagSet) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		if bare, ok := optionalValue[name]; ok && strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
			if i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") {
				out = append(out, "--"+name+"="+bare)
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func (c *config) check() error {
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("--port %d is not a valid port", c.Port)
	}
	switch c.PreviewMethod {
	case "none", "auto", "latent2rgb", "taesd":
	default:
		return fmt.Errorf("--preview-method %q: want none, auto, latent2rgb or taesd", c.PreviewMethod)
	}
	switch c.NoiseDevice {
	case "cpu", "cuda":
	default:
		return fmt.Errorf("--noise-device %q: want cpu or cuda", c.NoiseDevice)
	}
	if _, err := c.logLevel(); err != nil {
		return err
	}
	if c.MaxUploadMB <= 0 {
		return fmt.Errorf("--max-upload-size must be positive")
	}
	if c.CacheLRU < 0 {
		return fmt.Errorf("--cache-lru must not be negative")
	}
	if c.CacheLRU > 0 && c.CacheNone {
		return fmt.Errorf("--cache-lru and --cache-none exclude each other")
	}
	return nil
}

func (c *config) logLevel() (slog.Level, error) {
	switch strings.ToUpper(c.Verbose) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--verbose %q: want DEBUG, INFO, WARNING, ERROR or CRITICAL", c.Verbose)
}

// maxUploadBytes converts --max-upload-size to bytes.
func (c *config) maxUploadBytes() int64 { return int64(c.MaxUploadMB * 1024 * 1024) }

// dirs resolves the folder flags against the base directory.
func (c *config) dirs() (output, input, temp, user string, err error) {
	base, err := filepath.Abs(c.BaseDir)
	if err != nil {
		return
	}
	pick := func(flagVal, def string) string {
		if flagVal != "" {
			p, _ := filepath.Abs(flagVal)
			return p
		}
		return filepath.Join(base, def)
	}
	output = pick(c.OutputDir, "output")
	input = pick(c.InputDir, "input")
	temp = filepath.Join(base, "temp")
	if c.TempDir != "" {
		p, _ := filepath.Abs(c.TempDir)
		temp = filepath.Join(p, "temp")
	}
	user = pick(c.UserDir, "user")
	return
}
