package core

import (
	"fmt"
	"slices"

	"comfyd/models"
	"comfyd/nodes"
)

// checkpointNames lists the built-in checkpoints first, then the files of
// the checkpoints folders.
func checkpointNames(env *nodes.Env) []any {
	names := models.Builtins()
	if env != nil && env.Folders != nil {
		for _, f := range env.Folders.ListModels("checkpoints") {
			if !slices.Contains(names, f) {
				names = append(names, f)
			}
		}
	}
	return strings2any(names)
}

func checkpointLoaderSimple() *nodes.Class {
	return &nodes.Class{
		Name:         "CheckpointLoaderSimple",
		DisplayName:  "Load Checkpoint",
		Description:  "Loads a diffusion model checkpoint, diffusion models are used to denoise latents.",
		Category:     "loaders",
		PythonModule: moduleNodes,
		Required: []nodes.Input{{
			Name:        "ckpt_name",
			ChoicesFunc: checkpointNames,
			Options:     nodes.Options{"tooltip": "The name of the checkpoint (model) to load."},
		}},
		Outputs: []nodes.Output{
			outTip("MODEL", "The model used for denoising latents."),
			outTip("CLIP", "The CLIP model used for encoding text prompts."),
			outTip("VAE", "The VAE model used for encoding and decoding images to and from latent space."),
		},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			name, err := in.String("ckpt_name")
			if err != nil {
				return nodes.Result{}, err
			}
			ck, err := LoadCheckpoint(ctx, name)
			if err != nil {
				return nodes.Result{}, err
			}
			return nodes.Result{Outputs: []any{ck.Model, ck.CLIP, ck.VAE}}, nil
		},
	}
}

// LoadCheckpoint resolves a ckpt_name: a built-in checkpoint by name, or a
// file of the checkpoints folders.
func LoadCheckpoint(ctx *nodes.Context, name string) (*models.Checkpoint, error) {
	if slices.Contains(models.Builtins(), name) {
		return models.LoadBuiltin(ctx, name)
	}
	if ctx.Env == nil || ctx.Env.Folders == nil {
		return nil, fmt.Errorf("checkpoint %q: no model folders configured", name)
	}
	path, err := ctx.Env.Folders.ModelPath("checkpoints", name)
	if err != nil {
		return nil, err
	}
	return loadCheckpointFile(ctx, path, name)
}
