// Package loadgen drives a running comfyd (or ComfyUI) on loopback with
// many WebSocket clients and reports throughput, latency percentiles,
// lost or out-of-order messages and the server's memory. cmd/comfyd-load
// is its command line; the fault tests run it against the real binary.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"comfyd/internal/comfyclient"
	"comfyd/internal/procstat"
)

// Limits keep a run bounded whatever the flags say.
const (
	MaxClients = 1000
	MaxPrompts = 100000
	MaxTimeout = 24 * time.Hour
)

// Config describes one load run.
type Config struct {
	BaseURL string // loopback http URL of the server
	Clients int    // concurrent WebSocket clients
	Prompts int    // prompts in total, dealt round-robin to the clients
	// InFlight is how many prompts each client keeps queued at once
	// (default 1: a client queues its next prompt when the last ended).
	InFlight int
	// Workflow is queued with a different seed per prompt, so no prompt
	// is a cache hit of another.
	Workflow comfyclient.Workflow
	SeedBase uint64
	Timeout  time.Duration
	// PID is the server's process id for memory figures (0: none).
	PID int
	// VerifyHistory checks after the run that every completed prompt has
	// a successful history entry with output images.
	VerifyHistory bool
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Report is what a run measured.
type Report struct {
	Clients, Prompts int
	Accepted         int // POST /prompt answered 200
	Completed        int // full, ordered message sequence seen
	Lost             int // accepted, but start/success/end never arrived
	OutOfOrder       int // prompts whose messages broke the protocol order
	Misrouted        int // messages for another client's prompt
	ExecErrors       int // execution_error / execution_interrupted
	HistoryBad       int // completed but history missing or not a success
	ErrorCount       int // everything else: HTTP errors, socket failures
	Errors           []string
	Previews         int
	Wall             time.Duration
	Throughput       float64 // completed prompts per second of wall time
	P50, P90, P99    time.Duration
	Max              time.Duration
	Mem              MemFigures
	TimedOut         bool
}

// MemFigures is the server's resident memory over the run (bytes; zero
// when no PID was given).
type MemFigures struct {
	Start, Warm, Peak, End, HWM int64
	Samples                     int
}

// OK reports a clean run: everything accepted completed, in order, and
// nothing failed.
func (r *Report) OK() bool {
	return !r.TimedOut && r.Accepted == r.Prompts && r.Completed == r.Prompts && r.Lost == 0 &&
		r.OutOfOrder == 0 && r.Misrouted == 0 && r.ExecErrors == 0 && r.HistoryBad == 0 && r.ErrorCount == 0
}

const maxErrorTexts = 20

type run struct {
	cfg       Config
	client    *comfyclient.Client
	mu        sync.Mutex
	report    Report
	completed atomic.Int64
	warmAt    int64
	warmOnce  sync.Once
	warmRSS   atomic.Int64
}

func (r *run) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.ErrorCount++
	if len(r.report.Errors) < maxErrorTexts {
		r.report.Errors = append(r.report.Errors, fmt.Sprintf(format, args...))
	}
}

// Run performs a load run. Only setup errors are returned; failures during
// the run are counted in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := check(&cfg); err != nil {
		return nil, err
	}
	client, err := comfyclient.New(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	r := &run{cfg: cfg, client: client, warmAt: max(1, int64(cfg.Prompts)/10)}
	r.report.Clients, r.report.Prompts = cfg.Clients, cfg.Prompts

	mem := newMemSampler(cfg.PID)
	defer mem.stop()

	// Connect everyone first: the run measures prompts, not handshakes.
	sockets := make([]*comfyclient.Socket, cfg.Clients)
	for i := range sockets {
		s, err := comfyclient.Dial(ctx, cfg.BaseURL, fmt.Sprintf("load-%d-%s", i, uuid.NewString()[:8]), comfyclient.DialOptions{})
		if err != nil {
			for _, s := range sockets[:i] {
				s.Close()
			}
			return nil, fmt.Errorf("client %d: %w", i, err)
		}
		sockets[i] = s
	}
	mem.mark(&r.report.Mem.Start)

	start := time.Now()
	stopProgress := r.logProgress(ctx, start)
	tracks := make([]*clientTracks, cfg.Clients)
	var wg sync.WaitGroup
	for i := range sockets {
		tracks[i] = &clientTracks{prompts: map[string]*promptTrack{}}
		var share []int
		for p := i; p < cfg.Prompts; p += cfg.Clients {
			share = append(share, p)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.drive(ctx, sockets[i], tracks[i], share, mem)
		}()
	}
	wg.Wait()
	stopProgress()
	r.report.Wall = time.Since(start)
	r.report.TimedOut = ctx.Err() != nil
	mem.mark(&r.report.Mem.End)
	for _, s := range sockets {
		s.Close()
	}
	r.summarise(tracks)
	if cfg.VerifyHistory {
		r.verifyHistory(context.Background(), tracks)
	}
	r.report.Mem.Warm = r.warmRSS.Load()
	mem.stop()
	mem.finish(&r.report.Mem)
	return &r.report, nil
}

