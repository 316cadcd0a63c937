package noise

import (
	"runtime"
	"sync"
)

// The normal transforms are independent per 16-block (CPU) or per element
// (Philox), so they are split over helper goroutines without changing a bit.
// The helpers are a small package-wide pool fed by value (no allocation per
// call); MT19937 itself stays sequential.

// minParallel is the smallest element count worth handing to helpers, per
// kind of work. Waking a helper costs tens of microseconds on a busy VM:
// Philox's heavy transform (about 8 ns per element on one core) gains from
// 8192 elements, the cheap Box-Muller of the CPU generator (under 1 ns per
// element) only from 65536: at [1,4,64,64] (16384) the split made a draw
// slower, 32-37 us against 27-30 us on one core (BenchmarkRandnCPU, same
// session), and a draw per step is most of an ancestral sampler's own cost.
const (
	minParallelPhilox    = 8192
	minParallelBoxMuller = 65536
)

func (t *task) minParallel() int {
	if t.kind == taskBoxMuller {
		return minParallelBoxMuller
	}
	return minParallelPhilox
}

type taskKind uint8

const (
	taskBoxMuller taskKind = iota // transformBlocks(dst)
	taskPhilox                    // philoxNormals(dst, first, offset, k0, k1)
)

type task struct {
	kind           taskKind
	dst            []float32
	first          uint64
	offset, k0, k1 uint32
	done           *sync.WaitGroup
}

func (t *task) run() {
	switch t.kind {
	case taskBoxMuller:
		transformBlocks(t.dst)
	case taskPhilox:
		philoxNormals(t.dst, t.first, t.offset, t.k0, t.k1)
	}
}

var pool struct {
	once    sync.Once
	helpers int
	tasks   chan task
}

// helpers returns the number of pool goroutines, starting them on first use
// (GOMAXPROCS-1 of them, at most 7).
func helpers() int {
	pool.once.Do(func() {
		pool.helpers = min(runtime.GOMAXPROCS(0)-1, 7)
		if pool.helpers <= 0 {
			pool.helpers = 0
			return
		}
		pool.tasks = make(chan task, pool.helpers)
		for i := 0; i < pool.helpers; i++ {
			go func() {
				for t := range pool.tasks {
					t.run()
					t.done.Done()
				}
			}()
		}
	})
	return pool.helpers
}

// runSplit runs t over dst split into contiguous parts whose lengths are
// multiples of align, the first parts on helpers and the last on the calling
// goroutine. wg must not be in use.
func runSplit(t task, align int, wg *sync.WaitGroup) {
	n := len(t.dst)
	h := 0
	if n >= t.minParallel() {
		h = helpers()
	}
	parts := h + 1
	per := (n/parts + align - 1) / align * align
	lo := 0
	t.done = wg
	for p := 0; p < parts-1 && lo+per < n; p++ {
		sub := t
		sub.dst = t.dst[lo : lo+per]
		sub.first = t.first + uint64(lo)
		wg.Add(1)
		pool.tasks <- sub
		lo += per
	}
	last := t
	last.dst = t.dst[lo:]
	last.first = t.first + uint64(lo)
	last.run()
	wg.Wait()
}
