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

// PatternLatent is the spec's "pattern" input latent in VAE units; shape
// is [B,C,H,W].
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
	if c == nil {
		return fmt.Errorf("analytic: no cond")
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
	prior   Prior
	dst, xc *tensor.Tensor
	sigma   []float32
	wg      sync.WaitGroup
}

func (a *applyCall) set(kind sampling.Parameterization, p Prior, dst, xc *tensor.Tensor, sigma []float32) {
	a.kind, a.prior, a.dst, a.xc, a.sigma = kind, p, dst, xc, sigma
}

// runRange handles rows lo..hi-1 of the [B*C*H, W] view.
func (a *applyCall) runRange(lo, hi int) {
	C, H, W := a.xc.Shape[1], a.xc.Shape[2], a.xc.Shape[3]
	var post posterior
	lastB := -1
	for row := lo; row < hi; row++ {
		b, c, h := row/(C*H), row/H%C, row%H
		if b != lastB {
			post = newPosterior(a.kind, a.prior, float64(a.sigma[b]))
			lastB = b
		}
		off := row * W
		post.row(a.dst.Data[off:off+W], a.xc.Data[off:off+W], c, h)
	}
}

// Pattern residues: u = ((3h + 5w + 7c) mod 11)/10 - 0.5 and
// v = ((2h + 3w + c) mod 7)/6 - 0.5 (spec 9). Along a row w advances u's
// residue by 5 and v's by 3; since 11 and 7 are coprime the residue pair
// runs through all 77 combinations with period 77, so each component's
// means along any row are a slice of one periodic sequence.
const (
	uMod, vMod = 11, 7
	period     = uMod * vMod
)

// meanSeqs holds, per prior and component, the component mean at step t
// of the residue cycle starting at (0, 0), extended by rowBlock entries so
// that any block is one contiguous slice. Means use the reference's
// float64 expression.
var meanSeqs = func() (seq [2][2][period + rowBlock]float64) {
	for p := range priors {
		for t := range period + rowBlock {
			u := float64(5*t%uMod)/10 - 0.5
			v := float64(3*t%vMod)/6 - 0.5
			for k, cp := range priors[p] {
				pat := u
				if cp.useV {
					pat = v
				}
				seq[p][k][t] = cp.base + cp.slope*pat
			}
		}
	}
	return seq
}()

// cyclePhase[u][v] is the step of the residue cycle at which (u, v) occurs.
var cyclePhase = func() (ph [uMod][vMod]int) {
	for t := range period {
		ph[5*t%uMod][3*t%vMod] = t
	}
	return ph
}()

// posterior holds the per-sigma constants of one prior's posterior mean.
type posterior struct {
	kind             sampling.Parameterization
	s, root, s2p1    float64 // sigma, sqrt(s^2+1), s^2+1
	keep             float64 // 1-s for CONST
	flowDegen        bool    // CONST at s >= 1: use the prior mean
	seq              *[2][period + rowBlock]float64
	weight0, weight1 float64
	k                meanConsts
}

func newPosterior(kind sampling.Parameterization, prior Prior, s float64) posterior {
	p := posterior{kind: kind, s: s, s2p1: s*s + 1, seq: &meanSeqs[prior], k: expConsts}
	p.root = math.Sqrt(p.s2p1)
	q := s
	if kind == sampling.Const {
		p.keep = 1 - s
		if p.keep > 0 {
			q = s / p.keep
		} else {
			p.flowDegen = true
		}
	}
	var logc, inv2V, gain [2]float64
	for k, cp := range priors[prior] {
		v := cp.sd*cp.sd + q*q
		logc[k] = math.Log(cp.weight) - 0.5*math.Log(v)
		inv2V[k] = 1 / (2 * v)
		gain[k] = cp.sd * cp.sd / v
	}
	p.k.logc0, p.k.logc1, p.k.inv2V0, p.k.inv2V1 = logc[0], logc[1], inv2V[0], inv2V[1]
	p.k.gain0, p.k.gain1 = gain[0], gain[1]
	p.weight0, p.weight1 = priors[prior][0].weight, priors[prior][1].weight
	return p
}

// rowBlock is how many elements of a row are prepared at a time; the
// block buffers live on the worker's stack.
const rowBlock = 64

