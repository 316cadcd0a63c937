package core

import (
	"fmt"

	"comfyd/models"
	"comfyd/nodes"
	"comfyd/tensor"
)

func vaeDecode() *nodes.Class {
	return &nodes.Class{
		Name:         "VAEDecode",
		DisplayName:  "VAE Decode",
		Description:  "Decodes latent images back into pixel space images.",
		Category:     "latent",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("samples", "LATENT", "The latent to be decoded."),
			link("vae", "VAE", "The VAE model used for decoding the latent."),
		},
		Outputs: []nodes.Output{outTip("IMAGE", "The decoded image.")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			l, err := latentInput(in, "samples")
			if err != nil {
				return nodes.Result{}, err
			}
			vae, ok := in["vae"].(models.VAE)
			if !ok || vae == nil {
				return nodes.Result{}, fmt.Errorf("ERROR: VAE is invalid: None\n\nIf the VAE is from a checkpoint loader node your checkpoint does not contain a valid VAE.")
			}
			s := l.Samples.Shape
			if err := nodes.CheckTensorSize("decoded image", s[0], s[2]*8, s[3]*8, 3); err != nil {
				return nodes.Result{}, fmt.Errorf("VAEDecode: %w", err)
			}
			return singleResult(vae.Decode(ctx, l.Samples))
		},
	}
}

func vaeEncode() *nodes.Class {
	return &nodes.Class{
		Name:         "VAEEncode",
		DisplayName:  "VAE Encode",
		Category:     "latent",
		PythonModule: moduleNodes,
		Required: []nodes.Input{
			link("pixels", "IMAGE", ""),
			link("vae", "VAE", ""),
		},
		Outputs: []nodes.Output{out("LATENT")},
		Run: func(ctx *nodes.Context, in nodes.Inputs) (nodes.Result, error) {
			px, err := nodes.Value[*tensor.Tensor](in, "pixels")
			if err != nil {
				return nodes.Result{}, err
			}
			vae, ok := in["vae"].(models.VAE)
			if !ok || vae == nil {
				return nodes.Result{}, fmt.Errorf("ERROR: VAE is invalid: None\n\nIf the VAE is from a checkpoint loader node your checkpoint does not contain a valid VAE.")
			}
			rgb, err := CropPixelsForVAE(px, 8)
			if err != nil {
				return nodes.Result{}, err
			}
			lat, err := vae.Encode(ctx, rgb)
			if err != nil {
				return nodes.Result{}, err
			}
			return single(&nodes.Latent{Samples: lat}), nil
		},
	}
}

// CropPixelsForVAE is VAEEncode's preparation: the image [B,H,W,C] is
// centre-cropped to multiples of factor (offsets (H%f)/2, (W%f)/2) and cut
// to its first three channels.
func CropPixelsForVAE(px *tensor.Tensor, factor int) (*tensor.Tensor, error) {
	if px == nil || len(px.Shape) != 4 || px.Shape[3] < 3 {
		return nil, fmt.Errorf("VAEEncode: expected an IMAGE [B,H,W,3], got %v", px)
	}
	b, h, w, c := px.Shape[0], px.Shape[1], px.Shape[2], px.Shape[3]
	nh, nw := h/factor*factor, w/factor*factor
	if nh == 0 || nw == 0 {
		return nil, fmt.Errorf("VAEEncode: a %dx%d image is smaller than %d pixels", w, h, factor)
	}
	oy, ox := (h%factor)/2, (w%factor)/2
	out := tensor.New(b, nh, nw, 3)
	for bi := 0; bi < b; bi++ {
		for y := 0; y < nh; y++ {
			for x := 0; x < nw; x++ {
				src := ((bi*h+y+oy)*w + x + ox) * c
				dst := ((bi*nh+y)*nw + x) * 3
				copy(out.Data[dst:dst+3], px.Data[src:src+3])
			}
		}
	}
	return out, nil
}
