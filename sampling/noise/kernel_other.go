//go:build !amd64 || purego

package noise

const haveAVX2Kernel = false

func transformBlocks(d []float32) { transformBlocksGo(d) }

const haveMTKernel = false

func (m *mt19937) twistAVX2() { m.twistGo() }

func temperUniform(dst []float32, src []uint32) {
	for i, y := range src[:len(dst)] {
		dst[i] = float32(temper(y)&0xFFFFFF) * (1.0 / (1 << 24))
	}
}

const havePhiloxKernel = false

const havePhiloxAVX512 = false

var usePhiloxAVX512 = false

func philoxNormals(dst []float32, first uint64, offset, k0, k1 uint32) {
	philoxNormalsGo(dst, first, offset, k0, k1)
}
