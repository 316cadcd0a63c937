//go:build amd64 && !purego

package noise

import "golang.org/x/sys/cpu"

//go:noescape
func philoxWordsAVX2(w0, w1 *uint32, n16 int, lo, hi, offset, k0, k1 uint32)

//go:noescape
func boxMullerPhiloxAVX2(dst *float32, w0, w1 *uint32, n4 int)

//go:noescape
func logSin64AVX2(lg, sn, u, v *float64, n4 int)

//go:noescape
func philoxWordsAVX512(w0, w1 *uint32, n8 int, lo, hi, offset, k0, k1 uint32)

//go:noescape
func boxMullerPhiloxAVX512(dst *float32, w0, w1 *uint32, n8 int)

//go:noescape
func logSin64AVX512(lg, sn, u, v *float64, n8 int)

// havePhiloxKernel reports whether the Philox assembly can run (AVX2, FMA).
var havePhiloxKernel = haveAVX2Kernel

// havePhiloxAVX512 reports whether the AVX-512 forms can run;
// usePhiloxAVX512 selects them (tests switch it to cover both forms).
var (
	havePhiloxAVX512 = havePhiloxKernel && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
	usePhiloxAVX512  = havePhiloxAVX512
)

// philoxWords fills w0, w1 (16*n16 words) for the counters lo.. (see
// philoxWordsAVX2).
func philoxWords(w0, w1 *uint32, n16 int, lo, hi, offset, k0, k1 uint32) {
	if usePhiloxAVX512 {
		philoxWordsAVX512(w0, w1, 2*n16, lo, hi, offset, k0, k1)
		return
	}
	philoxWordsAVX2(w0, w1, n16, lo, hi, offset, k0, k1)
}

// philoxChunk is how many elements go through the word buffers at a time.
const philoxChunk = 512

// philoxNormals fills dst with the normals of flat indices first.. (see
// philoxNormalsGo), in assembly when the CPU allows it.
func philoxNormals(dst []float32, first uint64, offset, k0, k1 uint32) {
	if !havePhiloxKernel {
		philoxNormalsGo(dst, first, offset, k0, k1)
		return
	}
	var w0, w1 [philoxChunk]uint32
	for len(dst) >= 16 {
		k := min(len(dst)&^15, philoxChunk)
		// The kernel keeps the high index word fixed: stop at 2^32 multiples.
		if room := 1<<32 - first&(1<<32-1); uint64(k) > room {
			k = int(room) &^ 15
			if k == 0 {
				philoxNormalsGo(dst[:room], first, offset, k0, k1)
				dst, first = dst[room:], first+room
				continue
			}
		}
		philoxWords(&w0[0], &w1[0], k/16, uint32(first), uint32(first>>32), offset, k0, k1)
		if usePhiloxAVX512 {
			boxMullerPhiloxAVX512(&dst[0], &w0[0], &w1[0], k/8)
		} else {
			boxMullerPhiloxAVX2(&dst[0], &w0[0], &w1[0], k/4)
		}
		dst, first = dst[k:], first+uint64(k)
	}
	philoxNormalsGo(dst, first, offset, k0, k1)
}
