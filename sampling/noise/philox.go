package noise

import (
	"math"
	"sync"
)

// Philox4x32-10 constants (Random123; spec 2.2).
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// philoxRound is one Philox4x32 round.
func philoxRound(c0, c1, c2, c3, k0, k1 uint32) (uint32, uint32, uint32, uint32) {
	p0 := uint64(c0) * philoxM0
	p1 := uint64(c2) * philoxM1
	return uint32(p1>>32) ^ c1 ^ k0, uint32(p1), uint32(p0>>32) ^ c3 ^ k1, uint32(p0)
}

// philox4x32 runs the ten rounds of Philox4x32-10 on counter c with key k;
// the key is bumped after each of the first nine.
func philox4x32(c [4]uint32, k [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := c[0], c[1], c[2], c[3]
	k0, k1 := k[0], k[1]
	for r := 0; r < 10; r++ {
		if r > 0 {
			k0 += philoxW0
			k1 += philoxW1
		}
		c0, c1, c2, c3 = philoxRound(c0, c1, c2, c3, k0, k1)
	}
	return [4]uint32{c0, c1, c2, c3}
}

// CUDA models torch's CUDA generator (torch.cuda.manual_seed + randn on a
// device) with AUTOMATIC1111's rng_philox algorithm: element i of a call
// uses counter (offset, 0, i lo, i hi) and key (seed lo, seed hi); the
// offset advances by one per call.
type CUDA struct {
	seed   uint64
	offset uint32
	wg     sync.WaitGroup
}

// NewCUDA returns a CUDA generator after torch.cuda.manual_seed(seed): all
// 64 bits of the seed are used, offset 0.
func NewCUDA(seed uint64) *CUDA { return &CUDA{seed: seed} }

// Seed re-seeds in place and resets the offset.
func (g *CUDA) Seed(seed uint64) { g.seed, g.offset = seed, 0 }

// Offset is the Philox counter offset the next Randn call will use.
func (g *CUDA) Offset() uint32 { return g.offset }

// Randn is one randn call on the device generator.
func (g *CUDA) Randn(dst []float32) {
	t := task{kind: taskPhilox, dst: dst, offset: g.offset, k0: uint32(g.seed), k1: uint32(g.seed >> 32)}
	runSplit(t, 1, &g.wg)
	g.offset++
}

const (
	twoPow32Inv     = float64(float32(2.3283064e-10))
	twoPow32Inv2Pi  = float64(float32(2.3283064e-10 * 6.2831855))
	twoPow32InvHalf = twoPow32Inv / 2
	twoPow32Inv2PiH = twoPow32Inv2Pi / 2
)

// philoxNormalsGo fills dst with the normals of flat indices first..first+len-1.
// The Box-Muller arithmetic is float64 as in A1111's numpy code (uint32 times
// float32 promotes to float64), rounded to float32 at the end.
func philoxNormalsGo(dst []float32, first uint64, offset, k0, k1 uint32) {
	for i := range dst {
		idx := first + uint64(i)
		w := philox4x32([4]uint32{offset, 0, uint32(idx), uint32(idx >> 32)}, [2]uint32{k0, k1})
		w0, w1 := w[0], w[1]
		u := float64(float64(w0)*twoPow32Inv) + twoPow32InvHalf
		v := float64(float64(w1)*twoPow32Inv2Pi) + twoPow32Inv2PiH
		s := math.Sqrt(-2 * log64(u))
		dst[i] = float32(float64(s * sin64(v)))
	}
}
