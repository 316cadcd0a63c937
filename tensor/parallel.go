package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
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
// calling goroutine. The others go to idle helpers when there are any
// (see helper), else to new goroutines.
func runWorkers(workers int, body func(w int)) {
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	var done atomic.Int32
	for w := range workers - 1 {
		task := func() {
			body(w)
			done.Add(1)
			wg.Done()
		}
		if !dispatch(task) {
			go task()
		}
	}
	body(workers - 1)
	// The others usually finish about now: poll briefly before parking,
	// which would cost a wake-up.
	for i := 0; i < helperSpins && int(done.Load()) < workers-1; i++ {
		runtime.Gosched()
	}
	wg.Wait()
}

// helperSpins is how many scheduler yields (~0.1-0.2 µs each) an idle
// helper, or a caller waiting for helpers, polls before blocking.
const helperSpins = 1000

// A helper is a goroutine that runs other cores' shares of parallel
// work. After a task it keeps polling for the next one for a while
// before it blocks: handing work to a goroutine that has blocked means
// waking an OS thread, and on a virtual machine whose other vCPU has gone
// idle that took ~100 µs, as long as a whole CLIP LayerNorm. Kernels
// called back to back (a transformer layer's dozen products and norms)
// thus start on all cores at once.
type helper struct {
	task   atomic.Pointer[func()]
	busy   atomic.Bool // claimed by a caller until its task is done
	parked atomic.Bool
	wake   chan struct{}
}

var (
	helpersOnce sync.Once
	helpers     []*helper
)

// dispatch hands task to an idle helper, reporting false if none is
// idle.
func dispatch(task func()) bool {
	helpersOnce.Do(startHelpers)
	for _, h := range helpers {
		if !h.busy.CompareAndSwap(false, true) {
			continue
		}
		h.task.Store(&task)
		if h.parked.Load() {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
		return true
	}
	return false
}

func startHelpers() {
	for range runtime.GOMAXPROCS(0) - 1 {
		h := &helper{wake: make(chan struct{}, 1)}
		helpers = append(helpers, h)
		go h.loop()
	}
}

func (h *helper) loop() {
	for {
		f := h.next()
		h.task.Store(nil)
		(*f)()
		h.busy.Store(false)
	}
}

// next polls for a task, then blocks until one is dispatched.
func (h *helper) next() *func() {
	for {
		for range helperSpins {
			if f := h.task.Load(); f != nil {
				return f
			}
			runtime.Gosched()
		}
		h.parked.Store(true)
		// A task stored before parked was set is seen here; one stored
		// after sees parked and sends a wake-up.
		if f := h.task.Load(); f != nil {
			h.parked.Store(false)
			return f
		}
		<-h.wake
		h.parked.Store(false)
	}
}
