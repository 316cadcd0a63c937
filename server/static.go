package server

import (
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// fallbackIndex is served at / when no frontend is configured.
const fallbackIndex = `<!doctype html>
<html><head><meta charset="utf-8"><title>comfyd</title></head>
<body><h1>comfyd</h1>
<p>A ComfyUI-compatible backend. No web frontend is bundled in this build;
start comfyd with --front-end-root pointing at a built ComfyUI frontend, or use the API:</p>
<ul>
<li><a href="/api/system_stats">/api/system_stats</a></li>
<li><a href="/api/object_info">/api/object_info</a></li>
<li><a href="/api/queue">/api/queue</a></li>
<li><a href="/api/history">/api/history</a></li>
<li>POST /api/prompt, WebSocket /ws</li>
</ul></body></html>
`

// webRoot is the frontend file system, nil when none.
func (s *Server) webRoot() fs.FS {
	if s.cfg.FrontEndRoot != "" {
		return os.DirFS(s.cfg.FrontEndRoot)
	}
	return s.cfg.WebFS
}

// handleIndex serves index.html without caching (spec 2.1).
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "0")
	root := s.webRoot()
	if root != nil {
		if data, err := fs.ReadFile(root, "index.html"); err == nil {
			h.Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(data)
			return
		}
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(fallbackIndex))
}

// handleStatic serves frontend files. fs.FS refuses "..", absolute and
// backslash names by construction; os.DirFS does follow symlinks placed in
// the frontend directory by its owner.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	root := s.webRoot()
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if root == nil || name == "" {
		http.NotFound(w, r)
		return
	}
	// Files only: no directory listings (aiohttp's static route has none).
	if st, err := fs.Stat(root, name); err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	http.FileServerFS(root).ServeHTTP(w, r)
}
