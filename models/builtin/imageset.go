package builtin

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// imageSet is the catalogue painted at one latent size and encoded with the
// built-in VAE into model space (process_in applied): the points the
// denoiser's posterior is spread over.
type imageSet struct {
	h, w    int
	per     int       // values per image: 4*h*w
	latents []float32 // [len(catalogue)][per]
	// halfNorm2[i] is ||latent i||^2 / 2, in float64.
	halfNorm2 []float64
}

func (s *imageSet) image(i int) []float32 { return s.latents[i*s.per : (i+1)*s.per] }

// maxLatentPixels bounds the latent area the set is painted at: 256x256
// (a 2048x2048 image), whose set takes 63 MB (60 pictures x 4 channels x
// float32).
const maxLatentPixels = 256 * 256

// maxCacheBytes bounds the memory of the cached sets; the oldest sizes are
// dropped first (the newest is always kept).
const maxCacheBytes = 128 << 20

func setBytes(h, w int) int { return len(catalogue) * latentChannels * h * w * 4 }

// setCache builds each size once; concurrent callers of one size wait for
// the first.
type setCache struct {
	vae   *colourVAE
	mu    sync.Mutex
	sets  map[[2]int]*setSlot
	order [][2]int
}

type setSlot struct {
	mu  sync.Mutex
	set *imageSet
}

func newSetCache(vae *colourVAE) *setCache {
	return &setCache{vae: vae, sets: map[[2]int]*setSlot{}}
}

func (c *setCache) get(ctx context.Context, h, w int) (*imageSet, error) {
	if h < 1 || w < 1 || h*w > maxLatentPixels {
		return nil, fmt.Errorf("built-in model: latent %dx%d (image %dx%d) is larger than it supports (%d latent pixels, e.g. a 256x256 latent: a 2048x2048 image)",
			h, w, h*downscale, w*downscale, maxLatentPixels)
	}
	key := [2]int{h, w}
	c.mu.Lock()
	slot, ok := c.sets[key]
	if !ok {
		slot = &setSlot{}
		c.sets[key] = slot
		c.order = append(c.order, key)
		total := 0
		for _, k := range c.order {
			total += setBytes(k[0], k[1])
		}
		for total > maxCacheBytes && len(c.order) > 1 {
			old := c.order[0]
			total -= setBytes(old[0], old[1])
			delete(c.sets, old)
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.set == nil {
		set, err := paintSet(ctx, c.vae, h, w)
		if err != nil {
			return nil, err
		}
		slot.set = set
	}
	return slot.set, nil
}

// paintSet paints every catalogue picture at 8h x 8w pixels and encodes it,
// the pictures spread over the worker goroutines.
func paintSet(ctx context.Context, vae *colourVAE, h, w int) (*imageSet, error) {
	n := len(catalogue)
	s := &imageSet{h: h, w: w, per: latentChannels * h * w}
	s.latents = make([]float32, n*s.per)
	s.halfNorm2 = make([]float64, n)
	hpx, wpx := h*downscale, w*downscale
	side := float64(min(hpx, wpx))
	du, dv, dxy := 1/float64(wpx), 1/float64(hpx), 1/side
	cx, cy := float64(wpx)/2, float64(hpx)/2
	paintOne := func(i int) {
		pic := catalogue[i]
		vae.encodeModel(s.image(i), h, w, func(y, x int) (float32, float32, float32) {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			c := pic.paint(at{u: fx * du, v: fy * dv, x: (fx - cx) * dxy, y: (fy - cy) * dxy, px: dxy})
			return float32(clamp01(c[0])), float32(clamp01(c[1])), float32(clamp01(c[2]))
		})
		var n2 float64
		for _, v := range s.image(i) {
			n2 += float64(v) * float64(v)
		}
		s.halfNorm2[i] = n2 / 2
	}
	// Pictures differ a lot in cost (scenes are slow, flat shapes fast), so
	// each goroutine takes the next unpainted picture rather than a range.
	var next atomic.Int64
	var wg sync.WaitGroup
	parallelFor(&wg, runtime.GOMAXPROCS(0), 1, func(int, int) {
		for ctx.Err() == nil {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			paintOne(i)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}
