package faulttest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"comfyd/internal/comfyclient"
	"comfyd/internal/comfytest"
	"comfyd/internal/procstat"
)

// maxRSS bounds the server's resident memory through every hostile run:
// comfyd refuses tensors beyond 2 GiB (nodes.MaxTensorBytes), and nothing
// here should come near that.
const maxRSS = 2 << 30

// outcome is how a queued prompt ended, as its client saw it.
type outcome struct {
	kind    string // execution_success, execution_error or execution_interrupted
	message string // exception_message of an error
	nodeID  string
}

// queueAndWatch queues wf, then waits for its terminal message while
// sampling the server's memory; it interrupts the prompt after
// interruptAfter (0: never) and fails the test past limit.
func queueAndWatch(t *testing.T, s *comfytest.Server, sock *comfyclient.Socket, wf any, interruptAfter, limit time.Duration) (outcome, int64) {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"prompt": wf, "client_id": sock.ClientID})
	began := time.Now()
	status, body, err := s.Do(timeout(t, 30*time.Second), "POST", "/prompt", "application/json", strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("POST /prompt: %v", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("POST /prompt answered in %v", took)
	}
	if status != http.StatusOK {
		t.Fatalf("POST /prompt: %d %s", status, body)
	}
	var res comfyclient.PromptResponse
	_ = json.Unmarshal(body, &res)
	var peak int64
	deadline := time.Now().Add(limit)
	interrupted := false
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m, ok := <-sock.Messages:
			if !ok {
				t.Fatalf("socket closed: %v", sock.Err())
			}
			if m.PromptID != res.PromptID {
				continue
			}
			switch m.Type {
			case "execution_success", "execution_error", "execution_interrupted":
				var e struct {
					Msg  string `json:"exception_message"`
					Node string `json:"node_id"`
				}
				_ = json.Unmarshal(m.Data, &e)
				return outcome{m.Type, strings.TrimSpace(e.Msg), e.Node}, max(peak, s.Mem(t).HWM)
			}
		case <-tick.C:
			peak = max(peak, s.Mem(t).RSS)
			if peak > maxRSS {
				t.Fatalf("server RSS %s beyond %s", procstat.MiB(peak), procstat.MiB(maxRSS))
			}
			if interruptAfter > 0 && !interrupted && time.Since(began) > interruptAfter {
				interrupted = true
				if err := s.Interrupt(timeout(t, 10*time.Second), res.PromptID); err != nil {
					t.Fatal(err)
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("prompt still running after %v", limit)
			}
		}
	}
}

