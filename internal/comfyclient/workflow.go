package comfyclient

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// Workflow is an API-format prompt: node id → {"class_type", "inputs"}.
type Workflow map[string]any

// DefaultWorkflow is ComfyUI's default text-to-image graph (checkpoint,
// empty latent, two prompts, KSampler, VAE decode, SaveImage) on ckpt.
func DefaultWorkflow(ckpt string, width, height, steps int) Workflow {
	node := func(class string, inputs map[string]any) map[string]any {
		return map[string]any{"class_type": class, "inputs": inputs}
	}
	return Workflow{
		"4": node("CheckpointLoaderSimple", map[string]any{"ckpt_name": ckpt}),
		"5": node("EmptyLatentImage", map[string]any{"width": width, "height": height, "batch_size": 1}),
		"6": node("CLIPTextEncode", map[string]any{"text": "a red circle on a blue square", "clip": []any{"4", 1}}),
		"7": node("CLIPTextEncode", map[string]any{"text": "text, watermark", "clip": []any{"4", 1}}),
		"3": node("KSampler", map[string]any{
			"seed": 0, "steps": steps, "cfg": 8.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
			"model": []any{"4", 0}, "positive": []any{"6", 0}, "negative": []any{"7", 0}, "latent_image": []any{"5", 0},
		}),
		"8": node("VAEDecode", map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}),
		"9": node("SaveImage", map[string]any{"filename_prefix": "ComfyUI", "images": []any{"8", 0}}),
	}
}

// LoadWorkflow reads an API-format workflow file.
func LoadWorkflow(path string) (Workflow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var wf Workflow
	if err := json.Unmarshal(data, &wf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(wf) == 0 {
		return nil, fmt.Errorf("%s: empty workflow", path)
	}
	for id, n := range wf {
		if _, ok := n.(map[string]any); !ok {
			return nil, fmt.Errorf("%s: node %s is not an object", path, id)
		}
	}
	return wf, nil
}

// Clone deep-copies the workflow.
func (w Workflow) Clone() Workflow {
	data, _ := json.Marshal(w)
	var out Workflow
	_ = json.Unmarshal(data, &out)
	return out
}

// Inputs returns the inputs of node id (created when missing), nil if the
// node does not exist.
func (w Workflow) Inputs(id string) map[string]any {
	n, ok := w[id].(map[string]any)
	if !ok {
		return nil
	}
	in, ok := n["inputs"].(map[string]any)
	if !ok {
		in = map[string]any{}
		n["inputs"] = in
	}
	return in
}

// SetInput sets input name on every node of class (in id order) that has
// it and returns how many were set.
func (w Workflow) SetInput(class, name string, v any) int {
	n := 0
	for _, id := range w.IDs() {
		node, _ := w[id].(map[string]any)
		if node["class_type"] != class {
			continue
		}
		in := w.Inputs(id)
		if _, ok := in[name]; ok {
			in[name] = v
			n++
		}
	}
	return n
}

// SetSeed sets every seed-like widget ("seed", "noise_seed") of every
// node, so each prompt of a load run differs and none is a cache hit.
func (w Workflow) SetSeed(seed uint64) {
	for _, id := range w.IDs() {
		in := w.Inputs(id)
		for _, k := range []string{"seed", "noise_seed"} {
			if v, ok := in[k]; ok {
				if _, isLink := v.([]any); !isLink {
					in[k] = seed
				}
			}
		}
	}
}

// IDs returns the node ids in sorted order.
func (w Workflow) IDs() []string {
	ids := make([]string, 0, len(w))
	for id := range w {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
