package nodes

import (
	"time"

	"comfyd/tensor"
)

// Progress throttling as ComfyUI's ProgressBar (spec 6.2): the first and
// the final update and every update carrying a preview are sent; others
// only after progressMinInterval and a move of progressMinFraction of max.
const (
	progressMinInterval = 100 * time.Millisecond
	progressMinFraction = 0.005
	// progressLogInterval spaces the terminal's progress lines for long
	// sampling runs (ComfyUI shows a tqdm bar there).
	progressLogInterval = 2 * time.Second
)

// SamplingProgress turns sampler steps into progress events and, when
// previews are on, latent2rgb JPEG previews of the denoised latent. One is
// made per sampling call.
type SamplingProgress struct {
	ctx     *Context
	factors [][3]float32
	bias    [3]float32
	preview bool
	size    int

	sent      bool
	lastValue int
	lastTime  time.Time
	now       func() time.Time

	started, lastLog time.Time
}

// NewSamplingProgress prepares progress reporting for one sampling call.
// factors and bias
// are the model's latent_rgb_factors (nil: the family has none, so no
// preview). Previews follow ctx.Env.PreviewMethod: "none" (or empty) sends
// none; "auto", "latent2rgb" and "taesd" use latent2rgb (comfyd has no
// TAESD decoder; ComfyUI also falls back to latent2rgb without one).
func NewSamplingProgress(ctx *Context, factors [][3]float32, bias [3]float32) *SamplingProgress {
	p := &SamplingProgress{ctx: ctx, factors: factors, bias: bias, size: PreviewSize, now: time.Now}
	p.started = p.now()
	p.lastLog = p.started
	if ctx != nil && ctx.Env != nil && factors != nil {
		switch ctx.Env.PreviewMethod {
		case "auto", "latent2rgb":
			p.preview = true
		case "taesd":
			ctx.Log().Warn("TAESD previews are not available in comfyd: using latent2rgb")
			p.preview = true
		}
	}
	return p
}

// Previews reports whether steps produce previews.
func (p *SamplingProgress) Previews() bool { return p.preview }

// Step reports step i (0-based) of total with the denoised latent x0 in
// model space. ComfyUI's callback sends value i+1 with max = total (the
// sampler's step count).
func (p *SamplingProgress) Step(i, total int, x0 *tensor.Tensor) {
	if p.ctx == nil {
		return
	}
	value := i + 1
	var jpeg []byte
	if p.preview && x0 != nil {
		if img, err := Latent2RGB(x0, p.factors, p.bias); err == nil {
			jpeg, err = EncodePreviewJPEG(img, p.size)
			if err != nil {
				jpeg = nil
			}
		}
	}
	now := p.now()
	p.logStep(value, total, now)
	if jpeg == nil && p.sent && value != total {
		moved := float64(value-p.lastValue) >= progressMinFraction*float64(total)
		if now.Sub(p.lastTime) < progressMinInterval || !moved {
			return
		}
	}
	p.sent, p.lastValue, p.lastTime = true, value, now
	p.ctx.Progress(value, total)
	if jpeg != nil {
		p.ctx.Preview("JPEG", jpeg)
	}
}

// logStep writes the terminal's progress: a line every
// progressLogInterval during long runs and one when sampling ends.
func (p *SamplingProgress) logStep(value, total int, now time.Time) {
	elapsed := now.Sub(p.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(value) / elapsed.Seconds()
	}
	switch {
	case value == total:
		p.ctx.Log().Info("sampled", "node", p.ctx.NodeID, "steps", total, "took", elapsed.Round(time.Millisecond), "it/s", round2(rate))
	case now.Sub(p.lastLog) >= progressLogInterval:
		p.lastLog = now
		p.ctx.Log().Info("sampling", "node", p.ctx.NodeID, "step", value, "of", total, "it/s", round2(rate))
	}
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
