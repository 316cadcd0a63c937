package sampling

import (
	"math"
	"sort"

	"comfyd/tensor"
)

// BetaSchedule selects a discrete model's beta schedule (spec 1.1).
type BetaSchedule int

const (
	// ScaledLinear is ComfyUI's "linear": linear in sqrt(beta).
	ScaledLinear BetaSchedule = iota
	// Linear is ComfyUI's "sqrt_linear": linear in beta.
	Linear
)

const discreteTimesteps = 1000

// Discrete is ComfyUI's ModelSamplingDiscrete (SD1.x, SD2.x, SDXL).
type Discrete struct {
	kind      Parameterization
	sigmas    []float32
	logSigmas []float32
}

// NewDiscrete builds the 1000-entry sigma table in float64 and rounds each
// entry once, as ComfyUI's _register_schedule does.
func NewDiscrete(schedule BetaSchedule, kind Parameterization) *Discrete {
	const start, end = 0.00085, 0.012
	var betas []float64
	switch schedule {
	case Linear:
		betas = LinspaceF64(start, end, discreteTimesteps)
	default:
		betas = LinspaceF64(math.Sqrt(start), math.Sqrt(end), discreteTimesteps)
		for i, b := range betas {
			betas[i] = b * b
		}
	}
	d := &Discrete{kind: kind, sigmas: make([]float32, discreteTimesteps), logSigmas: make([]float32, discreteTimesteps)}
	cum := 1.0
	for k, b := range betas {
		cum *= 1 - b
		s := math.Sqrt((1 - cum) / cum)
		d.sigmas[k] = float32(s)
		d.logSigmas[k] = float32(math.Log(s))
	}
	return d
}

func (d *Discrete) Kind() Parameterization { return d.kind }
func (d *Discrete) SigmaMin() float32      { return d.sigmas[0] }
func (d *Discrete) SigmaMax() float32      { return d.sigmas[len(d.sigmas)-1] }
func (d *Discrete) Sigmas() []float32      { return d.sigmas }

// LogSigmas is the float32 table of log(sigma) used by Timestep and Sigma.
func (d *Discrete) LogSigmas() []float32 { return d.logSigmas }

// Timestep returns the index of the nearest log-sigma (ties to the lower
// index, like torch's argmin over |log(sigma) - log_sigmas|). The table
// increases, so the float32 distances fall then rise: a binary search finds
// the neighbours and equal distances further left are walked to keep
// argmin's tie rule.
func (d *Discrete) Timestep(sigma float32) float32 {
	l := logf(sigma)
	dist := func(k int) float32 {
		v := l - d.logSigmas[k]
		if v < 0 {
			return -v
		}
		return v
	}
	k := sort.Search(len(d.logSigmas), func(i int) bool { return d.logSigmas[i] >= l })
	if k == len(d.logSigmas) || (k > 0 && dist(k-1) <= dist(k)) {
		k--
	}
	for k > 0 && dist(k-1) == dist(k) {
		k--
	}
	return float32(k)
}

// Sigma interpolates log-sigma linearly between the neighbouring integer
// timesteps, in float32 like ComfyUI.
func (d *Discrete) Sigma(t float32) float32 {
	t = min(max(t, 0), float32(len(d.sigmas)-1))
	lo := float32(math.Floor(float64(t)))
	hi := float32(math.Ceil(float64(t)))
	w := t - lo
	ls := float32((1-w)*d.logSigmas[int(lo)]) + float32(w*d.logSigmas[int(hi)])
	return expf(ls)
}

// PercentToSigma is ComfyUI's percent_to_sigma for discrete models.
func (d *Discrete) PercentToSigma(p float64) float64 {
	if p <= 0 {
		return 999999999.9
	}
	if p >= 1 {
		return 0
	}
	return float64(d.Sigma(float32((1 - p) * 999)))
}

// Flow is ComfyUI's ModelSamplingDiscreteFlow (SD3-style rectified flow).
type Flow struct {
	shift, multiplier float64
	sigmas            []float32
}

// NewFlow builds the flow table with float32 tensor arithmetic (spec 1.2).
func NewFlow(shift, multiplier float64) *Flow {
	f := &Flow{shift: shift, multiplier: multiplier, sigmas: make([]float32, discreteTimesteps)}
	const n = float32(discreteTimesteps)
	for k := range f.sigmas {
		t := float32(k+1) / n
		t = t * float32(multiplier)
		f.sigmas[k] = f.Sigma(t)
	}
	return f
}

