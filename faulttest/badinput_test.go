package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"comfyd/internal/comfyclient"
)

// maxUploadMB is the --max-upload-size the bad-input server runs with.
const maxUploadMB = 1

// badCase is one hostile request; every one must get a 4xx (never a 500,
// never a crash), and /prompt answers must have ComfyUI's error shape.
type badCase struct {
	name   string
	method string
	path   string
	ctype  string
	body   func() io.Reader
	want   int    // exact status; 0 = any 4xx
	shape  bool   // {"error": {type, message, details, extra_info}, "node_errors": {...}}
	errTyp string // expected error.type ("" = any)
}

func jsonBody(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }

// promptWith is the default workflow with one input replaced, as JSON.
func promptWith(node, input string, v any) func() io.Reader {
	wf := workflow(4, 1)
	wf.Inputs(node)[input] = v
	return promptBody(wf)
}

func promptBody(wf any) func() io.Reader {
	data, err := json.Marshal(map[string]any{"prompt": wf})
	if err != nil {
		panic(err)
	}
	return jsonBody(string(data))
}

// rawPromptWith splices raw JSON (e.g. a number JSON cannot hold in a
// float64) in place of an input value.
func rawPromptWith(node, input, raw string) func() io.Reader {
	wf := workflow(4, 1)
	wf.Inputs(node)[input] = "@@RAW@@"
	data, _ := json.Marshal(map[string]any{"prompt": wf})
	return jsonBody(strings.Replace(string(data), `"@@RAW@@"`, raw, 1))
}

func promptCases() []badCase {
	p := func(name string, body func() io.Reader, errTyp string) badCase {
		return badCase{name: name, method: "POST", path: "/prompt", ctype: "application/json", body: body, want: 400, shape: true, errTyp: errTyp}
	}
	failed := "prompt_outputs_failed_validation"
	cycle := workflow(4, 1)
	cycle["10"] = map[string]any{"class_type": "VAEEncode", "inputs": map[string]any{"pixels": []any{"8", 0}, "vae": []any{"4", 2}}}
	cycle.Inputs("8")["samples"] = []any{"10", 0}
	nested := func() io.Reader {
		const depth = 200000 // 400 kB: under the 1 MB body limit
		return io.MultiReader(strings.NewReader(`{"prompt": {"1": {"class_type": "KSampler", "inputs": {"seed": `),
			strings.NewReader(strings.Repeat("[", depth)), strings.NewReader(strings.Repeat("]", depth)), strings.NewReader(`}}}}`))
	}
	nestedObj := func() io.Reader {
		const depth = 150000 // 750 kB: under the 1 MB body limit
		return io.MultiReader(strings.NewReader(`{"prompt": `), strings.NewReader(strings.Repeat(`{"a":`, depth)),
			strings.NewReader("1"), strings.NewReader(strings.Repeat("}", depth)), strings.NewReader("}"))
	}
	return []badCase{
		p("malformed JSON", jsonBody(`{"prompt": {"3": `), ""),
		p("body is an array", jsonBody(`[1, 2, 3]`), ""),
		p("body is a string", jsonBody(`"prompt"`), ""),
		p("no prompt", jsonBody(`{}`), "no_prompt"),
		p("prompt is a number", jsonBody(`{"prompt": 5}`), ""),
		p("prompt is an array", jsonBody(`{"prompt": [1]}`), ""),
		p("node is a number", jsonBody(`{"prompt": {"1": 5}}`), ""),
		p("inputs is a number", jsonBody(`{"prompt": {"9": {"class_type": "SaveImage", "inputs": 5}}}`), ""),
		p("no class_type", jsonBody(`{"prompt": {"1": {"inputs": {}}}}`), ""),
		p("unknown class_type", jsonBody(`{"prompt": {"1": {"class_type": "NoSuchNode", "inputs": {}}}}`), ""),
		p("class_type is an object", jsonBody(`{"prompt": {"1": {"class_type": {"a": 1}, "inputs": {}}}}`), ""),
		p("no output node", jsonBody(`{"prompt": {"5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}}}}`), "prompt_no_outputs"),
		p("width is text", promptWith("5", "width", "abc"), failed),
		p("steps is a fraction string", promptWith("3", "steps", "1.5"), failed),
		p("cfg is an object", promptWith("3", "cfg", map[string]any{"x": 1}), failed),
		p("seed 2^64", rawPromptWith("3", "seed", "18446744073709551616"), failed),
		p("seed 1e400", rawPromptWith("3", "seed", "1e400"), failed),
		p("seed -1e400", rawPromptWith("3", "seed", "-1e400"), failed),
		p("seed -1", promptWith("3", "seed", -1), failed),
		p("steps 1e20", rawPromptWith("3", "steps", "1e20"), failed),
		p("steps 10001", promptWith("3", "steps", 10001), failed),
		p("cfg 1e308", rawPromptWith("3", "cfg", "1e308"), failed),
		p("width beyond MAX_RESOLUTION", promptWith("5", "width", 16392), failed),
		p("height 0", promptWith("5", "height", 0), failed),
		p("batch_size 4097", promptWith("5", "batch_size", 4097), failed),
		p("batch_size 0", promptWith("5", "batch_size", 0), failed),
		p("sampler not in list", promptWith("3", "sampler_name", "../../etc/passwd"), failed),
		p("ckpt not in list", promptWith("4", "ckpt_name", "../../../etc/passwd"), failed),
		p("link to a missing node", promptWith("3", "model", []any{"99", 0}), failed),
		p("link slot out of range", promptWith("3", "model", []any{"4", 99}), failed),
		p("link slot negative", promptWith("3", "model", []any{"4", -1}), failed),
		p("link slot huge", rawPromptWith("3", "model", `["4", 1e30]`), failed),
		p("link of wrong type", promptWith("3", "model", []any{"4", 1}), failed),
		p("link with three elements", promptWith("3", "model", []any{"4", 0, 0}), failed),
		p("cyclic graph", promptBody(cycle), ""),
		p("deeply nested arrays", nested, ""),
		p("deeply nested objects", nestedObj, ""),
		p("number is text", jsonBody(`{"prompt": {}, "number": "first"}`), ""),
		p("partial_execution_targets is a number", jsonBody(`{"prompt": {}, "partial_execution_targets": 5}`), ""),
		// --max-upload-size caps every body, as in ComfyUI.
		{name: "body beyond --max-upload-size", method: "POST", path: "/prompt", ctype: "application/json", want: 413,
			body: func() io.Reader {
				return io.MultiReader(strings.NewReader(`{"prompt": {}, "pad": "`), io.LimitReader(zeros{}, (maxUploadMB<<20)+1), strings.NewReader(`"}`))
			}},
	}
}

