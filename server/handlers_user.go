package server

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"comfyd/paths"
	"comfyd/store"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// defaultUser is the single user of single-user mode; comfyd does not
// implement --multi-user, so Comfy-User is ignored as ComfyUI ignores it
// in that mode.
const defaultUser = "default"

// userRoot is <user dir>/default.
func (s *Server) userRoot() string { return filepath.Join(s.cfg.Folders.User, defaultUser) }

func (s *Server) handleGetUsers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, UsersInfo{Storage: "server", Migrated: true})
}

var usernameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9-_]+`)

// handlePostUsers creates a user: the answer is the JSON string
// "<sanitised name>_<uuid4>".
func (s *Server) handlePostUsers(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
	}
	data, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(data, &body) != nil || body.Username == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "username required"})
		return
	}
	id := usernameUnsafe.ReplaceAllString(body.Username, "-") + "_" + uuid.NewString()
	if err := s.store.AddUser(r.Context(), id, body.Username); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "Duplicate username."})
			return
		}
		writeJSON(w, http.StatusInternalServerError, apiError{Error: err.Error()})
		return
	}
	if dir, err := paths.SafeJoin(s.cfg.Folders.User, id); err == nil {
		_ = os.MkdirAll(dir, 0o755)
	}
	writeJSON(w, http.StatusOK, id)
}

// settings loads the user's settings object ({} when none or corrupt).
func (s *Server) settings(r *http.Request) *orderedObject {
	obj := newOrderedObject()
	data, err := s.store.Settings(r.Context(), defaultUser)
	if err == nil && data != nil {
		if obj.UnmarshalJSON(data) != nil {
			obj = newOrderedObject()
		}
	}
	return obj
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, obj *orderedObject) {
	data, _ := obj.MarshalJSON()
	if err := s.store.SetSettings(r.Context(), defaultUser, data); err != nil {
		writeText(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeEmpty(w, http.StatusOK)
}

func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	data, _ := s.settings(r).MarshalJSON()
	writeRawJSON(w, http.StatusOK, data)
}

func (s *Server) handleGetSetting(w http.ResponseWriter, r *http.Request) {
	raw, ok := s.settings(r).Get(chi.URLParam(r, "id"))
	if !ok {
		raw = json.RawMessage("null")
	}
	writeRawJSON(w, http.StatusOK, raw)
}

// handlePostSettings shallow-merges a JSON object into the settings.
func (s *Server) handlePostSettings(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONObject(r)
	if err != nil {
		bodyError(w, err)
		return
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	obj := s.settings(r)
	for _, k := range body.keys {
		obj.Set(k, body.vals[k])
	}
	s.saveSettings(w, r, obj)
}

// handlePostSetting stores one setting (any JSON value).
func (s *Server) handlePostSetting(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if id == "" {
		writeText(w, http.StatusBadRequest, "setting id required")
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		bodyError(w, err)
		return
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		bodyError(w, err)
		return
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	obj := s.settings(r)
	obj.Set(id, json.RawMessage(data))
	s.saveSettings(w, r, obj)
}

func fileInfo(p, root string) (FileInfo, error) {
	st, err := os.Stat(p)
	if err != nil {
		return FileInfo{}, err
	}
	rel, _ := filepath.Rel(root, p)
	return FileInfo{Path: filepath.ToSlash(rel), Size: st.Size(), Modified: epochSeconds(st.ModTime()), Created: epochSeconds(st.ModTime())}, nil
}

// handleListUserdata lists files of a user directory (spec 2.17).
func (s *Server) handleListUserdata(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dir := q.Get("dir")
	if dir == "" {
		writeText(w, http.StatusBadRequest, "Directory not provided")
		return
	}
	recurse := strings.ToLower(q.Get("recurse")) == "true"
	fullInfo := strings.ToLower(q.Get("full_info")) == "true"
	split := strings.ToLower(q.Get("split")) == "true"
	root, err := paths.SafeJoin(s.userRoot(), dir)
	if err != nil {
		writeText(w, http.StatusForbidden, "Invalid directory")
		return
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		writeText(w, http.StatusNotFound, "Directory not found")
		return
	}
	var files []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") { // glob("*") skips dot names
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !recurse {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if _, err := paths.SafeJoin(root, mustRel(root, p)); err != nil {
				return nil // a link out of the user folder is not listed
			}
		}
		files = append(files, p)
		return nil
	})
	sort.Strings(files)
	var out any
	switch {
	case fullInfo:
		infos := []FileInfo{}
		for _, p := range files {
			if fi, err := fileInfo(p, root); err == nil {
				infos = append(infos, fi)
			}
		}
		out = infos
	case split:
		parts := [][]string{}
		for _, p := range files {
			rel := filepath.ToSlash(mustRel(root, p))
			parts = append(parts, append([]string{rel}, strings.Split(rel, "/")...))
		}
		out = parts
	default:
		rels := []string{}
		for _, p := range files {
			rels = append(rels, filepath.ToSlash(mustRel(root, p)))
		}
		out = rels
	}
	writeJSON(w, http.StatusOK, out)
}

func mustRel(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return rel
}

// handleListUserdataV2 lists a user directory recursively: directories
// first, then files, each by name case-insensitively; paths are relative
// to the user root. A missing user root is an empty list.
func (s *Server) handleListUserdataV2(w http.ResponseWriter, r *http.Request) {
	rel := r.URL.Query().Get("path")
	base := filepath.Clean(s.userRoot())
	root, err := paths.SafeJoin(base, rel)
	if err != nil {
		writeText(w, http.StatusBadRequest, "Invalid path requested")
		return
	}
	st, err := os.Stat(root)
	switch {
	case err != nil && root == base:
		writeJSON(w, http.StatusOK, []UserdataEntry{})
		return
	case err != nil:
		writeText(w, http.StatusNotFound, "Requested path not found")
		return
	case !st.IsDir():
		writeText(w, http.StatusBadRequest, "Requested path is not a directory")
		return
	}
	out := []UserdataEntry{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		relPath := filepath.ToSlash(mustRel(base, p))
		if d.IsDir() {
			out = append(out, UserdataEntry{Name: d.Name(), Path: relPath, Type: "directory"})
			return nil
		}
		e := UserdataEntry{Name: d.Name(), Path: relPath, Type: "file"}
		if st, err := d.Info(); err == nil {
			size, mod := st.Size(), epochSeconds(st.ModTime())
			e.Size, e.Modified = &size, &mod
		}
		out = append(out, e)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Type == "directory") != (out[j].Type == "directory") {
			return out[i].Type == "directory"
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	writeJSON(w, http.StatusOK, out)
}

// userdataPath decodes one escaped path segment ("workflows%2Fa.json")
// into a file below the user root.
func (s *Server) userdataPath(escaped string) (string, int) {
	name, err := url.PathUnescape(escaped)
	if err != nil || name == "" {
		return "", http.StatusBadRequest
	}
	p, err := paths.SafeJoin(s.userRoot(), name)
	if err != nil || p == filepath.Clean(s.userRoot()) {
		return "", http.StatusForbidden
	}
	return p, 0
}

// handleUserdataFile serves GET/POST/DELETE /userdata/{file} and POST
// /userdata/{file}/move/{dest}. It routes on the escaped path: {file} is
// one segment whose "/" arrive as %2F.
func (s *Server) handleUserdataFile(w http.ResponseWriter, r *http.Request) {
	esc := r.URL.EscapedPath()
	i := strings.Index(esc, "/userdata/")
	rest := esc[i+len("/userdata/"):]
	src, dest, isMove := strings.Cut(rest, "/move/")
	if strings.Contains(src, "/") || isMove && strings.Contains(dest, "/") {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	p, status := s.userdataPath(src)
	if status != 0 {
		writeEmpty(w, status)
		return
	}
	switch {
	case isMove && r.Method == http.MethodPost:
		s.moveUserdata(w, r, p, dest)
	case r.Method == http.MethodGet:
		s.serveUserFile(w, r, p)
	case r.Method == http.MethodPost:
		s.writeUserdata(w, r, p)
	case r.Method == http.MethodDelete:
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			writeEmpty(w, http.StatusNotFound)
			return
		}
		if err := os.Remove(p); err != nil {
			writeEmpty(w, http.StatusBadRequest)
			return
		}
		writeEmpty(w, http.StatusNoContent)
	default:
		writeEmpty(w, http.StatusMethodNotAllowed)
	}
}

// userdataAnswer answers a write or move: the relative path as a JSON
// string, or its file info with full_info=true.
func (s *Server) userdataAnswer(w http.ResponseWriter, r *http.Request, p string) {
	if r.URL.Query().Get("full_info") == "true" {
		fi, err := fileInfo(p, s.userRoot())
		if err != nil {
			writeEmpty(w, http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, fi)
		return
	}
	writeJSON(w, http.StatusOK, filepath.ToSlash(mustRel(s.userRoot(), p)))
}

func (s *Server) writeUserdata(w http.ResponseWriter, r *http.Request, p string) {
	overwrite := r.URL.Query().Get("overwrite") != "false"
	if _, err := os.Stat(p); err == nil && !overwrite {
		writeText(w, http.StatusConflict, "File already exists")
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		bodyError(w, err)
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := writeFileAtomic(p, data); err != nil {
		s.log.Warn("saving a user file", "path", p, "err", err)
		writeText(w, http.StatusBadRequest, "Invalid filename. Please avoid special characters like :\\/*?\"<>|")
		return
	}
	s.userdataAnswer(w, r, p)
}

func (s *Server) moveUserdata(w http.ResponseWriter, r *http.Request, src, escDest string) {
	dest, status := s.userdataPath(escDest)
	if status != 0 {
		writeEmpty(w, status)
		return
	}
	if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	overwrite := r.URL.Query().Get("overwrite") != "false"
	if _, err := os.Stat(dest); err == nil && !overwrite {
		writeText(w, http.StatusConflict, "File already exists")
		return
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := os.Rename(src, dest); err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	s.userdataAnswer(w, r, dest)
}

// serveUserFile sends a user file as ComfyUI does: user.css inline as
// text/css, everything else as an attachment with markup and script types
// neutralised, never sniffed, so a stored file cannot run in the UI's
// origin.
func (s *Server) serveUserFile(w http.ResponseWriter, r *http.Request, p string) {
	f, err := os.Open(p)
	if err != nil {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	ctype, disposition := mime.TypeByExtension(strings.ToLower(filepath.Ext(p))), "attachment"
	if p == filepath.Join(s.userRoot(), "user.css") {
		ctype, disposition = "text/css", "inline"
	} else if base, _, _ := strings.Cut(ctype, ";"); ctype == "" || unsafeTypes[base] {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", disposition)
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// writeFileAtomic writes through a temporary file renamed into place, so
// a crash never leaves a half-written workflow.
func writeFileAtomic(p string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
