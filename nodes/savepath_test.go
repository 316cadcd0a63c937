package nodes

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSaveTargetCounterAndSubfolder(t *testing.T) {
	root := t.TempDir()
	touch(t, root, "ComfyUI_00003_.png", "ComfyUI_00010_.png", "ComfyUI_abc_.png",
		"Other_00099_.png", "ComfyUI2_00500_.png", "ComfyUI_00007_.latent")
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.Local)
	cases := []struct {
		prefix, sub, file string
		counter           int
	}{
		{"ComfyUI", "", "ComfyUI", 11},
		{"fresh", "", "fresh", 1},
		{"portraits/%year%/cat", "portraits/2025", "cat", 1},
		{"a/./b/../c/x_%width%x%height%", "a/c", "x_640x480", 1},
		{"%month%-%day%_%hour%%minute%%second%", "", "03-04_050607", 1},
	}
	for _, c := range cases {
		st, err := NewSaveTarget(root, c.prefix, 640, 480, now)
		if err != nil {
			t.Fatalf("%s: %v", c.prefix, err)
		}
		if st.Subfolder != c.sub || st.Filename != c.file || st.Counter != c.counter {
			t.Errorf("%s: got sub %q file %q counter %d, want %q %q %d", c.prefix, st.Subfolder, st.Filename, st.Counter, c.sub, c.file, c.counter)
		}
		if want := filepath.Join(root, filepath.FromSlash(c.sub)); st.Dir != want {
			t.Errorf("%s: dir %s, want %s", c.prefix, st.Dir, want)
		}
	}
	st, _ := NewSaveTarget(root, "b%batch_num%", 1, 1, now)
	if name, _ := st.File(2, ".png"); name != "b2_00003_.png" {
		t.Errorf("batch file name %q", name)
	}
}

func TestSaveTargetRefusesEscapes(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../x", "/etc/x", "a/../../x", "link/x", "..", "a\\..\\x"} {
		if _, err := NewSaveTarget(root, p, 1, 1, time.Now()); !errors.Is(err, ErrSaveOutside) {
			t.Errorf("prefix %q: got %v, want ErrSaveOutside", p, err)
		}
	}
}
