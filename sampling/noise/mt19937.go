package noise

// mt19937 is the standard 32-bit Mersenne Twister as torch's CPU generator
// uses it (at::mt19937): seeded from 32 bits, first draw twists.
type mt19937 struct {
	state [mtN]uint32
	next  int // index of the next output word; mtN means "twist first"
}

const (
	mtN       = 624
	mtM       = 397
	mtMatrixA = 0x9908b0df
	mtUpper   = 0x80000000
	mtLower   = 0x7fffffff
)

func (m *mt19937) seed(s uint32) {
	m.state[0] = s
	for i := 1; i < mtN; i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	m.next = mtN
}

// twist regenerates the whole state block.
func (m *mt19937) twist() {
	if haveMTKernel {
		m.twistAVX2()
		return
	}
	m.twistGo()
}

func (m *mt19937) twistGo() {
	s := &m.state
	for i := 0; i < mtN-mtM; i++ {
		s[i] = twistWord(s[i], s[i+1], s[i+mtM])
	}
	for i := mtN - mtM; i < mtN-1; i++ {
		s[i] = twistWord(s[i], s[i+1], s[i+mtM-mtN])
	}
	s[mtN-1] = twistWord(s[mtN-1], s[0], s[mtM-1])
	m.next = 0
}

// twistWord is one step of the MT19937 recurrence.
func twistWord(cur, next, far uint32) uint32 {
	y := cur&mtUpper | next&mtLower
	return far ^ y>>1 ^ (-(y & 1) & mtMatrixA)
}

func temper(y uint32) uint32 {
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// uint32 returns the next output word.
func (m *mt19937) uint32() uint32 {
	if m.next >= mtN {
		m.twist()
	}
	y := m.state[m.next]
	m.next++
	return temper(y)
}

// fillUniform32 writes len(dst) float32 uniforms in [0,1), one word each:
// (u & 0xFFFFFF) * 2^-24, exact.
func (m *mt19937) fillUniform32(dst []float32) {
	for len(dst) > 0 {
		if m.next >= mtN {
			m.twist()
		}
		words := m.state[m.next:]
		k := min(len(words), len(dst))
		temperUniform(dst[:k], words[:k])
		m.next += k
		dst = dst[k:]
	}
}
