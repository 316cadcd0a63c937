package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"comfyd/nodes"
	"comfyd/paths"
)

// uploadForm is a parsed /upload/image or /upload/mask request.
type uploadForm struct {
	Filename    string
	Content     []byte
	Type        string // input (default), temp or output
	Subfolder   string
	Overwrite   bool
	OriginalRef string // /upload/mask only
	HasImage    bool
}

// maxFieldSize bounds the small text fields of an upload form.
const maxFieldSize = 1 << 20

var errUploadForm = errors.New("malformed upload form")

// parseUploadForm reads a multipart upload. The file part may be as large
// as the body limit allows; other fields are small. Unknown fields are
// skipped.
func parseUploadForm(body io.Reader, contentType string) (*uploadForm, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") || params["boundary"] == "" {
		return nil, errUploadForm
	}
	mr := multipart.NewReader(body, params["boundary"])
	form := &uploadForm{Type: "input"}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUploadForm, err)
		}
		name := part.FormName()
		if filename, ok := rawFileName(part); name == "image" && ok {
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", errUploadForm, err)
			}
			form.HasImage = true
			form.Filename = filename
			form.Content = data
			continue
		}
		val, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUploadForm, err)
		}
		if len(val) > maxFieldSize {
			return nil, fmt.Errorf("%w: field %q too large", errUploadForm, name)
		}
		switch name {
		case "type":
			form.Type = string(val)
		case "subfolder":
			form.Subfolder = string(val)
		case "overwrite":
			form.Overwrite = string(val) == "true" || string(val) == "1"
		case "original_ref":
			form.OriginalRef = string(val)
		}
	}
	return form, nil
}

// rawFileName returns a part's filename parameter as sent, and whether it
// has one. Part.FileName would strip directories, hiding "../x.png",
// which must be refused rather than silently renamed.
func rawFileName(p *multipart.Part) (string, bool) {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return "", false
	}
	name, ok := params["filename"]
	return name, ok
}

// uploadTarget resolves where an upload goes and the name it gets:
// without overwrite an existing file with the same content is reused and
// a different one gets " (1)", " (2)", ... before the extension.
func (s *Server) uploadTarget(form *uploadForm) (dir, name string, write bool, status int) {
	if !form.HasImage || form.Filename == "" {
		return "", "", false, http.StatusBadRequest
	}
	switch form.Type {
	case "input", "temp", "output":
	default:
		return "", "", false, http.StatusBadRequest
	}
	if strings.ContainsAny(form.Filename, "/\\") || form.Filename == "." || form.Filename == ".." {
		return "", "", false, http.StatusBadRequest
	}
	root, _ := s.cfg.Folders.Root(form.Type)
	dir, err := paths.SafeJoin(root, form.Subfolder)
	if err != nil {
		return "", "", false, http.StatusBadRequest
	}
	name = form.Filename
	if form.Overwrite {
		return dir, name, true, 0
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	sum := sha256.Sum256(form.Content)
	for i := 1; i <= maxRenames; i++ {
		p, err := paths.SafeJoin(dir, name)
		if err != nil {
			return "", "", false, http.StatusBadRequest
		}
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return dir, name, true, 0
		}
		if err != nil {
			return "", "", false, http.StatusBadRequest // e.g. the subfolder is a file
		}
		if st.Mode().IsRegular() {
			if existing, err := os.ReadFile(p); err == nil && sha256.Sum256(existing) == sum {
				return dir, name, false, 0 // the same file is already there
			}
		}
		name = fmt.Sprintf("%s (%d)%s", stem, i, ext)
	}
	return "", "", false, http.StatusConflict
}

// maxRenames bounds the " (n)" search.
const maxRenames = 100000

func (s *Server) readUploadForm(w http.ResponseWriter, r *http.Request) (*uploadForm, bool) {
	form, err := parseUploadForm(r.Body, r.Header.Get("Content-Type"))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeText(w, http.StatusRequestEntityTooLarge, "upload too large")
		} else {
			writeEmpty(w, http.StatusBadRequest)
		}
		return nil, false
	}
	return form, true
}

// handleUploadImage stores an uploaded file (spec 2.12).
func (s *Server) handleUploadImage(w http.ResponseWriter, r *http.Request) {
	form, ok := s.readUploadForm(w, r)
	if !ok {
		return
	}
	s.saveUpload(w, form, form.Content)
}

// saveUpload writes content at the resolved target and answers.
func (s *Server) saveUpload(w http.ResponseWriter, form *uploadForm, content []byte) {
	dir, name, write, status := s.uploadTarget(form)
	if status != 0 {
		writeEmpty(w, status)
		return
	}
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			writeEmpty(w, http.StatusBadRequest)
			return
		}
		p, err := paths.SafeJoin(dir, name)
		if err != nil {
			writeEmpty(w, http.StatusBadRequest)
			return
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			s.log.Error("writing an upload", "path", p, "err", err)
			writeEmpty(w, http.StatusInternalServerError)
			return
		}
	}
	writeJSON(w, http.StatusOK, UploadResponse{Name: name, Subfolder: form.Subfolder, Type: form.Type})
}

// handleUploadMask stores the original image referenced by original_ref
// with its alpha replaced by the uploaded mask's alpha, keeping the
// original's PNG text chunks (the workflow). Unlike ComfyUI, which answers
// 200 even when the merge fails, every failure is a 400.
func (s *Server) handleUploadMask(w http.ResponseWriter, r *http.Request) {
	form, ok := s.readUploadForm(w, r)
	if !ok {
		return
	}
	var ref struct {
		Filename  string `json:"filename"`
		Subfolder string `json:"subfolder"`
		Type      string `json:"type"`
	}
	if form.OriginalRef == "" || json.Unmarshal([]byte(form.OriginalRef), &ref) != nil || ref.Filename == "" {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	name, dirType := annotatedFilepath(ref.Filename)
	root, err := s.fileRoot(dirType, ref.Type)
	if err != nil {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	origPath, err := paths.SafeJoin(root, ref.Subfolder, name)
	if err != nil {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	orig, err := os.ReadFile(origPath)
	if err != nil {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	merged, err := mergeMaskAlpha(orig, form.Content)
	if err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	s.saveUpload(w, form, merged)
}

// mergeMaskAlpha returns the original image as PNG with the mask's alpha
// channel, carrying over the original's text chunks.
func mergeMaskAlpha(original, mask []byte) ([]byte, error) {
	origImg, _, err := nodes.DecodeImage(original)
	if err != nil {
		return nil, fmt.Errorf("original image: %w", err)
	}
	maskImg, _, err := nodes.DecodeImage(mask)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	if origImg.Bounds().Size() != maskImg.Bounds().Size() {
		return nil, errSizeMismatch
	}
	out := toNRGBA(origImg)
	m := toNRGBA(maskImg)
	b := out.Bounds()
	mb := m.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			oi := out.PixOffset(b.Min.X+x, b.Min.Y+y)
			mi := m.PixOffset(mb.Min.X+x, mb.Min.Y+y)
			out.Pix[oi+3] = m.Pix[mi+3]
		}
	}
	var buf bytes.Buffer
	if err := encodePNG(&buf, out); err != nil {
		return nil, err
	}
	return withTextChunks(buf.Bytes(), textChunks(original))
}
