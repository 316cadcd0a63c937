package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"comfyd/nodes"
	"comfyd/paths"

	"github.com/go-chi/chi/v5"
)

// objectInfoJSON encodes one class with its input groups and names in
// declaration order (Go maps would sort them; older UIs read the order).
func objectInfoJSON(info *nodes.NodeInfo) (json.RawMessage, error) {
	raw, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	obj := newOrderedObject()
	if err := obj.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	groups, order := newOrderedObject(), newOrderedObject()
	for _, g := range []string{"required", "optional", "hidden"} {
		specs, ok := info.Input[g]
		if !ok {
			continue
		}
		group := newOrderedObject()
		for _, name := range info.InputOrder[g] {
			if spec, ok := specs[name]; ok {
				group.SetValue(name, spec)
			}
		}
		graw, _ := group.MarshalJSON()
		groups.Set(g, graw)
		order.SetValue(g, info.InputOrder[g])
	}
	in, _ := groups.MarshalJSON()
	obj.Set("input", in)
	ord, _ := order.MarshalJSON()
	obj.Set("input_order", ord)
	return obj.MarshalJSON()
}

func (s *Server) handleObjectInfo(w http.ResponseWriter, r *http.Request) {
	all := newOrderedObject()
	for _, name := range s.cfg.Registry.Names() {
		c, _ := s.cfg.Registry.Get(name)
		raw, err := s.classInfo(c)
		if err != nil {
			s.log.Error("object_info: omitting a class", "class", name, "err", err)
			continue
		}
		all.Set(name, raw)
	}
	data, _ := all.MarshalJSON()
	writeRawJSON(w, http.StatusOK, data)
}

// classInfo renders one class, turning a panic in a ChoicesFunc into an
// error so one broken class does not break /object_info.
func (s *Server) classInfo(c *nodes.Class) (raw json.RawMessage, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{v}
		}
	}()
	return objectInfoJSON(c.Info(s.cfg.Env))
}

type panicError struct{ v any }

func (p *panicError) Error() string { return "panic: " + strings.TrimSpace(fmtAny(p.v)) }

