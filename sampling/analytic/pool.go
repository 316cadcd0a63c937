package analytic

import (
	"runtime"
	"sync"
)

// rangeJob is work split over row ranges. It is an interface holding a
// pointer so that handing it to the workers allocates nothing.
type rangeJob interface{ runRange(lo, hi int) }

type task struct {
	job    rangeJob
	lo, hi int
	done   *sync.WaitGroup
}

// The worker pool is shared by every model and started once: the
// element-wise work of one Apply call is spread over all cores without
// spawning goroutines (which would allocate) on the hot path.
var (
	poolOnce sync.Once
	poolWork chan task
	poolSize int
)

func startPool() {
	poolSize = runtime.NumCPU()
	poolWork = make(chan task, poolSize)
	for range poolSize - 1 {
		go func() {
			for t := range poolWork {
				t.job.runRange(t.lo, t.hi)
				t.done.Done()
			}
		}()
	}
}

// parallelRows runs job over [0, n) in one chunk per usable core
// (GOMAXPROCS may be lowered after the pool started); the calling
// goroutine takes the last chunk. Small inputs run inline.
func parallelRows(job rangeJob, n int, wg *sync.WaitGroup) {
	poolOnce.Do(startPool)
	parts := min(poolSize, runtime.GOMAXPROCS(0))
	if parts > n {
		parts = n
	}
	if parts <= 1 || n < 8 {
		job.runRange(0, n)
		return
	}
	per := (n + parts - 1) / parts
	lo := 0
	for ; lo+per < n; lo += per {
		wg.Add(1)
		poolWork <- task{job: job, lo: lo, hi: lo + per, done: wg}
	}
	job.runRange(lo, n)
	wg.Wait()
}
