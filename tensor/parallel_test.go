package tensor

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestRunWorkersConcurrentAndNested: every share runs exactly once when
// several goroutines split work at the same time and shares split again
// (more callers than helpers, helpers busy with their own splits).
func TestRunWorkersConcurrentAndNested(t *testing.T) {
	const callers, rounds, workers = 4, 200, 3
	var wg sync.WaitGroup
	var total atomic.Int64
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				var hits [workers][workers]atomic.Int32
				runWorkers(workers, func(w int) {
					runWorkers(workers, func(v int) { hits[w][v].Add(1) })
				})
				for w := range hits {
					for v := range hits[w] {
						if n := hits[w][v].Load(); n != 1 {
							t.Errorf("share %d/%d ran %d times", w, v, n)
						}
						total.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if want := int64(callers * rounds * workers * workers); total.Load() != want {
		t.Errorf("checked %d shares, want %d", total.Load(), want)
	}
}
