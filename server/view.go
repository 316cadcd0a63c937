package server

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"comfyd/nodes"
	"comfyd/paths"
)

// annotatedFilepath splits "name [output]" style names (ComfyUI's
// folder_paths.annotated_filepath): the tag selects the folder type.
func annotatedFilepath(name string) (string, string) {
	for _, t := range []string{"output", "input", "temp"} {
		if suffix := " [" + t + "]"; strings.HasSuffix(name, suffix) {
			return strings.TrimSuffix(name, suffix), t
		}
	}
	return name, ""
}

// fileRoot is the folder of a file reference: the type its name was
// annotated with, else the type the request gives, else "output".
func (s *Server) fileRoot(annotated, requested string) (string, error) {
	typ := annotated
	if typ == "" {
		typ = requested
		if typ == "" {
			typ = "output"
		}
	}
	return s.cfg.Folders.Root(typ)
}

// lenientQuery parses a query string as aiohttp does: only "&" separates
// parameters, so the frontend's "preview=webp;50" keeps its ";" (Go's
// url.ParseQuery drops such pairs). Badly escaped parts are kept raw.
func lenientQuery(raw string) url.Values {
	out := url.Values{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out.Add(k, v)
	}
	return out
}

// unsafeTypes are served as application/octet-stream so an uploaded file
// cannot run script in the UI's origin.
var unsafeTypes = map[string]bool{
	"text/html": true, "text/html-sandboxed": true, "application/xhtml+xml": true,
	"text/javascript": true, "text/css": true, "image/svg+xml": true,
	"application/xml": true, "text/xml": true, "application/javascript": true,
}

// handleView serves a file of output/input/temp (spec 2.11).
func (s *Server) handleView(w http.ResponseWriter, r *http.Request) {
	q := lenientQuery(r.URL.RawQuery)
	if !q.Has("filename") {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	name, dirType := annotatedFilepath(q.Get("filename"))
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	root, err := s.fileRoot(dirType, q.Get("type"))
	if err != nil {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	file, err := paths.SafeJoin(root, q.Get("subfolder"), base)
	if err != nil {
		writeEmpty(w, http.StatusForbidden)
		return
	}
	st, err := os.Stat(file)
	if err != nil || !st.Mode().IsRegular() {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Disposition", `filename="`+strings.ReplaceAll(base, `"`, `\"`)+`"`)
	channel := q.Get("channel")
	if q.Has("preview") {
		s.servePreview(w, file, base, q.Get("preview"), channel)
		return
	}
	if channel == "rgb" || channel == "a" {
		s.serveChannel(w, file, channel)
		return
	}
	ctype := mime.TypeByExtension(strings.ToLower(filepath.Ext(base)))
	if i := strings.IndexByte(ctype, ';'); i >= 0 {
		ctype = ctype[:i]
	}
	if ctype == "" || unsafeTypes[ctype] {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	f, err := os.Open(file)
	if err != nil {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// decodeViewImage decodes file for a /view conversion, answering the
// request itself when it cannot: 404 when the file cannot be read, 400
// naming the problem when it is not an image comfyd decodes or declares
// more pixels than the decoder's bomb guard allows.
func decodeViewImage(w http.ResponseWriter, file string) (image.Image, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		writeEmpty(w, http.StatusNotFound)
		return nil, false
	}
	img, _, err := nodes.DecodeImage(data)
	if err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return img, true
}

// servePreview re-encodes an image for thumbnails. ComfyUI answers WebP by
// default; comfyd has no WebP encoder, so it answers JPEG where ComfyUI
// would send opaque WebP and PNG where the alpha channel is kept. The
// Content-Type says which, and browsers display either.
func (s *Server) servePreview(w http.ResponseWriter, file, base, preview, channel string) {
	img, ok := decodeViewImage(w, file)
	if !ok {
		return
	}
	parts := strings.Split(preview, ";")
	format := parts[0]
	if format != "webp" && format != "jpeg" || strings.Contains(channel, "a") {
		format = "webp"
	}
	quality := 90
	if len(parts) > 1 {
		if q, err := strconv.Atoi(parts[len(parts)-1]); err == nil {
			quality = min(max(q, 1), 100)
		}
	}
	var buf bytes.Buffer
	var err error
	sent := "jpeg"
	if format == "webp" && channel != "rgb" && !opaque(img) {
		sent = "png"
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, dropAlpha(img), &jpeg.Options{Quality: quality})
	}
	w.Header().Set("Content-Type", "image/"+sent)
	// As upstream: the name's "png" replaced by the sent format.
	w.Header().Set("Content-Disposition", `filename="`+strings.ReplaceAll(strings.ReplaceAll(base, "png", sent), `"`, `\"`)+`"`)
	if err != nil {
		writeEmpty(w, http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// serveChannel answers channel=rgb (alpha dropped) or channel=a (RGB zero,
// alpha kept; 255 without alpha) as PNG.
func (s *Server) serveChannel(w http.ResponseWriter, file, channel string) {
	img, ok := decodeViewImage(w, file)
	if !ok {
		return
	}
	var out image.Image
	if channel == "rgb" {
		out = dropAlpha(img)
	} else {
		out = alphaOnly(img)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		writeEmpty(w, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(buf.Bytes())
}

// dropAlpha converts to opaque RGB as PIL's convert("RGB"): the colour
// channels are kept as stored (not composited over a background).
func dropAlpha(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out.Set(x, y, color.RGBA{c.R, c.G, c.B, 255})
		}
	}
	return out
}

// alphaOnly keeps the alpha channel with black colour.
func alphaOnly(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out.SetNRGBA(x, y, color.NRGBA{0, 0, 0, c.A})
		}
	}
	return out
}

// opaque reports whether an image has no alpha channel (or is fully
// opaque, which image.Image can tell for the standard types).
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// toNRGBA copies an image into non-premultiplied RGBA.
func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok {
		return n
	}
	out := image.NewNRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

var errSizeMismatch = errors.New("the mask and the original image differ in size")
