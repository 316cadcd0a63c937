package core

import (
	"fmt"
	"math"

	"comfyd/nodes"
)

var cropMethods = []string{"disabled", "center"}

func latentUpscale() *nodes.Class {
	return &nodes.Class{
		Name:         "LatentUpscale",
		DisplayName:  "Upscale Latent",
		Category:     "latent",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", ""),
			combo("upscale_method", nodes.UpscaleMethods, nil),
			widget("width", "INT", resolutionOpts(512, 0, 8)),
			widget("height", "INT", resolutionOpts(512, 0, 8)),
			combo("crop", cropMethods, nil),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, method, err := upscaleInputs(in)
			if err != nil {
				return nodes.Result{}, err
			}
			crop, err := in.String("crop")
			if err != nil {
				return nodes.Result{}, err
			}
			w, err := in.Int("width")
			if err != nil {
				return nodes.Result{}, err
			}
			h, err := in.Int("height")
			if err != nil {
				return nodes.Result{}, err
			}
			if err := nodes.CheckResolution("width", w); err != nil {
				return nodes.Result{}, err
			}
			if err := nodes.CheckResolution("height", h); err != nil {
				return nodes.Result{}, err
			}
			return singleResult(UpscaleLatent(l, method, int(w), int(h), crop))
		},
	}
}

// upscaleInputs reads the inputs both latent upscale nodes start with.
func upscaleInputs(in nodes.Inputs) (l *nodes.Latent, method string, err error) {
	if l, err = latentInput(in, "samples"); err != nil {
		return nil, "", err
	}
	if method, err = in.String("upscale_method"); err != nil {
		return nil, "", err
	}
	return l, method, nil
}

// UpscaleLatent is LatentUpscale: width and height in pixels, 0 for both
// leaves the latent alone, 0 for one keeps the aspect; each is at least 64
// and the latent size is pixels/8.
func UpscaleLatent(l *nodes.Latent, method string, width, height int, crop string) (*nodes.Latent, error) {
	if width == 0 && height == 0 {
		return l, nil
	}
	sh, sw := l.Samples.Shape[2], l.Samples.Shape[3]
	switch {
	case width == 0:
		height = max(64, height)
		width = max(64, int(math.RoundToEven(float64(sw)*float64(height)/float64(sh))))
	case height == 0:
		width = max(64, width)
		height = max(64, int(math.RoundToEven(float64(sh)*float64(width)/float64(sw))))
	default:
		width, height = max(64, width), max(64, height)
	}
	if width > nodes.MaxResolution || height > nodes.MaxResolution {
		return nil, fmt.Errorf("LatentUpscale: %dx%d is beyond %d pixels", width, height, nodes.MaxResolution)
	}
	s, err := nodes.CommonUpscale(l.Samples, width/8, height/8, method, crop)
	if err != nil {
		return nil, fmt.Errorf("LatentUpscale: %w", err)
	}
	return withSamples(l, s), nil
}

func latentUpscaleBy() *nodes.Class {
	return &nodes.Class{
		Name:         "LatentUpscaleBy",
		DisplayName:  "Upscale Latent By",
		Category:     "latent",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", ""),
			combo("upscale_method", nodes.UpscaleMethods, nil),
			widget("scale_by", "FLOAT", nodes.Options{"default": 1.5, "min": 0.01, "max": 8.0, "step": 0.01}),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, method, err := upscaleInputs(in)
			if err != nil {
				return nodes.Result{}, err
			}
			s, err := in.Float("scale_by")
			if err != nil {
				return nodes.Result{}, err
			}
			return singleResult(UpscaleLatentBy(l, method, s))
		},
	}
}

// UpscaleLatentBy is LatentUpscaleBy: the latent's own size times scale,
// rounded half to even, without crop.
func UpscaleLatentBy(l *nodes.Latent, method string, scale float64) (*nodes.Latent, error) {
	if !(scale >= 0.01 && scale <= 8) {
		return nil, fmt.Errorf("LatentUpscaleBy: scale_by %v is outside 0.01..8", scale)
	}
	w := int(math.RoundToEven(float64(l.Samples.Shape[3]) * scale))
	h := int(math.RoundToEven(float64(l.Samples.Shape[2]) * scale))
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("LatentUpscaleBy: scaling %v by %v leaves no pixels", l.Samples, scale)
	}
	s, err := nodes.CommonUpscale(l.Samples, w, h, method, "disabled")
	if err != nil {
		return nil, fmt.Errorf("LatentUpscaleBy: %w", err)
	}
	return withSamples(l, s), nil
}
