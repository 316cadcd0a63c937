package nodes

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"comfyd/paths"
)

// AnnotatedPath is ComfyUI's get_annotated_filepath: a name may end in
// " [input]", " [output]" or " [temp]" to pick its folder (defaultType
// otherwise) and may contain '/'-separated subfolders; the result never
// leaves that folder.
func AnnotatedPath(f *paths.Folders, name, defaultType string) (string, error) {
	if f == nil {
		return "", fmt.Errorf("no folders configured")
	}
	typ := defaultType
	for _, t := range []string{"input", "output", "temp"} {
		if suffix := " [" + t + "]"; strings.HasSuffix(name, suffix) {
			name, typ = strings.TrimSuffix(name, suffix), t
			break
		}
	}
	root, err := f.Root(typ)
	if err != nil {
		return "", err
	}
	return paths.SafeJoin(root, name)
}

// AnnotatedFileExists is exists_annotated_filepath.
func AnnotatedFileExists(f *paths.Folders, name, defaultType string) bool {
	p, err := AnnotatedPath(f, name, defaultType)
	if err != nil {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// FileSHA256 is the hex SHA-256 of a file: the IS_CHANGED value of the
// loader nodes.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ListFiles returns the sorted names of the regular files directly in dir
// for which keep returns true (nil keeps all). A missing dir lists nothing.
func ListFiles(dir string, keep func(name string) bool) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			// Follow symlinks to files, as os.path.isfile does.
			if e.Type()&os.ModeSymlink == 0 {
				continue
			}
			st, err := os.Stat(dir + string(os.PathSeparator) + e.Name())
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
		}
		if keep == nil || keep(e.Name()) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// imageExtensions are the endings Python's mimetypes maps to image/*,
// which ComfyUI uses to keep only images in LoadImage's list.
var imageExtensions = map[string]bool{
	".bmp": true, ".gif": true, ".ief": true, ".jpg": true, ".jpe": true, ".jpeg": true,
	".heic": true, ".heif": true, ".png": true, ".svg": true, ".tiff": true, ".tif": true,
	".ico": true, ".ras": true, ".pnm": true, ".pbm": true, ".pgm": true, ".ppm": true,
	".rgb": true, ".xbm": true, ".xpm": true, ".xwd": true, ".webp": true, ".avif": true,
}

// IsImageName reports whether a file name has an image extension.
func IsImageName(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return i >= 0 && imageExtensions[strings.ToLower(name[i:])]
}