func check(cfg *Config) error {
	if err := comfyclient.RequireLoopback(cfg.BaseURL); err != nil {
		return err
	}
	if cfg.Clients < 1 || cfg.Clients > MaxClients {
		return fmt.Errorf("clients must be 1..%d", MaxClients)
	}
	if cfg.Prompts < 1 || cfg.Prompts > MaxPrompts {
		return fmt.Errorf("prompts must be 1..%d", MaxPrompts)
	}
	if cfg.InFlight == 0 {
		cfg.InFlight = 1
	}
	if cfg.InFlight < 1 || cfg.InFlight > 64 {
		return errors.New("in-flight prompts per client must be 1..64")
	}
	if cfg.Timeout <= 0 || cfg.Timeout > MaxTimeout {
		return fmt.Errorf("timeout must be in (0, %v]", MaxTimeout)
	}
	if len(cfg.Workflow) == 0 {
		return errors.New("no workflow")
	}
	return nil
}

// drive runs one client: a reader applying messages to its tracks, and
// InFlight submitters each queuing a prompt and waiting for its end.
func (r *run) drive(ctx context.Context, sock *comfyclient.Socket, tracks *clientTracks, share []int, mem *memSampler) {
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for m := range sock.Messages {
			tracks.observe(m)
		}
	}()
	next := make(chan int, len(share))
	for _, p := range share {
		next <- p
	}
	close(next)
	var wg sync.WaitGroup
	for range r.cfg.InFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				if ctx.Err() != nil {
					return
				}
				if !r.one(ctx, sock, tracks, p, mem) {
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-sock.Done():
		if err := sock.Err(); err != nil && ctx.Err() == nil {
			r.fail("client %s: socket ended: %v", sock.ClientID, err)
		}
	default:
	}
	sock.Close()
	<-readerDone
}

// one queues prompt number p and waits for its end; false stops this
// submitter (the socket is gone or the run is over).
func (r *run) one(ctx context.Context, sock *comfyclient.Socket, tracks *clientTracks, p int, mem *memSampler) bool {
	wf := r.cfg.Workflow.Clone()
	wf.SetSeed(r.cfg.SeedBase + uint64(p))
	id := uuid.NewString()
	tr := newTrack(id)
	tr.submitAt = time.Now()
	tracks.mu.Lock()
	tracks.prompts[id] = tr
	tracks.mu.Unlock()

	_, err := r.client.QueuePrompt(ctx, comfyclient.PromptRequest{Prompt: wf, ClientID: sock.ClientID, PromptID: id})
	if err != nil {
		if ctx.Err() == nil {
			r.fail("prompt %d: %v", p, err)
		}
		tracks.mu.Lock()
		delete(tracks.prompts, id)
		tracks.mu.Unlock()
		return ctx.Err() == nil
	}
	tracks.mu.Lock()
	tr.accepted = true
	tracks.mu.Unlock()
	select {
	case <-tr.done:
		if n := r.completed.Add(1); n == r.warmAt {
			r.warmOnce.Do(func() {
				var w int64
				mem.mark(&w)
				r.warmRSS.Store(w)
			})
		}
		return true
	case <-sock.Done():
		// Let the reader apply what was read before the socket ended.
		select {
		case <-tr.done:
			return true
		case <-time.After(100 * time.Millisecond):
		}
		return false
	case <-ctx.Done():
		return false
	}
}

