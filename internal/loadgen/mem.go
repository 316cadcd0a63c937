package loadgen

import (
	"sync"
	"time"

	"comfyd/internal/procstat"
)

// memSampler samples the server's VmRSS every 100 ms for the peak; with
// pid 0 it does nothing.
type memSampler struct {
	pid     int
	mu      sync.Mutex
	peak    int64
	samples int
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func newMemSampler(pid int) *memSampler {
	m := &memSampler{pid: pid, done: make(chan struct{})}
	if pid <= 0 {
		return m
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			var x int64
			m.mark(&x)
			select {
			case <-t.C:
			case <-m.done:
				return
			}
		}
	}()
	return m
}

// mark stores the current RSS in *dst (and counts it as a sample).
func (m *memSampler) mark(dst *int64) {
	if m.pid <= 0 {
		return
	}
	st, err := procstat.Read(m.pid)
	if err != nil {
		return
	}
	*dst = st.RSS
	m.mu.Lock()
	m.samples++
	m.peak = max(m.peak, st.RSS)
	m.mu.Unlock()
}

func (m *memSampler) stop() {
	m.once.Do(func() { close(m.done) })
	m.wg.Wait()
}

func (m *memSampler) finish(f *MemFigures) {
	if m.pid <= 0 {
		return
	}
	if st, err := procstat.Read(m.pid); err == nil {
		f.HWM = st.HWM
	}
	m.mu.Lock()
	f.Peak, f.Samples = m.peak, m.samples
	m.mu.Unlock()
}
