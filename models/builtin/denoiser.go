package builtin

import (
	"context"
	"fmt"
	"math"
	"sync"

	"comfyd/sampling"
	"comfyd/tensor"
)

// promptStrength scales a caption match into a prior log-weight. The prior
// must compete with the evidence of the noisy latent, whose log-likelihood
// spread grows with the square root of the latent's size, so the log-weight
// is promptStrength * sqrt(values per image) * match.
const promptStrength = 0.3

// negligibleWeight is the posterior weight below which an image is left out
// of the mean: its share is under float32 resolution of the latent values.
const negligibleWeight = 1e-9

// blockSize is the number of latent values per dot-product block. Blocks
// are summed in float32 and blocks are added in float64, in block order, so
// results are accurate and identical whatever the number of cores.
const blockSize = 256

// posteriorNet is the built-in model's denoiser: the exact posterior mean
// E[x0 | x] for x = x0 + sigma*n, n standard normal, and x0 drawn from the
// image set with prior weights exp(lambda * caption match). It answers like
// an SD1 UNet: eps = (x - E[x0|x]) / sigma for the scaled input
// xc = x / sqrt(sigma^2 + 1). The timestep input is not used: the raw sigma
// is what the closed form needs.
type posteriorNet struct {
	sets *setCache

	mu   sync.Mutex
	free []*workspace
}

var _ sampling.DiffusionModel = (*posteriorNet)(nil)

// workspace is the scratch of one Apply call, reused across calls.
type workspace struct {
	n         int
	blockDots []float64 // [blocks][n]
	logits    []float64
	weights   []float32
	active    []int32
	conceptW  []float64
	scores    []float32

	// The row being denoised, read by the chunk functions.
	set     *imageSet
	xc, dst []float32
	k, s    float32

	wg            sync.WaitGroup
	dotsFn, mixFn rangeFunc
}

func (n *posteriorNet) workspace(set *imageSet) *workspace {
	n.mu.Lock()
	var ws *workspace
	if k := len(n.free); k > 0 {
		ws, n.free = n.free[k-1], n.free[:k-1]
	}
	n.mu.Unlock()
	if ws == nil {
		ws = &workspace{n: len(catalogue)}
		ws.logits = make([]float64, ws.n)
		ws.weights = make([]float32, ws.n)
		ws.active = make([]int32, 0, ws.n)
		ws.conceptW = make([]float64, len(concepts))
		ws.scores = make([]float32, ws.n)
		ws.dotsFn = ws.dots
		ws.mixFn = ws.mix
	}
	if blocks := (set.per + blockSize - 1) / blockSize; len(ws.blockDots) < blocks*ws.n {
		ws.blockDots = make([]float64, blocks*ws.n)
	}
	ws.set = set
	return ws
}

func (n *posteriorNet) release(ws *workspace) {
	ws.set, ws.xc, ws.dst = nil, nil, nil
	n.mu.Lock()
	n.free = append(n.free, ws)
	n.mu.Unlock()
}

// Apply writes eps for each batch row of xc [B,4,H,W] into dst.
func (n *posteriorNet) Apply(ctx context.Context, dst, xc *tensor.Tensor, timestep, sigma []float32, c *sampling.Cond) error {
	if xc == nil || len(xc.Shape) != 4 || xc.Shape[1] != latentChannels {
		return fmt.Errorf("built-in model: want a latent [B,%d,H,W], got %v", latentChannels, xc)
	}
	if dst == nil || !tensor.SameShape(dst, xc) {
		return fmt.Errorf("built-in model: output %v does not match input %v", dst, xc)
	}
	b := xc.Shape[0]
	if len(sigma) != b {
		return fmt.Errorf("built-in model: %d sigmas for a batch of %d", len(sigma), b)
	}
	condRows, err := condRowCount(c)
	if err != nil {
		return err
	}
	set, err := n.sets.get(ctx, xc.Shape[2], xc.Shape[3])
	if err != nil {
		return err
	}
	ws := n.workspace(set)
	defer n.release(ws)
	lambda := promptStrength * math.Sqrt(float64(set.per))
	for r := range b {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := sigma[r]
		if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) || s < 0 {
			return fmt.Errorf("built-in model: invalid sigma %v", s)
		}
		scores := ws.promptScores(c, condRows, r)
		per := set.per
		ws.xc, ws.dst = xc.Data[r*per:(r+1)*per], dst.Data[r*per:(r+1)*per]
		ws.denoise(s, scores, lambda)
	}
	return nil
}

