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
}

// NewSamplingProgress prepares progress reporting for one sampling call.
// factors and bias
// are the model's latent_rgb_factors (nil: the family has none, so no
// preview). Previews follow ctx.Env.PreviewMethod: "none" (or empty) sends
// none; "auto", "latent2rgb" and "taesd" use latent2rgb (comfyd has no
// TAESD decoder; ComfyUI also falls back to latent2rgb without one).
func NewSamplingProgress(ctx *Context, factors [][3]float32, bias [3]float32) *SamplingProgress {
	p := &SamplingProgress{ctx: ctx, factors: factors, bias: bias, size: PreviewSize, now: time.Now}
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
