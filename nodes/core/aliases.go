package core

import "comfyd/nodes"

// searchAliases are the extra words the frontend's node search matches for
// each core node, as ComfyUI declares them.
var searchAliases = map[string][]string{
	"CheckpointLoaderSimple": {"load model", "checkpoint", "model loader", "load checkpoint", "ckpt", "model"},
	"CLIPTextEncode":         {"text", "prompt", "text prompt", "positive prompt", "negative prompt", "encode text", "text encoder", "encode prompt"},
	"EmptyLatentImage":       {"empty", "empty latent", "new latent", "create latent", "blank latent", "blank"},
	"KSampler":               {"sampler", "sample", "generate", "denoise", "diffuse", "txt2img", "img2img"},
	"VAEDecode":              {"decode", "decode latent", "latent to image", "render latent"},
	"VAEEncode":              {"encode", "encode image", "image to latent"},
	"SaveImage":              {"save", "save image", "export image", "output image", "write image", "download"},
	"PreviewImage":           {"preview", "preview image", "show image", "view image", "display image", "image viewer"},
	"LoadImage":              {"load image", "open image", "import image", "image input", "upload image", "read image", "image loader"},
	"LoadImageMask":          {"import mask", "alpha mask", "channel mask"},
	"SaveLatent":             {"export latent"},
	"LoadLatent":             {"import latent", "open latent"},
	"LatentUpscale":          {"enlarge latent", "resize latent"},
	"LatentUpscaleBy":        {"enlarge latent", "resize latent", "scale latent"},
	"LatentComposite":        {"overlay latent", "layer latent", "paste latent"},
	"LatentBlend":            {"mix latents", "interpolate latents"},
	"LatentFromBatch":        {"select from batch", "pick latent", "batch subset"},
	"RepeatLatentBatch":      {"duplicate latent", "clone latent"},
	"ConditioningCombine":    {"combine", "merge conditioning", "combine prompts", "merge prompts", "mix prompts", "add prompt"},
	"ConditioningSetArea":    {"regional prompt", "area prompt", "spatial conditioning", "localized prompt"},
	"ConditioningAverage":    {"blend prompts", "interpolate conditioning", "mix prompts", "style fusion", "weighted blend"},
}

// withSearchAliases attaches searchAliases to the classes that have some.
func withSearchAliases(classes ...*nodes.Class) []*nodes.Class {
	for _, c := range classes {
		if a, ok := searchAliases[c.Name]; ok {
			c.SearchAliases = a
		}
	}
	return classes
}
