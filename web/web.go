// Package web holds comfyd's built-in browser UI: plain HTML, CSS and ES
// modules with no build step and no network dependencies, embedded in the
// binary. The server serves FS() at / (Config.WebFS) unless
// --front-end-root points at a ComfyUI frontend build.
package web

import (
	"embed"
	"io/fs"
)

//go:embed ui
var files embed.FS

// FS is the UI's file tree, rooted so that index.html is at the top.
func FS() fs.FS {
	sub, err := fs.Sub(files, "ui")
	if err != nil {
		// fs.Sub only fails on an invalid path name; "ui" is valid.
		panic(err)
	}
	return sub
}
