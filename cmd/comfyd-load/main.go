// Command comfyd-load drives a running comfyd (or ComfyUI) on this machine
// with many WebSocket clients and reports throughput, latency percentiles
// (POST /prompt to that client's execution_success), lost and out-of-order
// messages, errors and the server's memory:
//
//	comfyd-load --url http://127.0.0.1:8188 --clients 100 --prompts 1000 \
//	    --width 64 --height 64 --steps 4 --pid $(pgrep -n comfyd)
//
// Every prompt must see execution_start ... execution_success ... executing
// {node: null} in that order on its own client. The run is bounded by
// --prompts and --timeout and stops by itself; only loopback servers are
// accepted. The exit status is 0 for a clean run, 1 when anything was lost,
// out of order or failed, 2 for bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"comfyd/internal/comfyclient"
	"comfyd/internal/loadgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	url                   string
	clients, prompts      int
	inFlight              int
	workflow              string
	ckpt                  string
	width, height, steps  int
	seed                  uint64
	timeout               time.Duration
	pid                   int
	verifyHistory, asJSON bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("comfyd-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8188", "server URL (loopback only)")
	fs.IntVar(&o.clients, "clients", 10, fmt.Sprintf("concurrent WebSocket clients (1..%d)", loadgen.MaxClients))
	fs.IntVar(&o.prompts, "prompts", 50, fmt.Sprintf("prompts in total, dealt round-robin to the clients (1..%d)", loadgen.MaxPrompts))
	fs.IntVar(&o.inFlight, "in-flight", 1, "prompts each client keeps queued at once")
	fs.StringVar(&o.workflow, "workflow", "", "API-format workflow JSON (default: the built-in text-to-image graph)")
	fs.StringVar(&o.ckpt, "ckpt", "", "checkpoint for the default workflow (default: the server's first choice, the built-in model)")
	fs.IntVar(&o.width, "width", 64, "EmptyLatentImage width (0 keeps the workflow's)")
	fs.IntVar(&o.height, "height", 64, "EmptyLatentImage height (0 keeps the workflow's)")
	fs.IntVar(&o.steps, "steps", 4, "KSampler steps (0 keeps the workflow's)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the first prompt; prompt i uses seed+i so none is a cache hit")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "stop after this long whatever remains")
	fs.IntVar(&o.pid, "pid", 0, "server process id, for its resident memory (Linux /proc)")
	fs.BoolVar(&o.verifyHistory, "verify-history", true, "check every completed prompt's /history entry afterwards")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := comfyclient.RequireLoopback(o.url); err != nil {
		return nil, err
	}
	if o.width < 0 || o.height < 0 || o.steps < 0 {
		return nil, errors.New("--width, --height and --steps must not be negative")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "comfyd-load:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	wf, err := workflow(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "comfyd-load:", err)
		return 2
	}
	rep, err := loadgen.Run(ctx, loadgen.Config{
		BaseURL: o.url, Clients: o.clients, Prompts: o.prompts, InFlight: o.inFlight,
		Workflow: wf, SeedBase: o.seed, Timeout: o.timeout, PID: o.pid,
		VerifyHistory: o.verifyHistory, Log: stderr,
	})
	if err != nil {
		fmt.Fprintln(stderr, "comfyd-load:", err)
		return 2
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.WriteText(stdout)
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

// workflow loads --workflow or builds the default graph, then applies the
// size and step flags.
func workflow(ctx context.Context, o *options) (comfyclient.Workflow, error) {
	var wf comfyclient.Workflow
	if o.workflow != "" {
		var err error
		if wf, err = comfyclient.LoadWorkflow(o.workflow); err != nil {
			return nil, err
		}
	} else {
		ckpt := o.ckpt
		if ckpt == "" {
			c, err := comfyclient.New(o.url)
			if err != nil {
				return nil, err
			}
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if ckpt, err = c.FirstCheckpoint(cctx); err != nil {
				return nil, fmt.Errorf("asking the server for its checkpoints: %w", err)
			}
		}
		wf = comfyclient.DefaultWorkflow(ckpt, 64, 64, 4)
	}
	for _, s := range []struct {
		class, input string
		v            int
	}{
		{"EmptyLatentImage", "width", o.width}, {"EmptyLatentImage", "height", o.height},
		{"KSampler", "steps", o.steps}, {"KSamplerAdvanced", "steps", o.steps}, {"KSampler //Inspire", "steps", o.steps},
	} {
		if s.v > 0 {
			wf.SetInput(s.class, s.input, s.v)
		}
	}
	return wf, nil
}
