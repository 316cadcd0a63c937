package nodes

import "comfyd/tensor"

// Latent is ComfyUI's LATENT dict: {"samples", "noise_mask", "batch_index"}.
// Samples are [B,C,H,W] in VAE units (before the model's process_in).
type Latent struct {
	Samples    *tensor.Tensor
	NoiseMask  *tensor.Tensor // optional, [B,1,H,W] or [B,H,W] in pixel or latent units
	BatchIndex []int          // optional
}

// The other link types are carried as:
//   IMAGE         *tensor.Tensor [B,H,W,C], float32 in [0,1]
//   MASK          *tensor.Tensor [B,H,W],   float32 in [0,1]
//   CONDITIONING  sampling.Conditioning
//   MODEL         *sampling.Model
//   CLIP          models.CLIP
//   VAE           models.VAE
//   NOISE, SAMPLER, SIGMAS, GUIDER, SCHEDULER_FUNC: types in package sampling
