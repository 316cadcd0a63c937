// Package analytic is the closed-form test denoiser of spec section 9: the
// exact posterior mean of a per-element two-component Gaussian mixture
// prior, exposed as a sampling.DiffusionModel so that model sampling, CFG
// and every sampler run unchanged around it. Golden tests and benchmarks
// use it in place of a UNet.
package analytic

import (
	"context"
	"fmt"
	"math"
	"sync"

	"comfyd/sampling"
	"comfyd/tensor"
)

// Prior selects which mixture a cond denoises towards.
type Prior int

const (
	Positive Prior = iota
	Negative
)

// ExtraKey is the Cond.Extra key carrying the Prior, standing in for the
// text embedding a real network would read.
const ExtraKey = "analytic.prior"

// Cond returns a full-frame cond of the given prior.
func Cond(p Prior) sampling.Cond {
	return sampling.Cond{Strength: 1, Extra: map[string]any{ExtraKey: p}}
}

// Conditioning returns a one-cond CONDITIONING of the given prior.
func Conditioning(p Prior) sampling.Conditioning { return sampling.Conditioning{Cond(p)} }

// component is one mixture component; mean = base + slope*pattern, where
// the pattern is u or v of spec 9.
type component struct {
	weight, base, slope, sd float64
	useV                    bool
}

var priors = [2][2]component{
	Positive: {{0.6, 0.8, 0.4, 0.5, false}, {0.4, -0.4, 0.4, 0.6, true}},
	Negative: {{0.5, 0.3, -0.3, 0.7, true}, {0.5, -0.3, 0.3, 0.6, false}},
}

// Model is the analytic denoiser for one parameterisation.
type Model struct {
	kind sampling.Parameterization

	mu   sync.Mutex // guards call, which is reused by every Apply
	call applyCall
}

// New returns the analytic denoiser for a parameterisation.
func New(kind sampling.Parameterization) sampling.DiffusionModel { return &Model{kind: kind} }

// NewModel returns one of the spec's model configurations ("sd1_eps",
// "sd1_v", "sd3_flow") as a MODEL value.
func NewModel(config string) (*sampling.Model, error) {
	switch config {
	case "sd1_eps":
		return &sampling.Model{Name: config, Net: New(sampling.EPS),
			Sampling: sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS), Format: sampling.SD15}, nil
	case "sd1_v":
		return &sampling.Model{Name: config, Net: New(sampling.VPrediction),
			Sampling: sampling.NewDiscrete(sampling.ScaledLinear, sampling.VPrediction), Format: sampling.SD15}, nil
	case "sd3_flow":
		return &sampling.Model{Name: config, Net: New(sampling.Const),
			Sampling: sampling.NewFlow(3.0, 1000), Format: sampling.SD3}, nil
	}
	return nil, fmt.Errorf("analytic: unknown model configuration %q", config)
}

// PatternLatent is the spec's "pattern" input latent in VAE units.
func PatternLatent(shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	i := 0
	for b := 0; b < shape[0]; b++ {
		for c := 0; c < shape[1]; c++ {
			for h := 0; h < shape[2]; h++ {
				for w := 0; w < shape[3]; w++ {
					t.Data[i] = float32((float64((5*h+3*w+11*c+2*b)%13)/6 - 1) * 4)
					i++
				}
			}
		}
	}
	return t
}

