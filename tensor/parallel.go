package tensor

import (
	"runtime"
	"sync"
)

// minParallelElems is the element count below which elementwise kernels
// stay on one goroutine.
const minParallelElems = 1 << 16

// parallelFor runs body over [0, n) split into one contiguous range per
// core when the work (n items of cost elems each) is large enough.
func parallelFor(n, elems int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n*elems < minParallelElems {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}
