package sampling

import (
	"context"
	"fmt"

	"comfyd/tensor"
)

// Guider is ComfyUI's CFGGuider around one model (spec 3): each Denoise
// call evaluates the positive and negative conds (spec 1.5), combines each
// side's conds with ComfyUI's area/mask/strength weights (calc_cond_batch)
// and applies classifier-free guidance. Buffers are sized on the first call
// for a latent shape, so later calls allocate nothing.
type Guider struct {
	Model *Model
	CFG   float64
	// Ctx cancels model evaluations; nil means context.Background().
	Ctx context.Context
	// Evals counts Denoise calls (the golden files' denoiser_evals).
	Evals int

	positive, negative Conditioning
	shape              []int
	pos, neg           []*preparedCond
	condOut, uncondOut *tensor.Tensor
	acc                accumulator
	inpaint            *inpaint
}

// NewGuider returns the guided denoiser for model, conditionings and cfg.
// Use its Denoise method as a DenoiseFunc.
func NewGuider(model *Model, positive, negative Conditioning, cfg float64) *Guider {
	return &Guider{Model: model, CFG: cfg, positive: positive, negative: negative}
}

// skipsUncond is ComfyUI's cfg == 1 optimisation (math.isclose, rel 1e-9).
func (g *Guider) skipsUncond() bool {
	return isClose(g.CFG, 1, 1e-9) && !g.Model.DisableCFG1Optimization
}

// Denoise writes D(x, sigma) into dst and, when uncond is not nil, the
// negative prediction into uncond (never skipped then). It has the
// DenoiseFunc signature.
func (g *Guider) Denoise(dst, uncond, x *tensor.Tensor, sigma float32) error {
	g.Evals++
	if err := g.prepare(x.Shape); err != nil {
		return err
	}
	xin := x
	if g.inpaint != nil {
		xin = g.inpaint.blendInput(x, sigma, g.Model.Sampling.Kind())
	}
	if err := g.side(g.condOut, g.pos, xin, sigma); err != nil {
		return err
	}
	if uncond != nil || !g.skipsUncond() {
		if err := g.side(g.uncondOut, g.neg, xin, sigma); err != nil {
			return err
		}
	} else {
		clear(g.uncondOut.Data)
	}
	scale := float32(g.CFG)
	for i, c := range g.condOut.Data {
		u := g.uncondOut.Data[i]
		dst.Data[i] = u + float32((c-u)*scale)
	}
	if uncond != nil {
		copy(uncond.Data, g.uncondOut.Data)
	}
	if g.inpaint != nil {
		// The CFG++ uncond is recorded inside the CFG function, before
		// KSamplerX0Inpaint blends the output: it stays unblended.
		g.inpaint.blendOutput(dst)
	}
	return nil
}

// prepare resolves areas and masks for a latent shape (ComfyUI's
// resolve_areas_and_cond_masks and create_cond_with_same_area_if_none).
func (g *Guider) prepare(shape []int) error {
	if g.shape != nil && tensor.EqualShape(g.shape, shape) {
		return nil
	}
	if len(shape) != 4 {
		return fmt.Errorf("sampling: latent must be [B,C,H,W], got %v", shape)
	}
	if len(g.positive) == 0 {
		return fmt.Errorf("sampling: positive conditioning is empty")
	}
	pos, err := resolveConds(g.positive, shape)
	if err != nil {
		return err
	}
	neg, err := resolveConds(g.negative, shape)
	if err != nil {
		return err
	}
	// ComfyUI walks positive then negative, so areas added to the negative
	// side are visible when the positive side is completed.
	neg, err = withOppositeAreas(neg, pos)
	if err != nil {
		return err
	}
	if pos, err = withOppositeAreas(pos, neg); err != nil {
		return err
	}
	g.pos, g.neg = pos, neg
	g.shape = append([]int(nil), shape...)
	g.condOut, g.uncondOut = tensor.New(shape...), tensor.New(shape...)
	g.acc = accumulator{}
	if !isPlainSide(pos) || !isPlainSide(neg) {
		g.acc = accumulator{sum: tensor.New(shape...), count: tensor.New(shape...)}
	}
	return nil
}

// side writes the combined prediction of one side's conds into dst.
func (g *Guider) side(dst *tensor.Tensor, conds []*preparedCond, x *tensor.Tensor, sigma float32) error {
	if isPlainSide(conds) {
		return g.applyModel(dst, x, sigma, conds[0])
	}
	g.acc.reset()
	for _, pc := range conds {
		if err := g.applyModel(pc.out, pc.crop(x), sigma, pc); err != nil {
			return err
		}
		g.acc.add(pc)
	}
	g.acc.divide(dst)
	return nil
}

// isPlainSide reports a side with one full-frame, unmasked, strength-1
// cond: its weighted average is exactly that cond's prediction.
func isPlainSide(conds []*preparedCond) bool { return len(conds) == 1 && conds[0].plain }