// zeros is an endless stream of '0' bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// upload builds a multipart /upload/image body.
func upload(filename string, content []byte, fields map[string]string) (string, func() io.Reader) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if filename != "" {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="image"; filename="%s"`, filename)}
		h["Content-Type"] = []string{"image/png"}
		part, _ := w.CreatePart(h)
		_, _ = part.Write(content)
	}
	_ = w.Close()
	data := buf.Bytes()
	return w.FormDataContentType(), func() io.Reader { return bytes.NewReader(data) }
}

func uploadCase(name, filename string, content []byte, fields map[string]string, want int) badCase {
	ct, body := upload(filename, content, fields)
	return badCase{name: name, method: "POST", path: "/upload/image", ctype: ct, body: body, want: want}
}

func uploadCases() []badCase {
	png := tinyPNG()
	return []badCase{
		uploadCase("upload beyond --max-upload-size", "big.png", bytes.Repeat([]byte{1}, (maxUploadMB<<20)+1024), nil, 413),
		uploadCase("upload without a file", "", nil, map[string]string{"type": "input"}, 400),
		uploadCase("upload name ../", "../escape.png", png, nil, 0),
		uploadCase("upload name ../../ deep", "../../../../../../tmp/escape.png", png, nil, 0),
		uploadCase("upload name absolute", "/tmp/escape-abs.png", png, nil, 0),
		uploadCase("upload name NUL", "a\x00b.png", png, nil, 0),
		uploadCase("upload name empty", "", png, nil, 400),
		uploadCase("upload subfolder ../..", "x.png", png, map[string]string{"subfolder": "../.."}, 400),
		uploadCase("upload subfolder absolute", "x.png", png, map[string]string{"subfolder": "/tmp"}, 400),
		uploadCase("upload subfolder NUL", "x.png", png, map[string]string{"subfolder": "a\x00b"}, 0),
		uploadCase("upload type bogus", "x.png", png, map[string]string{"type": "bogus"}, 400),
		{name: "upload not multipart", method: "POST", path: "/upload/image", ctype: "application/json", body: jsonBody(`{}`), want: 400},
		{name: "upload truncated multipart", method: "POST", path: "/upload/image", ctype: "multipart/form-data; boundary=xyz", body: jsonBody("--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nabc"), want: 400},
		uploadCaseMask("mask with a bad original_ref", `{"filename": "../../etc/passwd", "type": "input"}`),
		uploadCaseMask("mask with original_ref not JSON", `{{{`),
		uploadCaseMask("mask with a missing original", `{"filename": "nope.png", "type": "input"}`),
	}
}

func uploadCaseMask(name, ref string) badCase {
	ct, body := upload("mask.png", tinyPNG(), map[string]string{"original_ref": ref})
	return badCase{name: name, method: "POST", path: "/upload/mask", ctype: ct, body: body, want: 400}
}

func viewCases() []badCase {
	g := func(name, path string) badCase { return badCase{name: name, method: "GET", path: path} }
	return []badCase{
		g("view ../", "/view?filename=../../../../etc/passwd"),
		g("view %2e%2e", "/view?filename=%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
		g("view absolute", "/view?filename=/etc/passwd"),
		g("view subfolder ../", "/view?filename=passwd&subfolder=../../../../../../etc"),
		g("view subfolder absolute", "/view?filename=passwd&subfolder=/etc"),
		g("view NUL", "/view?filename=a%00b.png"),
		g("view type bogus", "/view?filename=a.png&type=bogus"),
		g("view annotated ../", "/view?filename=../x.png%20[input]"),
		g("view db through user type", "/view?filename=comfyd.db&type=user"),
		g("userdata ../ to the database", "/userdata/..%2Fcomfyd.db"),
		g("userdata ../../", "/userdata/..%2F..%2F..%2Fetc%2Fpasswd"),
		g("userdata list ../", "/userdata?dir=../../"),
		g("history max_items text", "/history?max_items=many"),
		g("jobs bad limit", "/api/jobs?limit=-1"),
		g("view_metadata ../", "/view_metadata/checkpoints?filename=../../../etc/passwd.safetensors"),
		{name: "queue malformed JSON", method: "POST", path: "/queue", ctype: "application/json", body: jsonBody(`{"delete": [`)},
		{name: "history malformed JSON", method: "POST", path: "/history", ctype: "application/json", body: jsonBody(`{"clear": `)},
		{name: "settings malformed JSON", method: "POST", path: "/settings", ctype: "application/json", body: jsonBody(`{"a": `)},
	}
}

// TestBadInputIsRefused sends every hostile request to one real comfyd:
// each gets a 4xx with ComfyUI's error shape where one exists, the server
// never answers 500 and never dies, nothing is written outside its folders.
func TestBadInputIsRefused(t *testing.T) {
	s := start(t, "--max-upload-size", fmt.Sprint(maxUploadMB))
	var cases []badCase
	cases = append(cases, promptCases()...)
	cases = append(cases, uploadCases()...)
	cases = append(cases, viewCases()...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != nil {
				body = c.body()
			}
			began := time.Now()
			status, data, err := s.Do(timeout(t, 60*time.Second), c.method, c.path, c.ctype, body)
			if err != nil {
				s.Alive(t)
				t.Fatalf("request failed: %v", err)
			}
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("answered in %v", took)
			}
			checkStatus(t, c, status, data)
			s.Alive(t)
		})
	}
	// Nothing escaped the base directory.
	for _, p := range []string{filepath.Join(filepath.Dir(s.Base), "escape.png"), "/tmp/escape.png", "/tmp/escape-abs.png", "/tmp/x.png"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("an upload wrote %s", p)
			os.Remove(p)
		}
	}
}

func checkStatus(t *testing.T, c badCase, status int, data []byte) {
	t.Helper()
	short := data
	if len(short) > 400 {
		short = append(short[:400:400], "..."...)
	}
	switch {
	case c.want != 0 && status != c.want:
		t.Errorf("status %d, want %d: %s", status, c.want, short)
	case c.want == 0 && (status < 400 || status > 499):
		t.Errorf("status %d, want a 4xx: %s", status, short)
	}
	if !c.shape {
		return
	}
	var e comfyclient.PromptError
	if err := json.Unmarshal(data, &e); err != nil || e.Error == nil || e.NodeErrors == nil {
		t.Fatalf("answer is not {error, node_errors}: %s", short)
	}
	if e.Error.Type == "" || e.Error.Message == "" || e.Error.ExtraInfo == nil {
		t.Errorf("error object incomplete: %s", short)
	}
	if c.errTyp != "" && e.Error.Type != c.errTyp {
		t.Errorf("error type %q, want %q: %s", e.Error.Type, c.errTyp, short)
	}
}
