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
	Seed              uint64 //
	BatchIndex        []int  // the latent's batch_index, nil when absent
	Device            Device // which torch generator to imitate
	BatchSeedMode     string // incremental | comfy | variation str inc:<step>
	VariationSeed     uint64
	VariationStrength float64
	VariationMethod   string // linear | slerp; "" means linear
}

// Prepare is Inspire's prepare_noise (spec 5).
func Prepare(p Params) (*tensor.Tensor, error) {
	if err := checkShape(p.Shape, p.BatchIndex); err != nil {
		return nil, err
	}
	step, err := parseMode(p.BatchSeedMode)
	if err != nil {
		return nil, err
	}
	method := p.VariationMethod
	if method == "" {
		method = MethodLinear
	}
	if method != MethodLinear && method != MethodSlerp {
		return nil, fmt.Errorf("noise: unknown variation method %q (want %q or %q)", p.VariationMethod, MethodLinear, MethodSlerp)
	}
	if math.IsNaN(p.VariationStrength) || math.IsInf(p.VariationStrength, 0) {
		return nil, fmt.Errorf("noise: variation strength %v is not finite", p.VariationStrength)
	}
	if p.Device != DeviceCPU && p.Device != DeviceCUDA {
		return nil, fmt.Errorf("noise: unknown device %q", p.Device)
	}
	b := p.Shape[0]
	one := append([]int{1}, p.Shape[1:]...)
	perItem := tensor.Numel(one)
	incremental := p.BatchSeedMode == ModeIncremental
	if incremental && p.BatchIndex == nil && uint64(b-1) > math.MaxUint64-p.Seed {
		return nil, fmt.Errorf("noise: incremental seed %d + %d overflows 64 bits", p.Seed, b-1)
	}

	// Variation noise, drawn before the main noise; every seed() restarts
	// the stream, so it does not shift the main noise. With batch_index it is
	// never applied, so it is not drawn.
	var variation []float32
	if p.BatchIndex == nil && (p.VariationStrength > 0 || step != nil) {
		g, _ := NewGenerator(p.Device, p.VariationSeed)
		variation = make([]float32, perItem)
		g.Randn(variation)
	}
	mix := func(rows []float32, extra float64) {
		if variation == nil {
			return
		}
		s := p.VariationStrength + extra
		if method == MethodSlerp {
			mixSlerp(rows, variation, s)
		} else {
			mixLinear(rows, variation, s)
		}
	}

	switch {
	case p.BatchIndex == nil && incremental:
		out := tensor.New(p.Shape...)
		for i := 0; i < b; i++ {
			g, _ := NewGenerator(p.Device, p.Seed+uint64(i))
			row := out.Data[i*perItem : (i+1)*perItem]
			g.Randn(row)
			mix(row, 0)
		}
		return out, nil
	case p.BatchIndex == nil && step != nil:
		out := tensor.New(p.Shape...)
		for i := 0; i < b; i++ {
			g, _ := NewGenerator(p.Device, p.Seed)
			row := out.Data[i*perItem : (i+1)*perItem]
			g.Randn(row)
			mix(row, *step*float64(i))
		}
		return out, nil
	case p.BatchIndex == nil:
		out := tensor.New(p.Shape...)
		g, _ := NewGenerator(p.Device, p.Seed)
		g.Randn(out.Data)
		mix(out.Data, 0)
		return out, nil
	default:
		g, _ := NewGenerator(p.Device, p.Seed)
		return drawIndexed(g, p.Shape, p.BatchIndex), nil
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
