package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"comfyd/nodes"
)

// keysOf returns the sorted keys of a JSON object, or nil.
func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func testRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	reg.Register(&nodes.Class{
		Name: "TestSampler", Category: "sampling", Description: "d",
		Required: []nodes.Input{
			{Name: "seed", Type: "INT", Options: nodes.Options{"default": 0, "min": 0, "max": uint64(18446744073709551615)}},
			{Name: "model", Type: "MODEL"},
			{Name: "sampler_name", Choices: []any{"euler", "ddim"}},
		},
		Optional: []nodes.Input{{Name: "denoise", Type: "FLOAT", Options: nodes.Options{"default": 1.0}}},
		Hidden:   []nodes.Hidden{{Name: "prompt", Type: "PROMPT"}},
		Outputs:  []nodes.Output{{Type: "LATENT", Tooltip: "The denoised latent."}},
		Run:      func(*nodes.Context, nodes.Inputs) (nodes.Result, error) { return nodes.Result{}, nil },
	})
	return reg
}

// TestRouteShapes walks the spec's route table: every route answers at
// /X and /api/X with the status and JSON shape of the spec's examples.
func TestRouteShapes(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Registry = testRegistry() })
	// Some content to list.
	emb := filepath.Join(ts.dir, "models", "embeddings", "tiny.safetensors")
	if err := os.WriteFile(emb, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts.dir, "input", "a.png"), tinyPNG(t, 2, 2, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonEq := func(want string) func(*testing.T, []byte) {
		return func(t *testing.T, body []byte) {
			t.Helper()
			var g, w any
			if err := json.Unmarshal(body, &g); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			_ = json.Unmarshal([]byte(want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("body %s, want %s", body, want)
			}
		}
	}
	hasKeys := func(want ...string) func(*testing.T, []byte) {
		return func(t *testing.T, body []byte) {
			t.Helper()
			sort.Strings(want)
			if got := keysOf(t, body); !reflect.DeepEqual(got, want) {
				t.Errorf("keys %v, want %v (%s)", got, want, body)
			}
		}
	}
	empty := func(t *testing.T, body []byte) {
		t.Helper()
		if len(body) != 0 {
			t.Errorf("body %q, want empty", body)
		}
	}
	cases := []struct {
		method, path, body string
		status             int
		check              func(*testing.T, []byte)
	}{
		{"GET", "/prompt", "", 200, jsonEq(`{"exec_info": {"queue_remaining": 0}}`)},
		{"POST", "/prompt", `{}`, 400, jsonEq(`{"error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}}, "node_errors": {}}`)},
		{"POST", "/prompt", `{"prompt": {"1": {"class_type": "Bad", "inputs": {}}}}`, 400, hasKeys("error", "node_errors")},
		{"POST", "/prompt", `not json`, 400, hasKeys("error", "node_errors")},
		{"POST", "/prompt", `{"number": "nan", "prompt": {}}`, 400, hasKeys("error", "node_errors")},
		{"GET", "/queue", "", 200, jsonEq(`{"queue_running": [], "queue_pending": []}`)},
		{"POST", "/queue", `{"clear": true}`, 200, empty},
		{"POST", "/queue", `{"delete": ["x"]}`, 200, empty},
		{"GET", "/history", "", 200, jsonEq(`{}`)},
		{"GET", "/history?max_items=200", "", 200, jsonEq(`{}`)},
		{"GET", "/history?max_items=x", "", 400, nil},
		{"GET", "/history/unknown", "", 200, jsonEq(`{}`)},
		{"POST", "/history", `{"clear": true}`, 200, empty},
		{"POST", "/history", `{"delete": ["x"]}`, 200, empty},
		{"GET", "/jobs?status=in_progress,pending&limit=200&offset=0", "", 200, jsonEq(`{"jobs": [], "pagination": {"offset": 0, "limit": 200, "total": 0, "has_more": false}}`)},
		{"GET", "/jobs", "", 200, jsonEq(`{"jobs": [], "pagination": {"offset": 0, "limit": null, "total": 0, "has_more": false}}`)},
		{"GET", "/jobs?status=bogus", "", 400, jsonEq(`{"error": "Invalid status value(s): bogus. Valid values: pending, in_progress, completed, failed, cancelled"}`)},
		{"GET", "/jobs?sort_by=x", "", 400, jsonEq(`{"error": "sort_by must be 'created_at' or 'execution_duration'"}`)},
		{"GET", "/jobs?sort_order=x", "", 400, jsonEq(`{"error": "sort_order must be 'asc' or 'desc'"}`)},
		{"GET", "/jobs?limit=0", "", 400, jsonEq(`{"error": "limit must be a positive integer"}`)},
		{"GET", "/jobs?limit=a", "", 400, jsonEq(`{"error": "limit must be an integer"}`)},
		{"GET", "/jobs?offset=a", "", 400, jsonEq(`{"error": "offset must be an integer"}`)},
		{"GET", "/jobs/unknown", "", 404, hasKeys("error")},
		{"GET", "/jobs/", "", 400, jsonEq(`{"error": "job_id is required"}`)},
		{"POST", "/jobs/unknown/cancel", "", 200, jsonEq(`{"cancelled": false}`)},
		{"POST", "/jobs/cancel", `{"job_ids": ["a"]}`, 200, jsonEq(`{"cancelled": false}`)},
		{"POST", "/interrupt", "", 200, empty},
		{"POST", "/interrupt", `{"prompt_id": "x"}`, 200, empty},
		{"POST", "/free", `{"unload_models": true, "free_memory": true}`, 200, empty},
		{"GET", "/object_info", "", 200, hasKeys("TestSampler")},
		{"GET", "/object_info/TestSampler", "", 200, hasKeys("TestSampler")},
		{"GET", "/object_info/Nope", "", 200, jsonEq(`{}`)},
		{"GET", "/view", "", 404, empty},
		{"GET", "/view?filename=a.png&type=input", "", 200, nil},
		{"GET", "/view?filename=a.png&type=bogus", "", 400, empty},
		{"GET", "/view?filename=missing.png", "", 404, empty},
		{"GET", "/view_metadata/checkpoints?filename=x.safetensors", "", 404, empty},
		{"POST", "/upload/image", "", 400, empty},
		{"POST", "/upload/mask", "", 400, empty},
		{"GET", "/system_stats", "", 200, hasKeys("system", "devices")},
		{"GET", "/features", "", 200, jsonEq(`{"supports_preview_metadata": true, "max_upload_size": 104857600}`)},
		{"GET", "/embeddings", "", 200, jsonEq(`["tiny"]`)},
		{"GET", "/extensions", "", 200, jsonEq(`[]`)},
		{"GET", "/models/embeddings", "", 200, jsonEq(`["tiny.safetensors"]`)},
		{"GET", "/models/nope", "", 404, empty},
		{"GET", "/experiment/models/nope", "", 404, empty},
		{"GET", "/experiment/models/preview/checkpoints/0/x.safetensors", "", 404, empty},
		{"GET", "/users", "", 200, jsonEq(`{"storage": "server", "migrated": true}`)},
		{"GET", "/settings", "", 200, jsonEq(`{}`)},
		{"GET", "/settings/Comfy.Unknown", "", 200, jsonEq(`null`)},
		{"GET", "/userdata?dir=workflows&recurse=true&split=false&full_info=true", "", 404, nil},
		{"GET", "/userdata", "", 400, nil},
		{"GET", "/v2/userdata?path=", "", 200, jsonEq(`[]`)},
		{"GET", "/userdata/user.css", "", 404, empty},
		{"GET", "/workflow_templates", "", 200, jsonEq(`{}`)},
		{"GET", "/i18n", "", 200, jsonEq(`{}`)},
		{"GET", "/global_subgraphs", "", 200, jsonEq(`{}`)},
		{"GET", "/global_subgraphs/abc", "", 200, jsonEq(`null`)},
		{"GET", "/node_replacements", "", 200, jsonEq(`{}`)},
	}
	for _, c := range cases {
		for _, prefix := range []string{"", "/api"} {
			code, _, body := ts.do(t, c.method, prefix+c.path, strings.NewReader(c.body), nil)
			if code != c.status {
				t.Errorf("%s %s%s: status %d, want %d (%s)", c.method, prefix, c.path, code, c.status, body)
				continue
			}
			if c.check != nil {
				t.Run(c.method+prefix+c.path, func(t *testing.T) { c.check(t, body) })
			}
		}
	}

	models := []string{"/models", "/experiment/models", "/internal/folder_paths"}
	for _, p := range models {
		code, body := ts.get(t, p)
		if code != 200 || !strings.Contains(string(body), "checkpoints") {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	// /internal/* has no /api twin.
	internal := []struct {
		method, path string
		status       int
	}{
		{"GET", "/internal/logs", 200}, {"GET", "/internal/logs/raw", 200},
		{"PATCH", "/internal/logs/subscribe", 200}, {"GET", "/internal/files/input", 200},
		{"GET", "/internal/files/models", 400},
	}
	for _, c := range internal {
		code, _, body := ts.do(t, c.method, c.path, strings.NewReader(`{"enabled": true, "clientId": "x"}`), nil)
		if code != c.status {
			t.Errorf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}
	if _, body := ts.get(t, "/internal/files/input"); string(body) != `["a.png"]` {
		t.Errorf("/internal/files/input: %s", body)
	}
	if _, body := ts.get(t, "/internal/files/models"); string(body) != `{"error":"Invalid directory type"}` {
		t.Errorf("/internal/files/models: %s", body)
	}
	if code, _ := ts.get(t, "/api/internal/logs"); code == 200 {
		t.Errorf("/api/internal/logs should not exist")
	}
	// The index page answers without caching.
	code, hdr, body := ts.do(t, "GET", "/", nil, nil)
	if code != 200 || hdr.Get("Cache-Control") != "no-cache" || hdr.Get("Pragma") != "no-cache" || hdr.Get("Expires") != "0" || !strings.Contains(string(body), "/api/object_info") {
		t.Errorf("index: %d %v", code, hdr)
	}
}

// TestObjectInfoOrder: input groups keep declaration order and seeds keep
// all their digits.
func TestObjectInfoOrder(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Registry = testRegistry() })
	_, body := ts.get(t, "/api/object_info/TestSampler")
	s := string(body)
	// The node framework owns the other keys; the server owns the order
	// of the input groups and names, and the exact seed digits.
	want := `{"TestSampler":{"input":{"required":{"seed":["INT",{"default":0,"max":18446744073709551615,"min":0}],"model":["MODEL"],"sampler_name":[["euler","ddim"]]},"optional":{"denoise":["FLOAT",{"default":1}]},"hidden":{"prompt":"PROMPT"}},"input_order":{"required":["seed","model","sampler_name"],"optional":["denoise"],"hidden":["prompt"]},`
	if !strings.HasPrefix(s, want) {
		t.Errorf("object_info\n got %s\nwant prefix %s", s, want)
	}
}

// TestStaticFrontend serves files of the web root, index.html at / and no
// directory listings.
func TestStaticFrontend(t *testing.T) {
	web := fstest.MapFS{
		"index.html":           {Data: []byte("<html>comfy</html>")},
		"assets/app.js":        {Data: []byte("console.log(1)")},
		"templates/index.json": {Data: []byte("[]")},
	}
	ts := newTestServer(t, func(c *Config) { c.WebFS = web })
	if code, body := ts.get(t, "/"); code != 200 || string(body) != "<html>comfy</html>" {
		t.Errorf("/: %d %s", code, body)
	}
	code, hdr, body := ts.do(t, "GET", "/assets/app.js", nil, nil)
	if code != 200 || string(body) != "console.log(1)" || hdr.Get("Cache-Control") != "no-cache" || !strings.Contains(hdr.Get("Content-Type"), "javascript") {
		t.Errorf("app.js: %d %v", code, hdr)
	}
	for _, p := range []string{"/assets/", "/assets", "/missing.js", "/../secret"} {
		if code, _ := ts.get(t, p); code != 404 {
			t.Errorf("%s: %d", p, code)
		}
	}
	if _, body := ts.get(t, "/api/extensions"); string(body) != "[]" {
		t.Errorf("extensions %s", body)
	}
}