// Apply writes the network output for xc [B,C,H,W] at the raw sigmas (one
// per batch row) into dst. The timestep is not used (spec 9).
func (m *Model) Apply(ctx context.Context, dst, xc *tensor.Tensor, timestep, sigma []float32, c *sampling.Cond) error {
	if len(xc.Shape) != 4 || !tensor.SameShape(dst, xc) {
		return fmt.Errorf("analytic: want matching [B,C,H,W] tensors, got %v and %v", xc, dst)
	}
	if len(sigma) != xc.Shape[0] {
		return fmt.Errorf("analytic: %d sigmas for batch %d", len(sigma), xc.Shape[0])
	}
	prior, ok := c.Extra[ExtraKey].(Prior)
	if !ok || (prior != Positive && prior != Negative) {
		return fmt.Errorf("analytic: cond carries no %s prior", ExtraKey)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.call.set(m.kind, prior, dst, xc, sigma)
	parallelRows(&m.call, xc.Shape[0]*xc.Shape[1]*xc.Shape[2], &m.call.wg)
	return nil
}

// applyCall holds one Apply's inputs; workers read it, each writing its
// own rows of dst.
type applyCall struct {
	kind    sampling.Parameterization
	comp    [2]component
	dst, xc *tensor.Tensor
	sigma   []float32
	wg      sync.WaitGroup
}

func (a *applyCall) set(kind sampling.Parameterization, p Prior, dst, xc *tensor.Tensor, sigma []float32) {
	a.kind, a.comp, a.dst, a.xc, a.sigma = kind, priors[p], dst, xc, sigma
}

// runRange handles rows lo..hi-1 of the [B*C*H, W] view.
func (a *applyCall) runRange(lo, hi int) {
	C, H, W := a.xc.Shape[1], a.xc.Shape[2], a.xc.Shape[3]
	var post posterior
	lastB := -1
	for row := lo; row < hi; row++ {
		b, c, h := row/(C*H), row/H%C, row%H
		if b != lastB {
			post = newPosterior(a.kind, a.comp, float64(a.sigma[b]))
			lastB = b
		}
		off := row * W
		xs, out := a.xc.Data[off:off+W], a.dst.Data[off:off+W]
		for w, x := range xs {
			u := float64((3*h+5*w+7*c)%11)/10 - 0.5
			v := float64((2*h+3*w+c)%7)/6 - 0.5
			out[w] = float32(post.output(float64(x), u, v))
		}
	}
}

// posterior holds the per-sigma constants of one prior's posterior mean.
type posterior struct {
	kind          sampling.Parameterization
	s, root, s2p1 float64 // sigma, sqrt(s^2+1), s^2+1
	q             float64 // noise level seen by the prior
	comp          [2]component
	logc, twoVar  [2]float64 // log(w) - log(var)/2 and 2 var
	gain          [2]float64 // sd^2/var
	flowKeep      float64    // 1-s for CONST
	flowDegen     bool       // CONST at s >= 1: use the prior mean
}

func newPosterior(kind sampling.Parameterization, comp [2]component, s float64) posterior {
	p := posterior{kind: kind, s: s, comp: comp, s2p1: s*s + 1}
	p.root = math.Sqrt(p.s2p1)
	p.q = s
	if kind == sampling.Const {
		if 1-s > 0 {
			p.flowKeep = 1 - s
			p.q = s / (1 - s)
		} else {
			p.flowDegen = true
		}
	}
	for k, cp := range comp {
		v := cp.sd*cp.sd + p.q*p.q
		p.logc[k] = math.Log(cp.weight) - 0.5*math.Log(v)
		p.twoVar[k] = 2 * v
		p.gain[k] = cp.sd * cp.sd / v
	}
	return p
}

// mean returns the posterior mean of x0 given y = x0 + q*noise.
func (p *posterior) mean(y, u, v float64) float64 {
	var mu [2]float64
	for k, cp := range p.comp {
		pat := u
		if cp.useV {
			pat = v
		}
		mu[k] = cp.base + cp.slope*pat
	}
	d0, d1 := y-mu[0], y-mu[1]
	l0 := p.logc[0] - d0*d0/p.twoVar[0]
	l1 := p.logc[1] - d1*d1/p.twoVar[1]
	m0 := mu[0] + p.gain[0]*d0
	m1 := mu[1] + p.gain[1]*d1
	// Softmax after subtracting the larger logit, as the reference does:
	// only one exp is not exp(0).
	e0, e1 := 1.0, 1.0
	if l0 >= l1 {
		e1 = math.Exp(l1 - l0)
	} else {
		e0 = math.Exp(l0 - l1)
	}
	sum := e0 + e1
	return e0/sum*m0 + e1/sum*m1
}

// output is the network output of spec 9 for scaled input xc.
func (p *posterior) output(xc, u, v float64) float64 {
	switch p.kind {
	case sampling.Const:
		var mm float64
		if p.flowDegen {
			for _, cp := range p.comp {
				pat := u
				if cp.useV {
					pat = v
				}
				mm += cp.weight * (cp.base + cp.slope*pat)
			}
		} else {
			mm = p.mean(xc/p.flowKeep, u, v)
		}
		return (xc - mm) / p.s
	case sampling.VPrediction:
		xi := xc * p.root
		return (xi/p.s2p1 - p.mean(xi, u, v)) * p.root / p.s
	default:
		xi := xc * p.root
		return (xi - p.mean(xi, u, v)) / p.s
	}
}