// TestHostileButValidPrompts: prompts that pass validation but ask for
// too much. Each ends in a clear error (or, for a run that is merely long,
// obeys /interrupt), the server's memory stays bounded, and it lives on.
func TestHostileButValidPrompts(t *testing.T) {
	s := start(t, "--preview-method", "latent2rgb")
	sock := dial(t, s, comfyDial())

	t.Run("seed 2^64-1 is the last valid seed", func(t *testing.T) {
		wf := workflow(4, 0)
		wf.Inputs("3")["seed"] = uint64(1<<64 - 1)
		if o, _ := queueAndWatch(t, s, sock, wf, 0, 30*time.Second); o.kind != "execution_success" {
			t.Errorf("got %+v", o)
		}
	})
	t.Run("batch of 4096 at 16384x16384 is refused at the node", func(t *testing.T) {
		wf := comfyclient.DefaultWorkflow(builtin, 16384, 16384, 4)
		wf.Inputs("5")["batch_size"] = 4096
		o, peak := queueAndWatch(t, s, sock, wf, 0, 30*time.Second)
		t.Logf("%+v, peak RSS %s", o, procstat.MiB(peak))
		if o.kind != "execution_error" || o.nodeID != "5" || !strings.Contains(o.message, "limit") {
			t.Errorf("got %+v, want an execution_error on EmptyLatentImage naming the limit", o)
		}
	})
	t.Run("batch of 8 at 16384x16384 is refused before sampling allocates", func(t *testing.T) {
		wf := comfyclient.DefaultWorkflow(builtin, 16384, 16384, 4)
		wf.Inputs("5")["batch_size"] = 8
		o, peak := queueAndWatch(t, s, sock, wf, 0, 30*time.Second)
		t.Logf("%+v, peak RSS %s", o, procstat.MiB(peak))
		if o.kind != "execution_error" || o.nodeID != "3" || !strings.Contains(o.message, "limit") {
			t.Errorf("got %+v, want an execution_error on KSampler naming the limit", o)
		}
		// The 512 MiB latent itself exists; the sampler's ~6 GiB working set
		// must not (it reached 3.7 GB before the working-set check).
		if peak > 2<<30 {
			t.Errorf("peak RSS %s: sampling allocated before refusing", procstat.MiB(peak))
		}
	})
	t.Run("steps 10000 at 16384x16384 is bounded and obeys interrupt", func(t *testing.T) {
		wf := comfyclient.DefaultWorkflow(builtin, 16384, 16384, 10000)
		o, peak := queueAndWatch(t, s, sock, wf, 3*time.Second, 60*time.Second)
		t.Logf("%+v, peak RSS %s", o, procstat.MiB(peak))
		if o.kind != "execution_interrupted" && o.kind != "execution_error" {
			t.Errorf("got %+v, want the run interrupted (or refused)", o)
		}
	})
	t.Run("latent upscaled 8x ten times is refused", func(t *testing.T) {
		wf := workflow(4, 3)
		prev := "5"
		for i := range 10 {
			id := fmt.Sprint(100 + i)
			wf[id] = map[string]any{"class_type": "LatentUpscaleBy", "inputs": map[string]any{
				"samples": []any{prev, 0}, "upscale_method": "nearest-exact", "scale_by": 8.0}}
			prev = id
		}
		wf.Inputs("3")["latent_image"] = []any{prev, 0}
		o, peak := queueAndWatch(t, s, sock, wf, 0, 60*time.Second)
		t.Logf("%+v, peak RSS %s", o, procstat.MiB(peak))
		if o.kind != "execution_error" {
			t.Errorf("got %+v, want an execution_error", o)
		}
	})
	t.Run("a 10000-node graph is answered in bounded time", func(t *testing.T) {
		wf := workflow(1, 4)
		prev := "5"
		for i := range 10000 - len(wf) {
			id := fmt.Sprint(1000 + i)
			wf[id] = map[string]any{"class_type": "LatentUpscaleBy", "inputs": map[string]any{
				"samples": []any{prev, 0}, "upscale_method": "nearest-exact", "scale_by": 1.0}}
			prev = id
		}
		wf.Inputs("3")["latent_image"] = []any{prev, 0}
		if len(wf) != 10000 {
			t.Fatalf("%d nodes", len(wf))
		}
		// Running it whole takes about a minute on two cores (the cost per
		// node grows with the graph): interrupt it once it runs.
		o, peak := queueAndWatch(t, s, sock, wf, 2*time.Second, 30*time.Second)
		t.Logf("%s, peak RSS %s", o.kind, procstat.MiB(peak))
		if o.kind != "execution_interrupted" && o.kind != "execution_success" {
			t.Errorf("got %+v", o)
		}
	})
	s.Alive(t)
}

