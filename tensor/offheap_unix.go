//go:build unix

package tensor

import (
	"runtime"
	"syscall"
	"unsafe"
)

// offHeap allocates n zeroed float32s outside the Go heap (anonymous
// mmap). Model weights live there so that the garbage collector's heap
// target follows the activations, not gigabytes of weights: with the
// weights on the heap, GOGC=100 lets garbage grow to the size of the
// model before collecting. The memory is returned by a finalizer on owner.
func offHeap(n int, owner any) []float32 {
	if n < 1<<16 {
		return make([]float32, n)
	}
	b, err := syscall.Mmap(-1, 0, n*4, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]float32, n)
	}
	runtime.SetFinalizer(owner, func(any) { syscall.Munmap(b) })
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
}
