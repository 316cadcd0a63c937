package sampling

import (
	"fmt"

	"comfyd/tensor"
)

// inpaint is ComfyUI's KSamplerX0Inpaint: outside the denoise mask the
// model sees (and the sampler gets back) the original latent noised to the
// current sigma, so only the masked region changes.
type inpaint struct {
	mask, keep    *tensor.Tensor // denoise mask and 1 - mask, [B,C,H,W]
	latent, noise *tensor.Tensor // process_in'd latent, inpaint noise
	blended       *tensor.Tensor
}

// SetDenoiseMask enables inpainting: mask is a noise mask ([B,H,W] or
// [H,W], any resolution, 1 = resample), latent the model-space input
// latent and noise the noise it is re-noised with at every step.
func (g *Guider) SetDenoiseMask(mask, latent, noise *tensor.Tensor) error {
	if len(latent.Shape) != 4 || !tensor.SameShape(latent, noise) {
		return fmt.Errorf("sampling: inpainting needs matching latent and noise, got %v and %v", latent, noise)
	}
	m, err := prepareDenoiseMask(mask, latent.Shape)
	if err != nil {
		return err
	}
	keep := tensor.New(latent.Shape...)
	for i, v := range m.Data {
		keep.Data[i] = 1 - v
	}
	g.inpaint = &inpaint{mask: m, keep: keep, latent: latent, noise: noise, blended: tensor.New(latent.Shape...)}
	return nil
}

// prepareDenoiseMask is comfy.sampler_helpers.prepare_mask: resize the
// mask bilinearly to the latent's H,W, repeat it over channels and batch.
func prepareDenoiseMask(mask *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	B, C, H, W := shape[0], shape[1], shape[2], shape[3]
	if len(mask.Shape) == 4 && mask.Shape[1] == 1 {
		mask = &tensor.Tensor{Shape: []int{mask.Shape[0], mask.Shape[2], mask.Shape[3]}, Data: mask.Data}
	}
	m, err := resizeMask(mask, H, W)
	if err != nil {
		return nil, err
	}
	out := tensor.New(shape...)
	plane := H * W
	for b := range B {
		src := m.Data[(b%m.Shape[0])*plane : (b%m.Shape[0]+1)*plane]
		for c := range C {
			copy(out.Data[(b*C+c)*plane:], src)
		}
	}
	return out, nil
}

// blendInput returns x inside the mask and the latent noised to sigma
// outside it.
func (p *inpaint) blendInput(x *tensor.Tensor, sigma float32, kind Parameterization) *tensor.Tensor {
	NoiseScaling(p.blended, p.noise, p.latent, sigma, false, kind)
	for i, v := range x.Data {
		p.blended.Data[i] = float32(v*p.mask.Data[i]) + float32(p.blended.Data[i]*p.keep.Data[i])
	}
	return p.blended
}

// blendOutput keeps the prediction inside the mask and the original
// latent outside it.
func (p *inpaint) blendOutput(out *tensor.Tensor) {
	for i, v := range out.Data {
		out.Data[i] = float32(v*p.mask.Data[i]) + float32(p.latent.Data[i]*p.keep.Data[i])
	}
}