// applyModel is BaseModel.apply_model (spec 1.5) for one cond: scale the
// input, run the network, turn its output into an x0 prediction.
func (g *Guider) applyModel(dst, x *tensor.Tensor, sigma float32, pc *preparedCond) error {
	ms := g.Model.Sampling
	kind := ms.Kind()
	CalculateInput(pc.xc, x, sigma, kind)
	b := x.Shape[0]
	pc.sigmas, pc.timesteps = pc.sigmas[:0], pc.timesteps[:0]
	t := ms.Timestep(sigma)
	for range b {
		pc.sigmas = append(pc.sigmas, sigma)
		pc.timesteps = append(pc.timesteps, t)
	}
	ctx := g.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := g.Model.Net.Apply(ctx, pc.raw, pc.xc, pc.timesteps, pc.sigmas, &pc.cond); err != nil {
		return err
	}
	CalculateDenoised(dst, pc.raw, x, sigma, kind)
	return nil
}

// accumulator is calc_cond_batch's out_conds/out_counts pair: predictions
// weighted by their mult, divided by the summed weights (+1e-37).
type accumulator struct{ sum, count *tensor.Tensor }

func (a *accumulator) reset() {
	clear(a.sum.Data)
	for i := range a.count.Data {
		a.count.Data[i] = 1e-37
	}
}

func (a *accumulator) add(pc *preparedCond) {
	B, C, H, W := a.sum.Shape[0], a.sum.Shape[1], a.sum.Shape[2], a.sum.Shape[3]
	ar := pc.area
	i := 0
	for b := range B {
		for c := range C {
			for y := ar.Y; y < ar.Y+ar.Height; y++ {
				base := ((b*C+c)*H+y)*W + ar.X
				for x := range ar.Width {
					m := pc.mult.Data[i]
					a.sum.Data[base+x] += float32(pc.out.Data[i] * m)
					a.count.Data[base+x] += m
					i++
				}
			}
		}
	}
}

func (a *accumulator) divide(dst *tensor.Tensor) {
	for i, s := range a.sum.Data {
		dst.Data[i] = s / a.count.Data[i]
	}
}

// preparedCond is a cond resolved for one latent shape, with its weights
// and per-call buffers.
type preparedCond struct {
	cond Cond
	area Area // always set, full frame when the cond has none
	// plain marks a full-frame, unmasked, strength-1 cond whose weighted
	// average is exactly its own prediction.
	plain             bool
	mult              *tensor.Tensor // [B,C,h,w] weights
	xin, xc, raw, out *tensor.Tensor // cropped input, scaled input, network output, x0
	sigmas, timesteps []float32
	hasArea, hasMask  bool
	fullShape         []int
}

// crop returns the cond's part of x: x itself for a full-frame cond,
// else its area copied into pc.xin.
func (pc *preparedCond) crop(x *tensor.Tensor) *tensor.Tensor {
	if !pc.hasArea {
		return x
	}
	B, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ar := pc.area
	i := 0
	for b := range B {
		for c := range C {
			for y := ar.Y; y < ar.Y+ar.Height; y++ {
				base := ((b*C+c)*H+y)*W + ar.X
				i += copy(pc.xin.Data[i:], x.Data[base:base+ar.Width])
			}
		}
	}
	return pc.xin
}

// resolveConds prepares every cond of one side for a latent shape.
func resolveConds(cs Conditioning, shape []int) ([]*preparedCond, error) {
	out := make([]*preparedCond, 0, len(cs))
	for i := range cs {
		pc, err := newPreparedCond(cs[i], shape)
		if err != nil {
			return nil, err
		}
		out = append(out, pc)
	}
	return out, nil
}

func newPreparedCond(c Cond, shape []int) (*preparedCond, error) {
	B, C, H, W := shape[0], shape[1], shape[2], shape[3]
	pc := &preparedCond{cond: c, fullShape: shape, area: Area{Height: H, Width: W}}
	var mask *tensor.Tensor
	if c.Mask != nil {
		var err error
		if mask, err = resizeMask(c.Mask, H, W); err != nil {
			return nil, err
		}
		pc.hasMask = true
	}
	if a := resolveArea(c, mask, H, W); a != nil {
		pc.area, pc.hasArea = *a, true
	}
	strength := c.Strength
	pc.plain = !pc.hasArea && !pc.hasMask && strength == 1
	cropShape := []int{B, C, pc.area.Height, pc.area.Width}
	pc.xc, pc.raw = tensor.New(cropShape...), tensor.New(cropShape...)
	pc.sigmas, pc.timesteps = make([]float32, 0, B), make([]float32, 0, B)
	if pc.hasArea {
		pc.xin = tensor.New(cropShape...)
	}
	pc.out = tensor.New(cropShape...)
	pc.mult = areaMult(pc, mask, strength, H, W)
	return pc, nil
}
