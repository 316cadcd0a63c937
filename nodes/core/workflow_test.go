package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"comfyd/models/builtin"
	"comfyd/nodes"
	"comfyd/tensor"
)

// apiNode is one node of an API-format prompt.
type apiNode struct {
	ClassType string                     `json:"class_type"`
	Inputs    map[string]json.RawMessage `json:"inputs"`
}

// runPrompt executes an API prompt node by node (no server, no executor):
// links are resolved recursively, literals decoded as the validator
// coerces them, hidden inputs filled. It returns every node's result.
func runPrompt(t *testing.T, r *nodes.Registry, ctx *nodes.Context, raw []byte) map[string]nodes.Result {
	t.Helper()
	var prompt map[string]apiNode
	if err := json.Unmarshal(raw, &prompt); err != nil {
		t.Fatal(err)
	}
	results := map[string]nodes.Result{}
	var eval func(id string) nodes.Result
	eval = func(id string) nodes.Result {
		if res, ok := results[id]; ok {
			return res
		}
		n, ok := prompt[id]
		if !ok {
			t.Fatalf("no node %s", id)
		}
		c, ok := r.Get(n.ClassType)
		if !ok {
			t.Fatalf("node %s: unknown class %s", id, n.ClassType)
		}
		in := nodes.Inputs{}
		for name, v := range n.Inputs {
			var link []any
			if json.Unmarshal(v, &link) == nil && len(link) == 2 {
				if from, ok := link[0].(string); ok {
					slot := int(link[1].(float64))
					in[name] = eval(from).Outputs[slot]
					continue
				}
			}
			in[name] = literal(t, v)
		}
		for _, h := range c.Hidden {
			switch h.Type {
			case "PROMPT":
				in[h.Name] = json.RawMessage(raw)
			case "EXTRA_PNGINFO":
				in[h.Name] = json.RawMessage(`{"workflow":{"nodes":[]}}`)
			case "UNIQUE_ID":
				in[h.Name] = id
			}
		}
		nctx := *ctx
		nctx.NodeID, nctx.ClassType = id, n.ClassType
		res, err := c.Run(&nctx, in)
		if err != nil {
			t.Fatalf("node %s (%s): %v", id, n.ClassType, err)
		}
		results[id] = res
		return res
	}
	for id, n := range prompt {
		if c, _ := r.Get(n.ClassType); c != nil && c.OutputNode {
			eval(id)
		}
	}
	return results
}

// literal decodes a widget value as the validator passes it on: integers
// as int64 (uint64 beyond), other numbers as float64.
func literal(t *testing.T, v json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		t.Fatal(err)
	}
	if num, ok := x.(json.Number); ok {
		if i, err := strconv.ParseInt(num.String(), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(num.String(), 10, 64); err == nil {
			return u
		}
		f, _ := num.Float64()
		return f
	}
	return x
}

type countingReporter struct {
	progress [][2]int
	previews int
}

func (c *countingReporter) Progress(v, m int)          { c.progress = append(c.progress, [2]int{v, m}) }
func (c *countingReporter) Preview(f string, b []byte) { c.previews++ }

