package web

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	// src="…" and href="…" in index.html.
	htmlRef = regexp.MustCompile(`(?:src|href)="([^"#?]+)"`)
	// Static imports/re-exports and dynamic import() of a module.
	jsImport = regexp.MustCompile(`(?m)(?:^\s*(?:import|export)\b[^;]*?\bfrom\s*|^\s*import\s*|\bimport\()\s*"([^"]+)"`)
	// Assets a module fetches relative to the page.
	jsAsset = regexp.MustCompile(`new URL\("([^"$]+)", document\.baseURI\)`)
)

// references walks index.html and every module it reaches and returns
// every local file referenced, mapped to the file that referenced it.
func references(t *testing.T, root fs.FS) map[string]string {
	t.Helper()
	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	refs := map[string]string{}
	var modules []string
	for _, m := range htmlRef.FindAllSubmatch(index, -1) {
		ref := string(m[1])
		if strings.Contains(ref, "://") {
			t.Errorf("index.html references %q: the UI must not load anything from the network", ref)
			continue
		}
		name := path.Clean(ref)
		refs[name] = "index.html"
		if strings.HasSuffix(name, ".js") {
			modules = append(modules, name)
		}
	}
	seen := map[string]bool{}
	for len(modules) > 0 {
		mod := modules[0]
		modules = modules[1:]
		if seen[mod] {
			continue
		}
		seen[mod] = true
		src, err := fs.ReadFile(root, mod)
		if err != nil {
			continue // reported as missing by the caller
		}
		for _, m := range jsImport.FindAllSubmatch(src, -1) {
			spec := string(m[1])
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: only relative module paths work without a bundler", mod, spec)
				continue
			}
			name := path.Join(path.Dir(mod), spec)
			refs[name] = mod
			modules = append(modules, name)
		}
		for _, m := range jsAsset.FindAllSubmatch(src, -1) {
			if ref := string(m[1]); !strings.HasPrefix(ref, "api/") {
				refs[path.Clean(ref)] = mod
			}
		}
	}
	return refs
}

func TestEveryReferencedFileIsEmbedded(t *testing.T) {
	root := FS()
	refs := references(t, root)
	for _, want := range []string{"js/app.js", "style.css", "workflows/default_t2i.api.json"} {
		if _, ok := refs[want]; !ok {
			t.Errorf("%s is not reachable from index.html", want)
		}
	}
	for name, from := range refs {
		if _, err := fs.Stat(root, name); err != nil {
			t.Errorf("%s references %s, which is not embedded: %v", from, name, err)
		}
	}
}

// TestNoUnreachableModules keeps dead modules out of the binary.
func TestNoUnreachableModules(t *testing.T) {
	root := FS()
	refs := references(t, root)
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(name, ".js") {
			if _, ok := refs[name]; !ok {
				t.Errorf("%s is embedded but nothing imports it", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReferenceScannerFindsImports guards the regular expressions above:
// a scanner that matched nothing would make the tests pass vacuously.
func TestReferenceScannerFindsImports(t *testing.T) {
	src := `import { a } from "./a.js";
import "./side.js";
export { b } from "../b.js";
import {
  c,
  d,
} from "./multi.js";
const m = await import("./lazy.js");
const u = new URL("data/x.json", document.baseURI);
const v = new URL("api/view", document.baseURI);
`
	var got []string
	for _, m := range jsImport.FindAllStringSubmatch(src, -1) {
		got = append(got, m[1])
	}
	want := []string{"./a.js", "./side.js", "../b.js", "./multi.js", "./lazy.js"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("imports = %q, want %q", got, want)
	}
	assets := jsAsset.FindAllStringSubmatch(src, -1)
	if len(assets) != 2 || assets[0][1] != "data/x.json" {
		t.Errorf("assets = %q", assets)
	}
}

// TestDefaultWorkflowIsTheTestdataOne: the built-in workflow is the
// repository's reference copy, byte for byte.
func TestDefaultWorkflowIsTheTestdataOne(t *testing.T) {
	want, err := os.ReadFile("../testdata/workflows/default_t2i.api.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(FS(), "workflows/default_t2i.api.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("web/ui/workflows/default_t2i.api.json differs from testdata/workflows/default_t2i.api.json")
	}
}
