package sd1

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"comfyd/tensor"
)

// Full-size benchmarks with random weights in the shapes of the SD1.5
// manifest. PyTorch on this CPU (README of the fixtures' generator):
// UNet [2,4,64,64] 17.5 s, VAE decode to 512×512 16.7 s, CLIP 0.12 s.
// Run one iteration: go test ./models/sd1 -run XXX -bench Full -benchtime 1x

func manifestShapes(b *testing.B, part string) map[string][]int {
	data, err := os.ReadFile(filepath.Join(goldenDir(b), "sd15_full_key_manifest.json"))
	if err != nil {
		b.Fatalf("golden fixture: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		b.Fatal(err)
	}
	var p struct {
		Keys map[string][]int `json:"keys"`
	}
	if err := json.Unmarshal(m[part], &p); err != nil {
		b.Fatal(err)
	}
	return p.Keys
}

// lazyRandom generates each tensor when the loader asks for it (into the
// loader's reused buffer for packed weights), so the benchmark holds only
// the model's own copy of the weights.
type lazyRandom map[string][]int

func (s lazyRandom) Shape(name string) ([]int, bool) { v, ok := s[name]; return v, ok }

func (s lazyRandom) Float32(name string) (*tensor.Tensor, error) {
	shape, ok := s[name]
	if !ok {
		return nil, os.ErrNotExist
	}
	t := tensor.New(shape...)
	fillRandom(name, shape, t.Data)
	return t, nil
}

func (s lazyRandom) Float32Into(name string, dst []float32) ([]float32, []int, error) {
	shape, ok := s[name]
	if !ok {
		return nil, nil, os.ErrNotExist
	}
	n := tensor.Numel(shape)
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	fillRandom(name, shape, dst)
	return dst, shape, nil
}

// randomSource builds small input tensors.
func randomSource(shapes map[string][]int) MapSource {
	src := MapSource{}
	for name, shape := range shapes {
		t := tensor.New(shape...)
		fillRandom(name, shape, t.Data)
		src[name] = t
	}
	return src
}

// fillRandom fills a tensor with uniform values of variance 1/fan_in (norm
// weights near 1, biases small), like the fixtures' init.
func fillRandom(name string, shape []int, data []float32) {
	state := uint64(0x9E3779B97F4A7C15)
	for _, c := range name {
		state = state*31 + uint64(c)
	}
	state |= 1
	fanIn := 1
	for _, d := range shape[1:] {
		fanIn *= d
	}
	scale := float32(math.Sqrt(3 / float64(fanIn)))
	isNorm := len(shape) == 1 && strings.HasSuffix(name, ".weight")
	isBias := strings.HasSuffix(name, ".bias")
	for i := range data {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		u := float32(state>>40)/float32(1<<24)*2 - 1
		switch {
		case isNorm:
			data[i] = 1 + 0.1*u
		case isBias:
			data[i] = 0.1 * u
		default:
			data[i] = scale * u
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's high-water resident set (VmHWM) in MB.
func peakRSS() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func report(b *testing.B, c0 time.Duration) {
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}

func BenchmarkFullUNet(b *testing.B) {
	shapes := manifestShapes(b, "unet")
	cfg := UNetConfig{
		InChannels: 4, OutChannels: 4, ModelChannels: 320,
		ChannelMult: []int{1, 2, 4, 4}, NumResBlocks: []int{2, 2, 2, 2},
		TransformerDepth: []int{1, 1, 1, 1, 1, 1, 0, 0}, TransformerDepthOutput: []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
		TransformerDepthMiddle: 1, ContextDim: 768, NumHeads: SD15Heads, NumHeadChannels: -1,
	}
	u, err := LoadUNet(lazyRandom(shapes), "model.diffusion_model.", cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	x := randomSource(map[string][]int{"x": {2, 4, 64, 64}, "c": {2, 77, 768}})
	runtime.GC()
	c0 := cpuTime()
	for b.Loop() {
		if _, err := u.Forward(context.Background(), x["x"].Data, 2, 64, 64, []float32{999, 500}, x["c"].Data, 2, 77); err != nil {
			b.Fatal(err)
		}
	}
	report(b, c0)
}

func BenchmarkFullVAEDecode(b *testing.B) {
	shapes := manifestShapes(b, "vae")
	src := lazyRandom(shapes)
	cfg, err := VAEConfigFromShapes(src, "first_stage_model.")
	if err != nil {
		b.Fatal(err)
	}
	v, err := LoadVAE(src, "first_stage_model.", cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	z := randomSource(map[string][]int{"z": {1, 4, 64, 64}})["z"]
	runtime.GC()
	c0 := cpuTime()
	for b.Loop() {
		if _, err := v.Decode(context.Background(), z); err != nil {
			b.Fatal(err)
		}
	}
	report(b, c0)
}

func BenchmarkFullCLIP(b *testing.B) {
	shapes := manifestShapes(b, "clip")
	src := lazyRandom(shapes)
	const prefix = "cond_stage_model.transformer.text_model."
	cfg, err := CLIPConfigFromShapes(src, prefix, 0)
	if err != nil {
		b.Fatal(err)
	}
	e, err := LoadTextEncoder(src, prefix, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	seq := make([]Input, 77)
	for i := range seq {
		seq[i] = Input{ID: (i * 7919) % 49406}
	}
	runtime.GC()
	c0 := cpuTime()
	for b.Loop() {
		if _, err := e.Forward(context.Background(), [][]Input{seq}, -1); err != nil {
			b.Fatal(err)
		}
	}
	report(b, c0)
}
