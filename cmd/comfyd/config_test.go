package main

import (
	"errors"
	"flag"
	"io"
	"testing"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		listen string
		cors   string
		port   int
		err    error
	}{
		{"defaults", nil, "127.0.0.1", "", 8188, nil},
		{"bare listen", []string{"--listen"}, "0.0.0.0", "", 8188, nil},
		{"bare listen then flag", []string{"--listen", "--port", "9000"}, "0.0.0.0", "", 9000, nil},
		{"listen value", []string{"--listen", "10.1.2.3"}, "10.1.2.3", "", 8188, nil},
		{"listen equals", []string{"--listen=::"}, "::", "", 8188, nil},
		{"bare cors", []string{"--enable-cors-header"}, "127.0.0.1", "*", 8188, nil},
		{"cors origin", []string{"--enable-cors-header", "http://a"}, "127.0.0.1", "http://a", 8188, nil},
		{"unknown flag", []string{"--nope"}, "", "", 0, errUsage},
		{"bad port", []string{"--port", "70000"}, "", "", 0, errUsage},
		{"port not a number", []string{"--port", "x"}, "", "", 0, errUsage},
		{"bad preview", []string{"--preview-method", "gif"}, "", "", 0, errUsage},
		{"bad verbose", []string{"--verbose", "LOUD"}, "", "", 0, errUsage},
		{"stray arg", []string{"extra"}, "", "", 0, errUsage},
		{"lru and none", []string{"--cache-lru", "3", "--cache-none"}, "", "", 0, errUsage},
		{"help", []string{"--help"}, "", "", 0, flag.ErrHelp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseConfig(c.args, io.Discard)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("want %v, got %v", c.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Listen != c.listen || cfg.EnableCORS != c.cors || cfg.Port != c.port {
				t.Fatalf("got listen=%q cors=%q port=%d", cfg.Listen, cfg.EnableCORS, cfg.Port)
			}
		})
	}
}

func TestDirs(t *testing.T) {
	cfg, err := parseConfig([]string{"--base-directory", "/b", "--temp-directory", "/t", "--output-directory", "/o"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out, in, tmp, user, err := cfg.dirs()
	if err != nil || out != "/o" || in != "/b/input" || tmp != "/t/temp" || user != "/b/user" {
		t.Fatalf("got %s %s %s %s %v", out, in, tmp, user, err)
	}
	if cfg.maxUploadBytes() != 100<<20 {
		t.Fatal("upload size")
	}
}

func TestRunExitCodes(t *testing.T) {
	if code := run([]string{"--no-such-flag"}); code != 2 {
		t.Fatalf("unknown flag: exit %d, want 2", code)
	}
	if code := run([]string{"--preview-method", "bogus"}); code != 2 {
		t.Fatalf("bad value: exit %d, want 2", code)
	}
	if code := run([]string{"--help"}); code != 0 {
		t.Fatalf("--help: exit %d, want 0", code)
	}
}
