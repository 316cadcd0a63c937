package paths

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSafeJoin(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		parts []string
		ok    bool
	}{
		{[]string{"a.png"}, true},
		{[]string{"sub", "a.png"}, true},
		{[]string{"sub/deeper", "a.png"}, true},
		{[]string{"", "a.png"}, true},
		{[]string{"..", "a.png"}, false},
		{[]string{"sub/../../a.png"}, false},
		{[]string{"/etc/passwd"}, false},
		{[]string{"sub", "/etc/passwd"}, false},
		{[]string{`..\a.png`}, false},
		{[]string{"a\x00.png"}, false},
		{[]string{"link", "a.png"}, false},
		{[]string{"link"}, false},
	}
	for _, c := range cases {
		p, err := SafeJoin(root, c.parts...)
		if c.ok && err != nil {
			t.Errorf("%q: unexpected error %v", c.parts, err)
		}
		if !c.ok && !errors.Is(err, ErrEscape) {
			t.Errorf("%q: want ErrEscape, got %q, %v", c.parts, p, err)
		}
	}
}

func TestListModels(t *testing.T) {
	base := t.TempDir()
	f := New(base)
	if err := f.Create(); err != nil {
		t.Fatal(err)
	}
	dir := f.ModelDirs("checkpoints")[0]
	os.MkdirAll(filepath.Join(dir, "sd"), 0o755)
	for _, n := range []string{"b.safetensors", "sd/a.ckpt", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	got := f.ListModels("checkpoints")
	if len(got) != 2 || got[0] != "b.safetensors" || got[1] != "sd/a.ckpt" {
		t.Fatalf("got %v", got)
	}
	if p, err := f.ModelPath("checkpoints", "sd/a.ckpt"); err != nil || filepath.Base(p) != "a.ckpt" {
		t.Fatalf("ModelPath: %v %v", p, err)
	}
	if _, err := f.ModelPath("checkpoints", "../../x"); err == nil {
		t.Fatal("escape allowed")
	}
}
