//go:build !amd64 || purego

package noise

const haveAVX2Kernel = false

func transformBlocks(d []float32) { transformBlocksGo(d) }
