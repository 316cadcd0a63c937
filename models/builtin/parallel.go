package builtin

import (
	"runtime"
	"sync"
)

// rangeFunc processes items [lo, hi).
type rangeFunc func(lo, hi int)

// task is one chunk handed to a worker.
type task struct {
	fn     rangeFunc
	lo, hi int
	wg     *sync.WaitGroup
}

// workers is a small fixed pool shared by every built-in model: spawning
// goroutines per denoiser call would allocate (the go statement's closure),
// and the denoiser is the hot path.
var workers struct {
	once  sync.Once
	n     int // goroutines in the pool; the caller works too
	tasks chan task
}

func startWorkers() {
	workers.n = max(0, runtime.NumCPU()-1)
	workers.tasks = make(chan task, 4*max(1, workers.n))
	for range workers.n {
		go func() {
			for t := range workers.tasks {
				t.fn(t.lo, t.hi)
				t.wg.Done()
			}
		}()
	}
}

// parallelFor runs fn over [0, n) in up to GOMAXPROCS contiguous chunks
// (at most one per CPU),
// the last one on the calling goroutine. fn must be a value prepared once
// (not a fresh closure) for the call to stay allocation-free. Chunks never
// share output, so results do not depend on how many chunks there are.
func parallelFor(wg *sync.WaitGroup, n, minChunk int, fn rangeFunc) {
	workers.once.Do(startWorkers)
	parts := min(workers.n+1, runtime.GOMAXPROCS(0), max(1, n/max(1, minChunk)))
	if parts <= 1 {
		fn(0, n)
		return
	}
	per := (n + parts - 1) / parts
	lo := 0
	for ; lo+per < n; lo += per {
		wg.Add(1)
		workers.tasks <- task{fn: fn, lo: lo, hi: lo + per, wg: wg}
	}
	fn(lo, n)
	wg.Wait()
}
