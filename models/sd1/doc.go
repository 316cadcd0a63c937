// Package sd1 implements the Stable Diffusion 1.x networks in pure Go,
// following ComfyUI's model code: the CLIP-L text encoder (clip.go), the
// KL autoencoder (vae.go) and the UNet (unet.go). Weights are read from a
// single-file checkpoint with ComfyUI's state-dict key names; every
// computation is float32 with float64 normalisation statistics.
//
// The package does not import comfyd/models: models.LoadCheckpointFile
// wraps these types into its CLIP, VAE and MODEL interfaces.
package sd1
