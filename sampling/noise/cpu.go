package noise

import (
	"math"
	"sync"
)

// CPU imitates torch's CPU generator (torch.manual_seed / torch.Generator):
// MT19937 seeded from the low 32 bits of the seed, and torch 1.13's randn
// for float32 (spec 2.1).
type CPU struct {
	mt mt19937
	// cached normal of the scalar (<16 element) path; only manual_seed
	// clears it, the vectorised path neither reads nor clears it.
	cached    float64
	hasCached bool
	// libmKernel selects torch's generic (non-AVX2) 16-block transform.
	libmKernel bool
	tail       [16]float32
	wg         sync.WaitGroup
}

// NewCPU returns a CPU generator after torch.manual_seed(seed). Only the low
// 32 bits matter: seeds 5, 2^32+5 and 2^63+5 give the same numbers.
func NewCPU(seed uint64) *CPU {
	g := &CPU{}
	g.Seed(seed)
	return g
}

// NewCPUGeneric is NewCPU imitating torch's generic randn kernel (CPUs
// without AVX2, ATEN_CPU_CAPABILITY=default) instead of the AVX2 one. Its
// log/sin/cos are correctly rounded here, within 2 ulp of the C library's;
// the values differ from the AVX2 kernel by up to about 1.2e-6.
func NewCPUGeneric(seed uint64) *CPU {
	g := NewCPU(seed)
	g.libmKernel = true
	return g
}

// Seed re-seeds the generator in place (torch manual_seed), clearing the
// cached normal.
func (g *CPU) Seed(seed uint64) {
	g.mt.seed(uint32(seed))
	g.hasCached = false
	g.cached = 0
}

// Uint32 returns the next raw MT19937 output word.
func (g *CPU) Uint32() uint32 { return g.mt.uint32() }

// Float32 returns torch's float32 uniform in [0,1) (one word).
func (g *CPU) Float32() float32 {
	return float32(g.mt.uint32()&0xFFFFFF) * (1.0 / (1 << 24))
}

// Float64 returns torch's float64 uniform in [0,1) (two words, high first).
func (g *CPU) Float64() float64 {
	hi := uint64(g.mt.uint32())
	lo := uint64(g.mt.uint32())
	return float64((hi<<32|lo)&(1<<53-1)) * (1.0 / (1 << 53))
}

// Randn is one torch.randn call for a float32 tensor of len(dst) elements.
func (g *CPU) Randn(dst []float32) {
	if len(dst) < 16 {
		for i := range dst {
			dst[i] = float32(g.normal64())
		}
		return
	}
	g.randnVector(dst)
}

// normal64 is torch's normal_distribution<double> with its one-value cache.
func (g *CPU) normal64() float64 {
	if g.hasCached {
		g.hasCached = false
		return g.cached
	}
	u1 := g.Float64()
	u2 := g.Float64()
	r := math.Sqrt(-2 * math.Log(1-u2))
	theta := 2 * math.Pi * u1
	sin, cos := math.Sincos(theta)
	g.cached = r * sin
	g.hasCached = true
	return r * cos
}

// randnVector is the >= 16 element path: uniforms for every element, the
// 16-block transform over full blocks, then a fresh 16-block over the tail.
// The tail's uniforms come after all others in the stream, but its transform
// overwrites values of the last full block, so it is drawn into a side
// buffer and copied in after the full blocks are done.
func (g *CPU) randnVector(d []float32) {
	n := len(d)
	full := d[:n-n%16]
	g.mt.fillUniform32(d)
	if n%16 != 0 {
		g.mt.fillUniform32(g.tail[:])
	}
	if g.libmKernel {
		for b := 0; b+16 <= len(full); b += 16 {
			boxMuller16Libm((*[16]float32)(full[b : b+16]))
		}
	} else {
		runSplit(task{kind: taskBoxMuller, dst: full}, 16, &g.wg)
	}
	if n%16 != 0 {
		copy(d[n-16:], g.tail[:])
		if g.libmKernel {
			boxMuller16Libm((*[16]float32)(d[n-16:]))
		} else {
			transformBlocks(d[n-16:])
		}
	}
}

// transformBlocksGo is the portable form of transformBlocks.
func transformBlocksGo(d []float32) {
	for b := 0; b+16 <= len(d); b += 16 {
		boxMuller16((*[16]float32)(d[b : b+16]))
	}
}

// boxMuller16Libm is torch's generic normal_fill_16 with float32 libm calls.
func boxMuller16Libm(d *[16]float32) {
	for j := 0; j < 8; j++ {
		u1 := 1 - d[j]
		u2 := d[j+8]
		radius := float32(math.Sqrt(float64(-2 * float32(math.Log(float64(u1))))))
		theta := float32(2 * math.Pi * float64(u2))
		sin, cos := math.Sincos(float64(theta))
		d[j] = radius * float32(cos)
		d[j+8] = radius * float32(sin)
	}
}
