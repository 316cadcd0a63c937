//go:build amd64 && !purego

package noise

import "golang.org/x/sys/cpu"

// haveAVX2Kernel reports whether the assembly kernel can run: it needs the
// same AVX2 and FMA instructions torch's kernel uses.
var haveAVX2Kernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func boxMuller16AVX2(d *float32, nblocks int)

// transformBlocks applies the AVX2 16-block transform to d (len(d) a
// multiple of 16), in assembly when the CPU allows it.
func transformBlocks(d []float32) {
	if haveAVX2Kernel && len(d) >= 16 {
		boxMuller16AVX2(&d[0], len(d)/16)
		return
	}
	transformBlocksGo(d)
}

//go:noescape
func mtTwist8AVX2(dst, cur, far *uint32, n8 int)

//go:noescape
func mtTemperUniformAVX2(dst *float32, src *uint32, n8 int)

// haveMTKernel reports whether the MT19937 assembly (AVX2 only) can run.
var haveMTKernel = cpu.X86.HasAVX2

// twistAVX2 is mt19937.twist with 8-word AVX2 chunks: words 0..223 read
// only old state, words 227..618 read new words 227 positions back; the
// scalar remainder runs in the same order as the plain loop.
func (m *mt19937) twistAVX2() {
	s := &m.state
	mtTwist8AVX2(&s[0], &s[0], &s[mtM], (mtN-mtM)/8)
	for i := (mtN - mtM) / 8 * 8; i < mtN-mtM; i++ {
		s[i] = twistWord(s[i], s[i+1], s[i+mtM])
	}
	const n8 = (mtN - 1 - (mtN - mtM)) / 8
	mtTwist8AVX2(&s[mtN-mtM], &s[mtN-mtM], &s[0], n8)
	for i := mtN - mtM + 8*n8; i < mtN-1; i++ {
		s[i] = twistWord(s[i], s[i+1], s[i+mtM-mtN])
	}
	s[mtN-1] = twistWord(s[mtN-1], s[0], s[mtM-1])
	m.next = 0
}

// temperUniform writes (temper(src[k]) & 0xffffff) * 2^-24 to dst.
func temperUniform(dst []float32, src []uint32) {
	n8 := len(dst) / 8
	if haveMTKernel && n8 > 0 {
		mtTemperUniformAVX2(&dst[0], &src[0], n8)
	} else {
		n8 = 0
	}
	for i := 8 * n8; i < len(dst); i++ {
		dst[i] = float32(temper(src[i])&0xFFFFFF) * (1.0 / (1 << 24))
	}
}