// row writes the network output for one latent row at channel c, height h,
// a block at a time: the prior's input y, the means slice of the residue
// cycle, meanBlock, then the parameterisation's output formula.
func (p *posterior) row(out, xs []float32, c, h int) {
	t0 := cyclePhase[(3*h+7*c)%uMod][(2*h+c)%vMod]
	var y, m [rowBlock]float64
	for base := 0; base < len(xs); base += rowBlock {
		n := min(rowBlock, len(xs)-base)
		t := (t0 + base) % period
		mu0, mu1 := p.seq[0][t:t+n], p.seq[1][t:t+n]
		xb := xs[base : base+n]
		switch {
		case p.flowDegen:
			for i := range n {
				m[i] = p.weight0*mu0[i] + p.weight1*mu1[i]
			}
		case p.kind == sampling.Const:
			for i, x := range xb {
				y[i] = float64(x) / p.keep
			}
			meanBlock(m[:n], y[:n], mu0, mu1, &p.k)
		default:
			for i, x := range xb {
				y[i] = float64(x) * p.root
			}
			meanBlock(m[:n], y[:n], mu0, mu1, &p.k)
		}
		p.outputs(out[base:base+n], xb, m[:n])
	}
}

// outputs turns posterior means into the network output of spec 9.
func (p *posterior) outputs(out, xs []float32, m []float64) {
	switch p.kind {
	case sampling.Const:
		for i, x := range xs {
			out[i] = float32((float64(x) - m[i]) / p.s)
		}
	case sampling.VPrediction:
		for i, x := range xs {
			xi := float64(x) * p.root
			out[i] = float32((xi/p.s2p1 - m[i]) * p.root / p.s)
		}
	default:
		for i, x := range xs {
			xi := float64(x) * p.root
			out[i] = float32((xi - m[i]) / p.s)
		}
	}
}

// meanConsts are the per-sigma constants of the posterior mean followed by
// those of the vector exp; the assembly reads them by offset, so the
// layout is fixed.
type meanConsts struct {
	logc0, logc1   float64 // log(w) - log(var)/2
	inv2V0, inv2V1 float64 // 1/(2 var)
	gain0, gain1   float64 // sd^2/var
	one, minArg    float64
	log2e          float64
	ln2Hi, ln2Lo   float64
	magic          float64 // 1.5*2^52: adding it leaves an integer in the low bits
	bias           int64   // 1023, the exponent bias
	magicBits      int64   // the bits of magic
	poly           [14]float64
}

// expConsts holds the exp constants: range reduction x = k ln2 + r and the
// degree-13 Taylor polynomial of e^r, highest coefficient first.
var expConsts = func() meanConsts {
	k := meanConsts{one: 1, minArg: -708, log2e: math.Log2E,
		ln2Hi: 6.93147180369123816490e-01, ln2Lo: 1.90821492927058770002e-10,
		magic: 0x1.8p52, bias: 1023}
	k.magicBits = int64(math.Float64bits(k.magic))
	fact := 1.0
	for i := 0; i <= 13; i++ {
		if i > 0 {
			fact *= float64(i)
		}
		k.poly[13-i] = 1 / fact
	}
	return k
}()

// meanScalar is the posterior mean of x0 given y = x0 + q*noise: a softmax
// over the two components' log densities (larger logit subtracted, as the
// reference does) weighting their Gaussian posterior means.
func meanScalar(y, mu0, mu1 float64, k *meanConsts) float64 {
	d0, d1 := y-mu0, y-mu1
	l0 := k.logc0 - d0*d0*k.inv2V0
	l1 := k.logc1 - d1*d1*k.inv2V1
	m0 := mu0 + k.gain0*d0
	m1 := mu1 + k.gain1*d1
	if l0 >= l1 {
		e1 := expNonPos(l1 - l0)
		return (m0 + e1*m1) / (1 + e1)
	}
	e0 := expNonPos(l0 - l1)
	return (e0*m0 + m1) / (e0 + 1)
}

// meanBlockGo is meanBlock without assembly.
func meanBlockGo(m, y, mu0, mu1 []float64, k *meanConsts) {
	for i := range m {
		m[i] = meanScalar(y[i], mu0[i], mu1[i], k)
	}
}