func (r *run) summarise(tracks []*clientTracks) {
	var lat []time.Duration
	for _, c := range tracks {
		c.mu.Lock()
		r.report.Misrouted += c.misrouted
		r.report.Previews += c.previews
		for _, p := range c.prompts {
			if !p.accepted {
				continue
			}
			r.report.Accepted++
			switch {
			case p.violation != "":
				r.report.OutOfOrder++
				r.noteLocked(fmt.Sprintf("prompt %s out of order: %s", p.id, p.violation))
			case p.failed:
				r.report.ExecErrors++
				r.noteLocked(fmt.Sprintf("prompt %s: %.300s", p.id, p.failure))
			case !p.complete():
				r.report.Lost++
				r.noteLocked(fmt.Sprintf("prompt %s lost: started=%v succeeded=%v ended=%v", p.id, p.started, p.succeeded, p.ended))
			default:
				r.report.Completed++
				lat = append(lat, p.successAt.Sub(p.submitAt))
			}
		}
		c.mu.Unlock()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.report.P50, r.report.P90, r.report.P99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	if len(lat) > 0 {
		r.report.Max = lat[len(lat)-1]
	}
	if s := r.report.Wall.Seconds(); s > 0 {
		r.report.Throughput = float64(r.report.Completed) / s
	}
}

// noteLocked records an error text without counting it (the caller counts
// it in its own category).
func (r *run) noteLocked(s string) {
	if len(r.report.Errors) < maxErrorTexts {
		r.report.Errors = append(r.report.Errors, s)
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

func (r *run) verifyHistory(ctx context.Context, tracks []*clientTracks) {
	ids := make(chan string)
	var bad atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				h, err := r.client.History(hctx, id)
				cancel()
				var problem string
				switch {
				case err != nil:
					problem = fmt.Sprintf("history of %s: %v", id, err)
				case h == nil || h.Status.StatusStr != "success" || len(h.Images()) == 0:
					problem = fmt.Sprintf("history of %s is missing or not a success with images", id)
				}
				if problem != "" {
					bad.Add(1)
					r.mu.Lock()
					r.noteLocked(problem)
					r.mu.Unlock()
				}
			}
		}()
	}
	for _, c := range tracks {
		c.mu.Lock()
		var done []string
		for id, p := range c.prompts {
			if p.complete() {
				done = append(done, id)
			}
		}
		c.mu.Unlock()
		for _, id := range done {
			ids <- id
		}
	}
	close(ids)
	wg.Wait()
	r.report.HistoryBad = int(bad.Load())
}

func (r *run) logProgress(ctx context.Context, start time.Time) (stop func()) {
	if r.cfg.Log == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(r.cfg.Log, "%6.1fs  %d/%d prompts done\n", time.Since(start).Seconds(), r.completed.Load(), r.cfg.Prompts)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "clients %d, prompts %d: accepted %d, completed %d in %.1fs\n", r.Clients, r.Prompts, r.Accepted, r.Completed, r.Wall.Seconds())
	fmt.Fprintf(w, "throughput      %.2f prompts/s\n", r.Throughput)
	fmt.Fprintf(w, "latency         p50 %v  p90 %v  p99 %v  max %v (POST to execution_success)\n",
		r.P50.Round(time.Millisecond), r.P90.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond))
	fmt.Fprintf(w, "lost            %d\nout of order    %d\nmisrouted       %d\nexecution errors %d\nhistory bad     %d\nother errors    %d\n",
		r.Lost, r.OutOfOrder, r.Misrouted, r.ExecErrors, r.HistoryBad, r.ErrorCount)
	fmt.Fprintf(w, "previews        %d binary frames\n", r.Previews)
	if r.Mem.Samples > 0 {
		fmt.Fprintf(w, "server RSS      start %s, after warm-up %s, peak %s (VmHWM %s), end %s (%d samples)\n",
			procstat.MiB(r.Mem.Start), procstat.MiB(r.Mem.Warm), procstat.MiB(r.Mem.Peak), procstat.MiB(r.Mem.HWM), procstat.MiB(r.Mem.End), r.Mem.Samples)
	}
	if r.TimedOut {
		fmt.Fprintln(w, "TIMED OUT before every prompt finished")
	}
	for _, e := range r.Errors {
		fmt.Fprintln(w, "  error:", e)
	}
}
