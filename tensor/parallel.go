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
	parallelForAbove(n, elems, minParallelElems, body)
}

// parallelForAbove is parallelFor with its own threshold on n·elems, for
// kernels whose per-element cost makes a smaller split pay.
func parallelForAbove(n, elems, threshold int, body func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n*elems < threshold {
		body(0, n)
		return
	}
	runWorkers(workers, func(w int) { body(w*n/workers, (w+1)*n/workers) })
}

// runWorkers runs body(0..workers-1) concurrently, the last one on the
// calling goroutine (one fewer goroutine to wake per call).
func runWorkers(workers int, body func(w int)) {
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for w := range workers - 1 {
		go func() {
			defer wg.Done()
			body(w)
		}()
	}
	body(workers - 1)
	wg.Wait()
}