func (f *Flow) Kind() Parameterization { return Const }
func (f *Flow) SigmaMin() float32      { return f.sigmas[0] }
func (f *Flow) SigmaMax() float32      { return f.sigmas[len(f.sigmas)-1] }
func (f *Flow) Sigmas() []float32      { return f.sigmas }
func (f *Flow) Shift() float64         { return f.shift }

// Timestep is sigma * multiplier (float32).
func (f *Flow) Timestep(sigma float32) float32 { return sigma * float32(f.multiplier) }

// Sigma is time_snr_shift(shift, t / multiplier) on float32 tensors.
func (f *Flow) Sigma(t float32) float32 {
	t = t / float32(f.multiplier)
	if f.shift == 1 {
		return t
	}
	num := float32(f.shift) * t
	den := 1 + float32(float32(f.shift-1)*t)
	return num / den
}

// PercentToSigma works on Python floats (float64) for flow models.
func (f *Flow) PercentToSigma(p float64) float64 {
	if p <= 0 {
		return 1
	}
	if p >= 1 {
		return 0
	}
	t := 1 - p
	if f.shift == 1 {
		return t
	}
	return f.shift * t / (1 + (f.shift-1)*t)
}

// logf and expf are float32 log/exp; rounding the float64 result is within
// one ulp of torch's float32 kernels.
func logf(x float32) float32 { return float32(math.Log(float64(x))) }
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }

func sqrtf(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// CalculateInput writes the network input for x at sigma into dst (spec
// 1.3): x / sqrt(s^2 + 1) for EPS and V, x itself for CONST.
func CalculateInput(dst, x *tensor.Tensor, sigma float32, kind Parameterization) {
	if kind == Const {
		copy(dst.Data, x.Data)
		return
	}
	scale := sqrtf(float32(sigma*sigma) + 1)
	for i, v := range x.Data {
		dst.Data[i] = v / scale
	}
}

// CalculateDenoised turns the raw network output into the x0 prediction
// (spec 1.3); dst may alias out but not x.
func CalculateDenoised(dst, out, x *tensor.Tensor, sigma float32, kind Parameterization) {
	if kind != VPrediction {
		for i, o := range out.Data {
			dst.Data[i] = x.Data[i] - float32(o*sigma)
		}
		return
	}
	s2p1 := float32(sigma*sigma) + 1
	root := sqrtf(s2p1)
	for i, o := range out.Data {
		dst.Data[i] = x.Data[i]/s2p1 - float32(o*sigma)/root
	}
}

// NoiseScaling writes the sampler's starting point into dst (spec 1.3):
// EPS/V add the scaled noise to the latent, CONST interpolates.
func NoiseScaling(dst, noise, latent *tensor.Tensor, sigma float32, maxDenoise bool, kind Parameterization) {
	if kind == Const {
		keep := 1 - sigma
		for i, n := range noise.Data {
			dst.Data[i] = float32(sigma*n) + float32(keep*latent.Data[i])
		}
		return
	}
	scale := sigma
	if maxDenoise {
		scale = sqrtf(1 + float32(sigma*sigma))
	}
	for i, n := range noise.Data {
		dst.Data[i] = float32(n*scale) + latent.Data[i]
	}
}

// InverseNoiseScaling undoes the CONST interpolation at the last sigma;
// it is the identity for EPS and V.
func InverseNoiseScaling(dst, x *tensor.Tensor, sigma float32, kind Parameterization) {
	if kind != Const {
		copy(dst.Data, x.Data)
		return
	}
	keep := 1 - sigma
	for i, v := range x.Data {
		dst.Data[i] = v / keep
	}
}

// MaxDenoise is ComfyUI's max_denoise test: the first sigma is (close to or
// above) the model's sigma_max.
func MaxDenoise(ms ModelSampling, first float32) bool {
	smax := float64(ms.SigmaMax())
	s0 := float64(first)
	return isClose(smax, s0, 1e-5) || s0 > smax
}

// isClose is Python's math.isclose with abs_tol 0.
func isClose(a, b, rel float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}
