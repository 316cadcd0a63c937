package core

import (
	"fmt"
	"image/png"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"comfyd/nodes"
	"comfyd/tensor"
)

// hiddenValue returns a hidden input, falling back to the context (the
// executor fills both).
func hiddenValue(in nodes.Inputs, name string, fallback any) any {
	if v, ok := in[name]; ok && v != nil {
		return v
	}
	return fallback
}

func saveImage() *nodes.Class {
	return &nodes.Class{
		Name:         "SaveImage",
		DisplayName:  "Save Image",
		Description:  "Saves the input images to your ComfyUI output directory.",
		Category:     "image",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("images", "IMAGE", "The images to save."),
			widget("filename_prefix", "STRING", nodes.Options{"default": "ComfyUI", "tooltip": "The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes."}),
		},
		Hidden:     hiddenPromptInfo,
		OutputNode: true,
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			prefix, err := in.String("filename_prefix")
			if err != nil {
				return nodes.Result{}, err
			}
			return saveImages(ctx, in, prefix, "output", nodes.PNGSave)
		},
	}
}

// previewSuffixes keeps PreviewImage's random prefix suffix per node id:
// ComfyUI draws it once per node instance, which lives as long as the node.
type previewSuffixes struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *previewSuffixes) get(nodeID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.m[nodeID]; ok {
		return s
	}
	if p.m == nil || len(p.m) > 10000 {
		p.m = map[string]string{}
	}
	const letters = "abcdefghijklmnopqrstupvxyz" // sic, as ComfyUI
	b := make([]byte, 5)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	s := "_temp_" + string(b)
	p.m[nodeID] = s
	return s
}

func previewImage() *nodes.Class {
	suffixes := &previewSuffixes{}
	return &nodes.Class{
		Name:         "PreviewImage",
		DisplayName:  "Preview Image",
		Description:  "Saves the input images to your ComfyUI output directory.",
		Category:     "image",
		PythonModule: moduleNodes,
		Required:     []nodes.Input{link("images", "IMAGE", "")},
		Hidden:       hiddenPromptInfo,
		OutputNode:   true,
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			return saveImages(ctx, in, "ComfyUI"+suffixes.get(ctx.NodeID), "temp", nodes.PNGPreview)
		},
	}
}

// saveImages writes every image of the batch as a PNG with the prompt and
// extra_pnginfo text chunks (spec 8) into the folder of fileType.
func saveImages(ctx *nodes.Context, in nodes.Inputs, prefix, fileType string, level png.CompressionLevel) (nodes.Result, error) {
	images, err := nodes.Value[*tensor.Tensor](in, "images")
	if err != nil {
		return nodes.Result{}, err
	}
	if images == nil || len(images.Shape) != 4 {
		return nodes.Result{}, fmt.Errorf("images: expected an IMAGE [B,H,W,C], got %v", images)
	}
	if ctx.Env == nil || ctx.Env.Folders == nil {
		return nodes.Result{}, fmt.Errorf("no output folders configured")
	}
	root, err := ctx.Env.Folders.Root(fileType)
	if err != nil {
		return nodes.Result{}, err
	}
	texts, err := nodes.SaveMetadata(hiddenValue(in, "prompt", ctx.Prompt), hiddenValue(in, "extra_pnginfo", ctx.ExtraPNGInfo))
	if err != nil {
		return nodes.Result{}, err
	}
	target, err := nodes.NewSaveTarget(root, prefix, images.Shape[2], images.Shape[1], time.Now())
	if err != nil {
		return nodes.Result{}, err
	}
	refs := make([]any, 0, images.Shape[0])
	for i := 0; i < images.Shape[0]; i++ {
		if err := ctx.Err(); err != nil {
			return nodes.Result{}, err
		}
		img, err := nodes.ImageRow(images, i)
		if err != nil {
			return nodes.Result{}, err
		}
		data, err := nodes.EncodePNG(img, texts, level)
		if err != nil {
			return nodes.Result{}, err
		}
		name, full := target.File(i, ".png")
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return nodes.Result{}, err
		}
		refs = append(refs, nodes.FileRef{Filename: name, Subfolder: target.Subfolder, Type: fileType})
	}
	return nodes.Result{UI: nodes.UI{"images": refs}}, nil
}

func imageChoices(env *nodes.Env) []any {
	if env == nil || env.Folders == nil {
		return []any{}
	}
	return strings2any(nodes.ListFiles(env.Folders.Input, nodes.IsImageName))
}

// fileIsChanged is the loaders' IS_CHANGED: the SHA-256 of the file.
func fileIsChanged(input string) func(ctx *nodes.Context, in nodes.Inputs) (any, error) {
	return func(ctx *nodes.Context, in nodes.Inputs) (any, error) {
		path, err := inputFile(ctx.Env, in, input)
		if err != nil {
			return nil, err
		}
		return nodes.FileSHA256(path)
	}
}

// validateFile is the loaders' VALIDATE_INPUTS.
func validateFile(input, what string) func(env *nodes.Env, in nodes.Inputs) error {
	return func(env *nodes.Env, in nodes.Inputs) error {
		name, _ := in[input].(string)
		if env == nil || !nodes.AnnotatedFileExists(env.Folders, name, "input") {
			return fmt.Errorf("Invalid %s file: %s", what, name)
		}
		return nil
	}
}

func inputFile(env *nodes.Env, in nodes.Inputs, input string) (string, error) {
	name, err := in.String(input)
	if err != nil {
		return "", err
	}
	if env == nil {
		return "", fmt.Errorf("no folders configured")
	}
	return nodes.AnnotatedPath(env.Folders, name, "input")
}

func loadImage() *nodes.Class {
	return &nodes.Class{
		Name:         "LoadImage",
		DisplayName:  "Load Image",
		Category:     "image",
		PythonModule: moduleNodes,
		Required: []nodes.Input{{
			Name:        "image",
			ChoicesFunc: imageChoices,
			Options:     nodes.Options{"image_upload": true},
		}},
		Outputs:        []nodes.Output{out("IMAGE"), out("MASK")},
		IsChanged:      fileIsChanged("image"),
		ValidateInputs: validateFile("image", "image"),
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			path, err := inputFile(ctx.Env, in, "image")
			if err != nil {
				return nodes.Result{}, err
			}
			img, err := nodes.DecodeImageFile(path)
			if err != nil {
				return nodes.Result{}, err
			}
			return nodes.Result{Outputs: []any{img.Image, img.Mask}}, nil
		},
	}
}

func loadImageMask() *nodes.Class {
	return &nodes.Class{
		Name:         "LoadImageMask",
		DisplayName:  "Load Image (as Mask)",
		Category:     "mask",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			{Name: "image", ChoicesFunc: imageChoices, Options: nodes.Options{"image_upload": true}},
			combo("channel", nodes.MaskChannels, nil),
		},
		Outputs:        []nodes.Output{out("MASK")},
		IsChanged:      fileIsChanged("image"),
		ValidateInputs: validateFile("image", "image"),
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			path, err := inputFile(ctx.Env, in, "image")
			if err != nil {
				return nodes.Result{}, err
			}
			channel, err := in.String("channel")
			if err != nil {
				return nodes.Result{}, err
			}
			return singleResult(nodes.DecodeMaskFile(path, channel))
		},
	}
}
