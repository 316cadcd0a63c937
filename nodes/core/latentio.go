package core

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"comfyd/nodes"
)

func saveLatent() *nodes.Class {
	return &nodes.Class{
		Name:         "SaveLatent",
		DisplayName:  "SaveLatent",
		Category:     "_for_testing",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", ""),
			widget("filename_prefix", "STRING", nodes.Options{"default": "latents/ComfyUI"}),
		},
		Hidden:     hiddenPromptInfo,
		OutputNode: true,
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, err := latentInput(in, "samples")
			if err != nil {
				return nodes.Result{}, err
			}
			prefix, err := in.String("filename_prefix")
			if err != nil {
				return nodes.Result{}, err
			}
			if ctx.Env == nil || ctx.Env.Folders == nil {
				return nodes.Result{}, fmt.Errorf("no output folder configured")
			}
			target, err := nodes.NewSaveTarget(ctx.Env.Folders.Output, prefix, 0, 0, time.Now())
			if err != nil {
				return nodes.Result{}, err
			}
			texts, err := nodes.SaveMetadata(hiddenValue(in, "prompt", ctx.Prompt), hiddenValue(in, "extra_pnginfo", ctx.ExtraPNGInfo))
			if err != nil {
				return nodes.Result{}, err
			}
			// The reference always writes "prompt", empty without a prompt.
			meta := map[string]string{"prompt": ""}
			for _, t := range texts {
				meta[t.Key] = t.Value
			}
			// SaveLatent does not expand %batch_num%.
			name := fmt.Sprintf("%s_%05d_.latent", target.Filename, target.Counter)
			full := filepath.Join(target.Dir, name)
			if err := nodes.WriteLatentFile(full, l.Samples, meta); err != nil {
				return nodes.Result{}, err
			}
			ref := nodes.FileRef{Filename: name, Subfolder: target.Subfolder, Type: "output"}
			return nodes.Result{UI: nodes.UI{"latents": []any{ref}}}, nil
		},
	}
}

func latentChoices(env *nodes.Env) []any {
	if env == nil || env.Folders == nil {
		return []any{}
	}
	return strings2any(nodes.ListFiles(env.Folders.Input, func(n string) bool { return strings.HasSuffix(n, ".latent") }))
}

func loadLatent() *nodes.Class {
	return &nodes.Class{
		Name:         "LoadLatent",
		DisplayName:  "LoadLatent",
		Category:     "_for_testing",
		PythonModule: moduleNodes,
		// A legacy combo without options: [["a.latent", ...]].
		Required:       []nodes.Input{{Name: "latent", ChoicesFunc: latentChoices}},
		Outputs:        []nodes.Output{out("LATENT")},
		IsChanged:      fileIsChanged("latent"),
		ValidateInputs: validateFile("latent", "latent"),
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			path, err := inputFile(ctx.Env, in, "latent")
			if err != nil {
				return nodes.Result{}, err
			}
			f, err := nodes.ReadLatentFile(path)
			if err != nil {
				return nodes.Result{}, err
			}
			return single(&nodes.Latent{Samples: f.Samples}), nil
		},
	}
}
