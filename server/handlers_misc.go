package server

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"
)

// handleEmptyObject answers {} for the custom-node routes comfyd has no
// content for (workflow_templates, i18n, global_subgraphs,
// node_replacements): there are no custom node packs.
func (s *Server) handleEmptyObject(w http.ResponseWriter, r *http.Request) {
	writeRawJSON(w, http.StatusOK, []byte("{}"))
}

// handleNull answers null (an unknown global subgraph).
func (s *Server) handleNull(w http.ResponseWriter, r *http.Request) {
	writeRawJSON(w, http.StatusOK, []byte("null"))
}

// handleLogs answers the buffered log as one JSON string.
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	var sb strings.Builder
	for _, e := range s.logs.snapshot() {
		sb.WriteString(e.T + " - " + e.M)
	}
	writeJSON(w, http.StatusOK, sb.String())
}

func (s *Server) handleLogsRaw(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, LogsRaw{Entries: s.logs.snapshot(), Size: TermSize{Cols: 80, Rows: 24}})
}

// handleLogsSubscribe turns log messages on or off for a socket.
func (s *Server) handleLogsSubscribe(w http.ResponseWriter, r *http.Request) {
	body, err := readJSONObject(r)
	if err != nil {
		bodyError(w, err)
		return
	}
	var sid string
	var enabled bool
	if raw, ok := body.Get("clientId"); ok {
		_ = jsonUnmarshal(raw, &sid)
	}
	if raw, ok := body.Get("enabled"); ok {
		enabled = isTruthyJSON(raw)
	}
	s.hub.setLogs(sid, enabled)
	writeEmpty(w, http.StatusOK)
}

// handleFolderPaths maps every model kind to its absolute directories.
func (s *Server) handleFolderPaths(w http.ResponseWriter, r *http.Request) {
	out := newOrderedObject()
	for _, k := range s.modelKinds() {
		dirs := []string{}
		for _, d := range s.cfg.Folders.ModelDirs(k) {
			if a, err := filepath.Abs(d); err == nil {
				dirs = append(dirs, a)
			}
		}
		out.SetValue(k, dirs)
	}
	data, _ := out.MarshalJSON()
	writeRawJSON(w, http.StatusOK, data)
}

// handleInternalFiles lists the regular, non-dot files at the top of
// output/input/temp, newest first.
func (s *Server) handleInternalFiles(w http.ResponseWriter, r *http.Request) {
	typ := chi.URLParam(r, "directory_type")
	if typ != "output" && typ != "input" && typ != "temp" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "Invalid directory type"})
		return
	}
	root, _ := s.cfg.Folders.Root(typ)
	entries, _ := os.ReadDir(root)
	type file struct {
		name string
		mod  int64
	}
	var files []file
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		if st, err := e.Info(); err == nil {
			files = append(files, file{e.Name(), st.ModTime().UnixNano()})
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].mod > files[j].mod })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.name
	}
	writeJSON(w, http.StatusOK, out)
}