// condRowCount checks the conditioning and returns its batch size (0 when
// there is none: the prior is then uniform).
func condRowCount(c *sampling.Cond) (int, error) {
	if c == nil || c.CrossAttn == nil {
		return 0, nil
	}
	sh := c.CrossAttn.Shape
	if len(sh) != 3 || sh[2] != embedDim || sh[0] < 1 {
		return 0, fmt.Errorf("built-in model: conditioning must be [B,tokens,%d] (SD1 text embeddings), got %v", embedDim, c.CrossAttn)
	}
	return sh[0], nil
}

// promptScores returns the caption match of every image for latent row r:
// from the encoder's cached match when the cond still holds the tensor it
// was computed for, else recomputed from CrossAttn (after
// ConditioningAverage, Concat, ZeroOut and the like). nil means no prompt.
func (ws *workspace) promptScores(c *sampling.Cond, condRows, r int) []float32 {
	if condRows == 0 {
		return nil
	}
	row := r % condRows
	if m, ok := c.Extra[matchKey].(*captionMatch); ok && m.source == c.CrossAttn && len(m.scores) == condRows {
		return m.scores[row]
	}
	per := c.CrossAttn.Shape[1] * embedDim
	conceptWeights(ws.conceptW, c.CrossAttn.Data[row*per:(row+1)*per])
	scoreImages(ws.scores, ws.conceptW)
	return ws.scores
}

// denoise computes one batch row: ws.dst = (x - E[x0|x]) / s with
// x = ws.xc * sqrt(s^2+1).
func (ws *workspace) denoise(s float32, scores []float32, lambda float64) {
	if s == 0 {
		// No noise: x is its own clean estimate and eps is zero.
		clear(ws.dst)
		return
	}
	ws.s = s
	ws.k = float32(math.Sqrt(float64(s)*float64(s) + 1))
	set := ws.set
	blocks := (set.per + blockSize - 1) / blockSize
	parallelFor(&ws.wg, blocks, 4, ws.dotsFn)

	// log w_i = prior_i - ||x - X_i||^2 / (2 s^2), dropping ||x||^2.
	s2 := float64(s) * float64(s)
	k := float64(ws.k)
	best := math.Inf(-1)
	for i := range ws.n {
		var dot float64
		for b := range blocks {
			dot += ws.blockDots[b*ws.n+i]
		}
		l := (k*dot - set.halfNorm2[i]) / s2
		if scores != nil {
			l += lambda * float64(scores[i])
		}
		ws.logits[i] = l
		best = math.Max(best, l)
	}
	var total float64
	for i, l := range ws.logits {
		e := math.Exp(l - best)
		ws.logits[i] = e
		total += e
	}
	ws.active = ws.active[:0]
	for i, e := range ws.logits {
		w := e / total
		if w >= negligibleWeight {
			ws.weights[i] = float32(w)
			ws.active = append(ws.active, int32(i))
		}
	}
	parallelFor(&ws.wg, blocks, 4, ws.mixFn)
}

// dots fills blockDots for blocks [lo, hi): xc . X_i per block and image.
func (ws *workspace) dots(lo, hi int) {
	set := ws.set
	for b := lo; b < hi; b++ {
		start, end := b*blockSize, min((b+1)*blockSize, set.per)
		xs := ws.xc[start:end]
		out := ws.blockDots[b*ws.n : (b+1)*ws.n]
		for i := range out {
			out[i] = float64(dot32(xs, set.latents[i*set.per+start:i*set.per+end]))
		}
	}
}

// mix writes eps for blocks [lo, hi) from the posterior weights.
func (ws *workspace) mix(lo, hi int) {
	set := ws.set
	var acc [blockSize]float32
	for b := lo; b < hi; b++ {
		start, end := b*blockSize, min((b+1)*blockSize, set.per)
		m := acc[:end-start]
		clear(m)
		for _, i := range ws.active {
			axpy(m, ws.weights[i], set.latents[int(i)*set.per+start:int(i)*set.per+end])
		}
		xs, out := ws.xc[start:end], ws.dst[start:end]
		for j, mj := range m {
			out[j] = (ws.k*xs[j] - mj) / ws.s
		}
	}
}

// dot32 is a float32 dot product with four accumulators.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds w*x to dst.
func axpy(dst []float32, w float32, x []float32) {
	x = x[:len(dst)]
	for j := range dst {
		dst[j] += w * x[j]
	}
}
