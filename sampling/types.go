package sampling

import (
	"context"

	"comfyd/tensor"
)

// Parameterization is what a diffusion network predicts (spec 1.3).
type Parameterization int

const (
	EPS         Parameterization = iota // noise
	VPrediction                         // v
	Const                               // rectified flow (SD3, Flux)
)

// ModelSampling maps between sigmas and timesteps and scales inputs and
// outputs for one parameterisation (spec 1.1-1.3).
type ModelSampling interface {
	Kind() Parameterization
	SigmaMin() float32
	SigmaMax() float32
	// Sigmas is the float32 table of the discrete model (1000 entries).
	Sigmas() []float32
	// Timestep maps a sigma to the value fed to the network.
	Timestep(sigma float32) float32
	// Sigma maps a (possibly fractional) timestep to its sigma.
	Sigma(t float32) float32
	// PercentToSigma is ComfyUI's percent_to_sigma.
	PercentToSigma(p float64) float64
}

// LatentFormat converts between VAE units and the model's latent space
// (spec 1.4).
type LatentFormat interface {
	Name() string
	Channels() int
	// ProcessIn and ProcessOut write into dst (which may alias x).
	ProcessIn(dst, x *tensor.Tensor)
	ProcessOut(dst, x *tensor.Tensor)
	// RGBFactors are the latent2rgb preview factors ([channels][3]) and bias.
	RGBFactors() (factors [][3]float32, bias [3]float32)
}

// Cond is one entry of a CONDITIONING list: the text encoder's output plus
// what the conditioning nodes attach to it.
type Cond struct {
	// CrossAttn is the token embedding sequence [B, tokens, dim].
	CrossAttn *tensor.Tensor
	// Pooled is the pooled text embedding [B, dim], if the encoder has one.
	Pooled *tensor.Tensor
	// Area restricts the cond to a latent-space rectangle (ConditioningSetArea).
	Area *Area
	// Strength weighs the cond's prediction. Text encoders set ComfyUI's
	// default 1; 0 is a real strength (ConditioningSetArea allows it).
	Strength float64
	// Mask, with MaskStrength, restricts the cond to a mask ([1,H,W]);
	// MaskStrength is read only when Mask is set.
	Mask         *tensor.Tensor
	MaskStrength float64
	// SetAreaToBounds is ConditioningSetMask's "mask bounds" option.
	SetAreaToBounds bool
	// Extra carries model-specific data (e.g. the built-in model's caption
	// weights) by key, as ComfyUI's cond dicts do.
	Extra map[string]any
}

// Area is a rectangle in latent units (pixels / 8), as ComfyUI stores it.
type Area struct {
	Height, Width, Y, X int
	// Percentage marks ConditioningSetAreaPercentage's fractional areas.
	Percentage bool
	PH, PW     float64
	PY, PX     float64
}

// Conditioning is a CONDITIONING value: a list of conds.
type Conditioning []Cond

// DiffusionModel is a denoising network. Apply writes the raw network output
// (eps, v or flow prediction) for the scaled input xc [B,C,H,W] into dst.
// timestep and sigma hold one value per batch row (sigma is the raw sigma,
// ComfyUI's transformer_options["sigmas"]). It must check ctx for long work.
type DiffusionModel interface {
	Apply(ctx context.Context, dst, xc *tensor.Tensor, timestep, sigma []float32, c *Cond) error
}

// Model is a MODEL value: a network with its model sampling and latent
// format. Options carries ComfyUI model_options that change sampling.
type Model struct {
	Name     string
	Net      DiffusionModel
	Sampling ModelSampling
	Format   LatentFormat
	// DisableCFG1Optimization forces the negative pass even at cfg 1.
	DisableCFG1Optimization bool
}
