package nodes

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"comfyd/paths"
)

// SaveTarget is where a saving node writes: ComfyUI's get_save_image_path
// result.
type SaveTarget struct {
	Dir       string // absolute directory to write into (created)
	Filename  string // base name before "_<counter>_.ext"; may hold %batch_num%
	Counter   int    // first free counter
	Subfolder string // relative to the root, '/'-separated, "" for none
}

// ErrSaveOutside is returned for a prefix that would leave the root folder.
var ErrSaveOutside = errors.New("saving outside the output folder is not allowed")

// NewSaveTarget resolves a filename_prefix below root as ComfyUI does
// (spec 8.2): server-side tokens %width%, %height%, %year%, %month%, %day%,
// %hour%, %minute%, %second% (local time); the directory part becomes the
// subfolder; the counter continues after the highest existing
// "<filename>_<digits>" entry.
func NewSaveTarget(root, prefix string, width, height int, now time.Time) (*SaveTarget, error) {
	if strings.Contains(prefix, "%") {
		prefix = expandSaveTokens(prefix, width, height, now)
	}
	if strings.ContainsAny(prefix, "\x00\\") {
		return nil, fmt.Errorf("filename_prefix %q: %w", prefix, ErrSaveOutside)
	}
	clean := path.Clean(prefix)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("filename_prefix %q: %w", prefix, ErrSaveOutside)
	}
	sub, filename := path.Split(clean)
	sub = strings.TrimSuffix(sub, "/")
	dir, err := paths.SafeJoin(root, sub)
	if err != nil {
		return nil, fmt.Errorf("filename_prefix %q: %w", prefix, ErrSaveOutside)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// MkdirAll may have followed a symlink created meanwhile: check again.
	if _, err := paths.SafeJoin(root, sub); err != nil {
		return nil, fmt.Errorf("filename_prefix %q: %w", prefix, ErrSaveOutside)
	}
	counter, err := nextCounter(dir, path.Base(prefix), filename)
	if err != nil {
		return nil, err
	}
	return &SaveTarget{Dir: dir, Filename: filename, Counter: counter, Subfolder: sub}, nil
}

// File returns the name of the i-th file of a batch ("<filename>_00001_.png")
// and its full path.
func (t *SaveTarget) File(batch int, ext string) (name, full string) {
	base := strings.ReplaceAll(t.Filename, "%batch_num%", strconv.Itoa(batch))
	name = fmt.Sprintf("%s_%05d_%s", base, t.Counter+batch, ext)
	return name, filepath.Join(t.Dir, name)
}

func expandSaveTokens(s string, width, height int, now time.Time) string {
	r := strings.NewReplacer(
		"%width%", strconv.Itoa(width),
		"%height%", strconv.Itoa(height),
		"%year%", strconv.Itoa(now.Year()),
		"%month%", fmt.Sprintf("%02d", int(now.Month())),
		"%day%", fmt.Sprintf("%02d", now.Day()),
		"%hour%", fmt.Sprintf("%02d", now.Hour()),
		"%minute%", fmt.Sprintf("%02d", now.Minute()),
		"%second%", fmt.Sprintf("%02d", now.Second()),
	)
	return r.Replace(s)
}

// nextCounter is ComfyUI's counter rule: for each entry, the part after the
// first len(prefixBase)+1 characters up to the next '_' is its number (0 if
// not a number); entries whose first len+1 characters are filename + "_"
// count, and the result is their maximum + 1 (1 when none).
func nextCounter(dir, prefixBase, filename string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	plen := len([]rune(prefixBase))
	best, found := 0, false
	for _, e := range entries {
		name := []rune(e.Name())
		end := min(plen+1, len(name))
		head := string(name[:end])
		if !strings.HasSuffix(head, "_") || head[:len(head)-1] != filename {
			continue
		}
		digits, _, _ := strings.Cut(string(name[end:]), "_")
		n := pythonInt(digits)
		if !found || n > best {
			best, found = n, true
		}
	}
	if !found {
		return 1, nil
	}
	return best + 1, nil
}

// pythonInt parses like Python's int() for the plain cases (surrounding
// spaces, optional sign), returning 0 where int() would raise.
func pythonInt(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}
