package noise

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"comfyd/tensor"
)

// maxBatchIndex bounds batch_index entries: the reference draws one latent of
// noise for every index up to the largest, so a huge index is a
// denial-of-service rather than a useful request.
const maxBatchIndex = 1 << 16

// Batch seed modes of KSampler (inspire) (its incremental_seed_mode).
const (
	ModeIncremental     = "incremental"
	ModeComfy           = "comfy"
	ModeVariationInc001 = "variation str inc:0.01"
	ModeVariationInc005 = "variation str inc:0.05"
	variationIncPrefix  = "variation str inc:"
)

// Variation methods.
const (
	MethodLinear = "linear"
	MethodSlerp  = "slerp"
)

// PrepareComfy is ComfyUI's standard prepare_noise (spec 2.3): a CPU
// generator seeded with seed; one randn of the whole shape, or with
// batchIndex one [1, ...] draw per index 0..max(batchIndex) with
// noise[b] = draw[batchIndex[b]]. Any rank >= 2 is accepted (video latents
// are 5-D), the batch being the first dimension.
func PrepareComfy(shape []int, seed uint64, batchIndex []int) (*tensor.Tensor, error) {
	if len(shape) < 2 {
		return nil, fmt.Errorf("noise: latent shape %v has no batch and channel dimensions", shape)
	}
	if err := checkDims(shape, batchIndex); err != nil {
		return nil, err
	}
	g := NewCPU(seed)
	if batchIndex == nil {
		out := tensor.New(shape...)
		g.Randn(out.Data)
		return out, nil
	}
	return drawIndexed(g, shape, batchIndex), nil
}

// Params are the inputs of Inspire's prepare_noise (spec 5).
type Params struct {
	Shape             []int  // [B, C, H, W]
	Seed              uint64 // the node's seed
	BatchIndex        []int  // the latent's batch_index, nil when absent
	Device            Device // which torch generator to imitate
	BatchSeedMode     string // incremental | comfy | variation str inc:<step>
	VariationSeed     uint64
	VariationStrength float64
	VariationMethod   string // linear | slerp; "" means linear
}

// Prepare is Inspire's prepare_noise (spec 5).
func Prepare(p Params) (*tensor.Tensor, error) {
	step, err := p.validate()
	if err != nil {
		return nil, err
	}
	// With batch_index: ComfyUI's per-index draws from seed, never a
	// variation, whatever the mode and strength.
	if p.BatchIndex != nil {
		return drawIndexed(p.generator(p.Seed), p.Shape, p.BatchIndex), nil
	}
	out := tensor.New(p.Shape...)
	perItem := len(out.Data) / p.Shape[0]
	mix := p.variationMixer(perItem, step)
	switch {
	case p.BatchSeedMode == ModeIncremental:
		for i := range p.Shape[0] {
			row := out.Data[i*perItem : (i+1)*perItem]
			p.generator(p.Seed + uint64(i)).Randn(row)
			mix(row, 0)
		}
	case step != nil:
		// Every item gets the same base noise; the strength grows by step.
		for i := range p.Shape[0] {
			row := out.Data[i*perItem : (i+1)*perItem]
			p.generator(p.Seed).Randn(row)
			mix(row, *step*float64(i))
		}
	default:
		p.generator(p.Seed).Randn(out.Data)
		mix(out.Data, 0)
	}
	return out, nil
}

// validate checks every input and returns the strength step of a
// "variation str inc" mode (nil for the others).
func (p *Params) validate() (step *float64, err error) {
	if err := checkShape(p.Shape, p.BatchIndex); err != nil {
		return nil, err
	}
	if step, err = parseMode(p.BatchSeedMode); err != nil {
		return nil, err
	}
	switch p.VariationMethod {
	case "", MethodLinear, MethodSlerp:
	default:
		return nil, fmt.Errorf("noise: unknown variation method %q (want %q or %q)", p.VariationMethod, MethodLinear, MethodSlerp)
	}
	if math.IsNaN(p.VariationStrength) || math.IsInf(p.VariationStrength, 0) {
		return nil, fmt.Errorf("noise: variation strength %v is not finite", p.VariationStrength)
	}
	if _, err := ParseDevice(string(p.Device)); err != nil {
		return nil, err
	}
	last := uint64(p.Shape[0] - 1)
	if p.BatchSeedMode == ModeIncremental && p.BatchIndex == nil && last > math.MaxUint64-p.Seed {
		return nil, fmt.Errorf("noise: incremental seed %d + %d overflows 64 bits", p.Seed, last)
	}
	return step, nil
}

