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