func TestDefaultTextToImageWorkflow(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/workflows/default_t2i.api.json")
	if err != nil {
		t.Fatal(err)
	}
	var prompt map[string]map[string]any
	if err := json.Unmarshal(raw, &prompt); err != nil {
		t.Fatal(err)
	}
	prompt["4"]["inputs"].(map[string]any)["ckpt_name"] = builtin.Name
	raw, _ = json.Marshal(prompt)

	r := nodes.NewRegistry()
	Register(r)
	ctx := testCtx(t)
	ctx.Env.PreviewMethod = "auto"
	rep := &countingReporter{}
	ctx.Reporter = rep
	results := runPrompt(t, r, ctx, raw)

	// KSampler: 20 steps, each with progress and a preview.
	if len(rep.progress) != 20 || rep.progress[19] != [2]int{20, 20} || rep.previews != 20 {
		t.Errorf("progress %v, %d previews", rep.progress, rep.previews)
	}
	lat := results["3"].Outputs[0].(*nodes.Latent).Samples
	if !tensor.EqualShape(lat.Shape, []int{1, 4, 64, 64}) {
		t.Fatalf("latent %v", lat.Shape)
	}
	for _, v := range lat.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite latent")
		}
	}
	refs := results["9"].UI["images"]
	if len(refs) != 1 || refs[0] != (nodes.FileRef{Filename: "ComfyUI_00001_.png", Subfolder: "", Type: "output"}) {
		t.Fatalf("ui %v", results["9"].UI)
	}
	data, err := os.ReadFile(filepath.Join(ctx.Env.Folders.Output, "ComfyUI_00001_.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() != 512 || img.Bounds().Dy() != 512 {
		t.Fatalf("image %v %v", img.Bounds(), err)
	}
	// A picture, not a flat fill.
	seen := map[uint32]bool{}
	for y := 0; y < 512; y += 16 {
		for x := 0; x < 512; x += 16 {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(seen) < 4 {
		t.Errorf("image has only %d colours", len(seen))
	}
	texts, _ := nodes.ReadPNGText(data)
	if len(texts) != 2 || texts[0].Key != "prompt" || texts[1].Key != "workflow" {
		t.Errorf("text chunks %v", texts)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(texts[0].Value), &back); err != nil || back["3"] == nil {
		t.Errorf("prompt chunk does not hold the prompt: %v", err)
	}
	// Same prompt again: same latent (deterministic), next file number.
	again := runPrompt(t, r, ctx, raw)
	lat2 := again["3"].Outputs[0].(*nodes.Latent).Samples
	if !equalF(lat.Data, lat2.Data) {
		t.Error("second run differs")
	}
	if ref := again["9"].UI["images"][0].(nodes.FileRef); ref.Filename != "ComfyUI_00002_.png" {
		t.Errorf("second file %s", ref.Filename)
	}
}

// TestCustomSamplingMatchesKSampler: SamplerCustomAdvanced with RandomNoise,
// CFGGuider, KSamplerSelect and BasicScheduler reproduces KSampler.
func TestCustomSamplingMatchesKSampler(t *testing.T) {
	r := nodes.NewRegistry()
	Register(r)
	ctx := testCtx(t)
	prompt := fmt.Sprintf(`{
	 "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": %q}},
	 "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 128, "height": 96, "batch_size": 2}},
	 "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red circle", "clip": ["4", 1]}},
	 "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text", "clip": ["4", 1]}},
	 "3": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 6, "cfg": 5, "sampler_name": "euler_ancestral",
	       "scheduler": "karras", "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
	 "10": {"class_type": "RandomNoise", "inputs": {"noise_seed": 7}},
	 "11": {"class_type": "CFGGuider", "inputs": {"model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "cfg": 5}},
	 "12": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler_ancestral"}},
	 "13": {"class_type": "BasicScheduler", "inputs": {"model": ["4", 0], "scheduler": "karras", "steps": 6, "denoise": 1}},
	 "14": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["10", 0], "guider": ["11", 0], "sampler": ["12", 0], "sigmas": ["13", 0], "latent_image": ["5", 0]}},
	 "20": {"class_type": "SaveLatent", "inputs": {"samples": ["3", 0], "filename_prefix": "a"}},
	 "21": {"class_type": "SaveLatent", "inputs": {"samples": ["14", 0], "filename_prefix": "b"}},
	 "22": {"class_type": "SaveLatent", "inputs": {"samples": ["14", 1], "filename_prefix": "c"}}
	}`, builtin.Name)
	res := runPrompt(t, r, ctx, []byte(prompt))
	k := res["3"].Outputs[0].(*nodes.Latent).Samples
	c := res["14"].Outputs[0].(*nodes.Latent).Samples
	d := res["14"].Outputs[1].(*nodes.Latent).Samples
	if !tensor.SameShape(k, c) || !equalF(k.Data, c.Data) {
		t.Error("SamplerCustomAdvanced differs from KSampler")
	}
	if !tensor.SameShape(d, c) {
		t.Errorf("denoised_output %v", d.Shape)
	}
}
