package faulttest

import (
	"os"
	"strings"
	"testing"
	"time"

	"comfyd/internal/loadgen"
	"comfyd/internal/procstat"
)

// TestLoadShort is the CI-sized load run: 10 WebSocket clients, 50
// prompts of the built-in model at 64x64 and 4 steps. Every prompt must
// complete with its messages in protocol order on its own client, none
// lost or misrouted, each with a successful history entry. (The 100 x 1000
// soak run is too long for CI; see cmd/comfyd-load.)
func TestLoadShort(t *testing.T) {
	s := start(t, "--preview-method", "latent2rgb")
	cfg := loadgen.Config{
		BaseURL: s.URL, Clients: 10, Prompts: 50, Workflow: workflow(4, 0), SeedBase: 1,
		Timeout: 50 * time.Second, PID: s.PID(), VerifyHistory: true,
	}
	if testing.Verbose() {
		cfg.Log = os.Stderr
	}
	rep, err := loadgen.Run(timeout(t, 55*time.Second), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.1f prompts/s, p50 %v p99 %v, RSS start %s peak %s end %s, %d previews",
		rep.Throughput, rep.P50.Round(time.Millisecond), rep.P99.Round(time.Millisecond),
		procstat.MiB(rep.Mem.Start), procstat.MiB(rep.Mem.Peak), procstat.MiB(rep.Mem.End), rep.Previews)
	if !rep.OK() {
		var b strings.Builder
		rep.WriteText(&b)
		t.Errorf("load run not clean:\n%s", b.String())
	}
	if len(pngFiles(t, s)) != cfg.Prompts {
		t.Errorf("%d PNG files, want %d", len(pngFiles(t, s)), cfg.Prompts)
	}
	s.Alive(t)
}