func fmtAny(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

func (s *Server) handleObjectInfoClass(w http.ResponseWriter, r *http.Request) {
	// chi takes the parameter from the raw path when it holds an escaped
	// '/', as Inspire's "KSampler //Inspire" does: unescape it ourselves.
	name := chi.URLParam(r, "node_class")
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	c, ok := s.cfg.Registry.Get(name)
	if !ok {
		writeRawJSON(w, http.StatusOK, []byte("{}"))
		return
	}
	raw, err := s.classInfo(c)
	if err != nil {
		writeRawJSON(w, http.StatusOK, []byte("{}"))
		return
	}
	out := newOrderedObject()
	out.Set(name, raw)
	data, _ := out.MarshalJSON()
	writeRawJSON(w, http.StatusOK, data)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	names := []string{}
	for _, f := range s.cfg.Folders.ListModels("embeddings") {
		names = append(names, strings.TrimSuffix(f, filepath.Ext(f)))
	}
	writeJSON(w, http.StatusOK, names)
}

// handleExtensions lists .js files under the web root's extensions/ (the
// core frontend bundles its own extensions, so usually []).
func (s *Server) handleExtensions(w http.ResponseWriter, r *http.Request) {
	out := []string{}
	if root := s.webRoot(); root != nil {
		_ = fs.WalkDir(root, "extensions", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
				out = append(out, "/"+p)
			}
			return nil
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// modelKinds lists folder keys: ComfyUI's registration order first, then
// kinds added by extra_model_paths.yaml.
func (s *Server) modelKinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range paths.ModelKinds {
		seen[k] = true
		out = append(out, k)
	}
	for _, k := range s.cfg.Folders.ModelKindsWithDirs() {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) knownKind(kind string) bool {
	for _, k := range s.modelKinds() {
		if k == kind {
			return true
		}
	}
	return false
}

func (s *Server) handleModelKinds(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.modelKinds())
}

// listModels lists a kind's files (configs: .yaml files).
func (s *Server) listModels(kind string) []string {
	if kind != "configs" {
		return s.cfg.Folders.ListModels(kind)
	}
	var out []string
	for _, dir := range s.cfg.Folders.ModelDirs(kind) {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".yaml") {
				rel, _ := filepath.Rel(dir, p)
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	kind := chi.URLParam(r, "folder")
	if !s.knownKind(kind) {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	out := s.listModels(kind)
	if out == nil {
		out = []string{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleExperimentModelKinds(w http.ResponseWriter, r *http.Request) {
	out := []ModelFolder{}
	for _, k := range s.modelKinds() {
		if k == "configs" || k == "custom_nodes" {
			continue
		}
		dirs := s.cfg.Folders.ModelDirs(k)
		abs := make([]string, 0, len(dirs))
		for _, d := range dirs {
			if a, err := filepath.Abs(d); err == nil {
				abs = append(abs, a)
			}
		}
		out = append(out, ModelFolder{Name: k, Folders: abs})
	}
	writeJSON(w, http.StatusOK, out)
}

func epochSeconds(t interface{ UnixNano() int64 }) float64 { return float64(t.UnixNano()) / 1e9 }

// handleExperimentModels lists a kind's files with their folder index and
// stat figures (dot files and directories skipped).
func (s *Server) handleExperimentModels(w http.ResponseWriter, r *http.Request) {
	kind := chi.URLParam(r, "folder")
	if !s.knownKind(kind) || kind == "configs" {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	out := []ModelFile{}
	for i, dir := range s.cfg.Folders.ModelDirs(kind) {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && p != dir {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !hasExt(d.Name(), paths.ModelExtensions) {
				return nil
			}
			st, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			out = append(out, ModelFile{Name: filepath.ToSlash(rel), PathIndex: i,
				Modified: epochSeconds(st.ModTime()), Created: epochSeconds(st.ModTime()), Size: st.Size()})
			return nil
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func hasExt(name string, exts []string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range exts {
		if ext == e {
			return true
		}
	}
	return false
}

// handleModelPreview serves an existing <model>.webp or <model>.preview.webp
// next to the model. comfyd has no WebP encoder, so PNG/JPEG previews and
// safetensors covers are not converted: 404 as for a model without one.
func (s *Server) handleModelPreview(w http.ResponseWriter, r *http.Request) {
	kind := chi.URLParam(r, "folder")
	idx, err := strconv.Atoi(chi.URLParam(r, "path_index"))
	dirs := s.cfg.Folders.ModelDirs(kind)
	if err != nil || idx < 0 || idx >= len(dirs) {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	name := chi.URLParam(r, "*")
	base := strings.TrimSuffix(name, filepath.Ext(name))
	for _, cand := range []string{base + ".webp", base + ".preview.webp"} {
		p, err := paths.SafeJoin(dirs[idx], cand)
		if err != nil {
			writeEmpty(w, http.StatusNotFound)
			return
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			w.Header().Set("Content-Type", "image/webp")
			http.ServeFile(w, r, p)
			return
		}
	}
	writeEmpty(w, http.StatusNotFound)
}

// maxSafetensorsHeader bounds the header /view_metadata reads.
const maxSafetensorsHeader = 1 << 20

// handleViewMetadata returns a safetensors file's __metadata__ (spec 2.13).
func (s *Server) handleViewMetadata(w http.ResponseWriter, r *http.Request) {
	kind := chi.URLParam(r, "folder_name")
	name := r.URL.Query().Get("filename")
	if !strings.HasSuffix(name, ".safetensors") {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	p, err := s.cfg.Folders.ModelPath(kind, name)
	if err != nil {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	meta, err := safetensorsMetadata(p)
	if err != nil || meta == nil {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	writeRawJSON(w, http.StatusOK, meta)
}

// safetensorsMetadata reads the __metadata__ object of a safetensors file.
func safetensorsMetadata(path string) (json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var n uint64
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	if n > maxSafetensorsHeader {
		return nil, io.ErrUnexpectedEOF
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, err
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimRight(head, " "), &header); err != nil {
		return nil, err
	}
	return header["__metadata__"], nil
}