// TestHostileFiles: uploads that are not what they claim (text named
// .png, a PNG header declaring 65535x65535 pixels, a truncated PNG, .latent
// files with lying headers) are stored or refused, and every use of them
// (LoadImage, LoadLatent, /view previews, /upload/mask) ends in a clear
// error, never a crash or an allocation of what the header claims.
func TestHostileFiles(t *testing.T) {
	s := start(t)
	sock := dial(t, s, comfyDial())
	files := map[string][]byte{
		"junk.png":      []byte("this is not an image"),
		"bomb.png":      bombPNG(65535, 65535),
		"truncated.png": tinyPNG()[:60],
		"huge.latent":   latentFile(`{"latent_tensor": {"dtype": "F32", "shape": [1, 4, 100000, 100000], "data_offsets": [0, 160000000000]}}`, 16),
		"lying.latent":  latentFile(`{"latent_tensor": {"dtype": "F32", "shape": [1, 4, 8, 8], "data_offsets": [0, 1024]}}`, 16),
		"hdrlen.latent": append(binary.LittleEndian.AppendUint64(nil, 1<<62), "{}"...),
	}
	for name, data := range files {
		ct, body := upload(name, data, map[string]string{"overwrite": "true"})
		status, resp, err := s.Do(timeout(t, 30*time.Second), "POST", "/upload/image", ct, body())
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusOK && (status < 400 || status > 499) {
			t.Errorf("upload %s: %d %s", name, status, resp)
		}
	}
	for name := range files {
		t.Run(name, func(t *testing.T) {
			var wf comfyclient.Workflow
			if strings.HasSuffix(name, ".latent") {
				wf = workflow(4, 5)
				wf["20"] = map[string]any{"class_type": "LoadLatent", "inputs": map[string]any{"latent": name}}
				wf.Inputs("3")["latent_image"] = []any{"20", 0}
			} else {
				wf = workflow(4, 6)
				wf["20"] = map[string]any{"class_type": "LoadImage", "inputs": map[string]any{"image": name}}
				wf["21"] = map[string]any{"class_type": "VAEEncode", "inputs": map[string]any{"pixels": []any{"20", 0}, "vae": []any{"4", 2}}}
				wf.Inputs("3")["latent_image"] = []any{"21", 0}
			}
			data, _ := json.Marshal(map[string]any{"prompt": wf, "client_id": sock.ClientID})
			status, body, err := s.Do(timeout(t, 30*time.Second), "POST", "/prompt", "application/json", strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			switch status {
			case http.StatusBadRequest:
				t.Logf("refused at validation: %.200s", body)
			case http.StatusOK:
				var res comfyclient.PromptResponse
				_ = json.Unmarshal(body, &res)
				m := waitFor(t, sock, 30*time.Second, "the run's end", func(m comfyclient.Message) bool {
					return m.PromptID == res.PromptID && (m.Type == "execution_success" || m.Type == "execution_error")
				})
				if m.Type != "execution_error" || !strings.Contains(string(m.Data), `"node_id":"20"`) {
					t.Errorf("%s: %.300s, want an execution_error on the loader", m.Type, m.Data)
				}
				t.Logf("execution_error: %.200s", m.Data)
			default:
				t.Errorf("POST /prompt: %d %s", status, body)
			}
			if !viewable[name] {
				return
			}
			for _, q := range []string{"&preview=jpeg;50", "&preview=webp", "&channel=rgb", "&channel=a"} {
				status, _, err := s.Do(timeout(t, 30*time.Second), "GET", "/view?type=input&filename="+name+q, "", nil)
				if err != nil {
					s.Alive(t)
					t.Fatalf("/view %s: %v", q, err)
				}
				if status < 400 || status > 499 {
					t.Errorf("/view %s%s: %d, want a 4xx", name, q, status)
				}
			}
			ref, _ := json.Marshal(map[string]string{"filename": name, "type": "input"})
			ct, mbody := upload("mask-"+name, tinyPNG(), map[string]string{"original_ref": string(ref)})
			status, resp, err := s.Do(timeout(t, 30*time.Second), "POST", "/upload/mask", ct, mbody())
			if err != nil {
				s.Alive(t)
				t.Fatalf("/upload/mask: %v", err)
			}
			if status < 400 || status > 499 {
				t.Errorf("/upload/mask over %s: %d %s, want a 4xx", name, status, resp)
			}
			s.Alive(t)
		})
	}
	if m := s.Mem(t); m.HWM > maxRSS {
		t.Errorf("peak RSS %s", procstat.MiB(m.HWM))
	}
}

// viewable are the uploads /view and /upload/mask are tried on.
var viewable = map[string]bool{"junk.png": true, "truncated.png": true, "bomb.png": true}

// latentFile is a safetensors file with the given header and n data bytes.
func latentFile(header string, n int) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, make([]byte, n)...)
}