// generator is seed(S) on the device: a freshly seeded global generator
// (torch.manual_seed / torch.cuda.manual_seed; offset and cache reset).
func (p *Params) generator(seed uint64) Generator {
	if p.Device == DeviceCUDA {
		return NewCUDA(seed)
	}
	return NewCPU(seed)
}

// variationMixer draws the variation noise V (one [1,C,H,W] draw seeded with
// the variation seed, before the main noise: re-seeding restarts the stream,
// so it does not shift the main noise) when the strength is positive or the
// mode is a "variation str inc" one, and returns apply(rows, extra): mix V
// into each row with strength VariationStrength + extra. Without V, apply
// leaves rows alone.
func (p *Params) variationMixer(perItem int, step *float64) func(rows []float32, extra float64) {
	if !(p.VariationStrength > 0 || step != nil) {
		return func([]float32, float64) {}
	}
	v := make([]float32, perItem)
	p.generator(p.VariationSeed).Randn(v)
	slerp := p.VariationMethod == MethodSlerp
	return func(rows []float32, extra float64) {
		s := p.VariationStrength + extra
		if slerp {
			mixSlerp(rows, v, s)
		} else {
			mixLinear(rows, v, s)
		}
	}
}

// parseMode validates a batch seed mode; for "variation str inc:<step>" it
// returns the step.
func parseMode(mode string) (*float64, error) {
	switch mode {
	case ModeIncremental, ModeComfy:
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(mode, variationIncPrefix); ok {
		step, err := strconv.ParseFloat(rest, 64)
		if err == nil && !math.IsNaN(step) && !math.IsInf(step, 0) {
			return &step, nil
		}
	}
	return nil, fmt.Errorf("noise: unknown batch seed mode %q (want %q, %q, %q or %q)",
		mode, ModeIncremental, ModeComfy, ModeVariationInc001, ModeVariationInc005)
}

// checkShape validates Inspire's [B, C, H, W] latent shape (its
// prepare_noise indexes exactly four dimensions) and the batch index.
func checkShape(shape []int, batchIndex []int) error {
	if len(shape) != 4 {
		return fmt.Errorf("noise: latent shape %v is not [B, C, H, W]", shape)
	}
	return checkDims(shape, batchIndex)
}

// checkDims validates positive dimensions of a sane total size and the
// batch index entries against the batch dimension.
func checkDims(shape []int, batchIndex []int) error {
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return fmt.Errorf("noise: latent shape %v has a non-positive dimension", shape)
		}
		if n > math.MaxInt32/d {
			return fmt.Errorf("noise: latent shape %v is too large", shape)
		}
		n *= d
	}
	if batchIndex != nil {
		if len(batchIndex) != shape[0] {
			return fmt.Errorf("noise: %d batch_index entries for a batch of %d", len(batchIndex), shape[0])
		}
		for _, i := range batchIndex {
			if i < 0 || i >= maxBatchIndex {
				return fmt.Errorf("noise: batch_index entry %d outside [0, %d)", i, maxBatchIndex)
			}
		}
	}
	return nil
}

// drawIndexed is ComfyUI's batch_index procedure: draws of shape [1, ...]
// for i = 0..max(batchIndex) on g, noise[b] = draw[batchIndex[b]].
func drawIndexed(g Generator, shape []int, batchIndex []int) *tensor.Tensor {
	out := tensor.New(shape...)
	perItem := len(out.Data) / shape[0]
	draw := make([]float32, perItem)
	last := slices.Max(batchIndex)
	for i := 0; i <= last; i++ {
		g.Randn(draw)
		for b, want := range batchIndex {
			if want == i {
				copy(out.Data[b*perItem:(b+1)*perItem], draw)
			}
		}
	}
	return out
}
