package noise

import (
	"math"
	"strings"
	"testing"
)

const maxSeed = ^uint64(0)

// The MT19937 reference: the 10000th output for seed 5489 is 4123659995
// (C++ std::mt19937 requirement), and the first is 3499211612.
func TestMT19937Reference(t *testing.T) {
	var m mt19937
	m.seed(5489)
	if got := m.uint32(); got != 3499211612 {
		t.Fatalf("first output %d, want 3499211612", got)
	}
	for i := 2; i < 10000; i++ {
		m.uint32()
	}
	if got := m.uint32(); got != 4123659995 {
		t.Fatalf("10000th output %d, want 4123659995", got)
	}
}

func TestFillUniformMatchesWords(t *testing.T) {
	a, b := NewCPU(7), NewCPU(7)
	buf := make([]float32, 2000) // crosses several twists
	a.mt.fillUniform32(buf)
	for i, v := range buf {
		if w := b.Float32(); v != w {
			t.Fatalf("uniform %d: fill %v, one by one %v", i, v, w)
		}
	}
}

func TestCPUSeedUsesLow32Bits(t *testing.T) {
	for _, tc := range []struct{ a, b uint64 }{
		{5, 1<<32 + 5}, {5, 1<<63 + 5}, {maxSeed, 1<<32 - 1}, {0, 1 << 32},
	} {
		x, y := randnCPU(tc.a, 37), randnCPU(tc.b, 37)
		for i := range x {
			if !sameBits(x[i], y[i]) {
				t.Fatalf("seeds %d and %d differ at %d", tc.a, tc.b, i)
			}
		}
	}
}

func TestCUDASeedUsesAll64Bits(t *testing.T) {
	x, y := make([]float32, 8), make([]float32, 8)
	NewCUDA(5).Randn(x)
	NewCUDA(1<<32 + 5).Randn(y)
	if x[0] == y[0] {
		t.Fatal("CUDA seeds 5 and 2^32+5 gave the same first value")
	}
}

func randnCPU(seed uint64, n int) []float32 {
	d := make([]float32, n)
	NewCPU(seed).Randn(d)
	return d
}

// Extreme seeds must produce finite, plausible normals on both devices.
func TestExtremeSeedsFinite(t *testing.T) {
	for _, seed := range []uint64{0, maxSeed} {
		for _, d := range []Device{DeviceCPU, DeviceCUDA} {
			for _, n := range []int{1, 15, 16, 4 * 64 * 64} {
				g, err := NewGenerator(d, seed)
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]float32, n)
				g.Randn(buf)
				var sum, sq float64
				for _, v := range buf {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 7 {
						t.Fatalf("%s seed %d n %d: implausible value %v", d, seed, n, v)
					}
					sum += float64(v)
					sq += float64(v) * float64(v)
				}
				if n > 1000 {
					mean, variance := sum/float64(n), sq/float64(n)-sum*sum/float64(n*n)
					if math.Abs(mean) > 0.05 || math.Abs(variance-1) > 0.05 {
						t.Fatalf("%s seed %d: mean %v variance %v", d, seed, mean, variance)
					}
				}
			}
		}
	}
}

// The scalar path's cached normal survives across calls; the vector path
// neither reads nor clears it (spec 2.1).
func TestScalarCacheAcrossCalls(t *testing.T) {
	g := NewCPU(3)
	first := make([]float32, 1)
	g.Randn(first) // leaves the sine value cached
	vec := make([]float32, 16)
	g.Randn(vec)
	second := make([]float32, 1)
	g.Randn(second)

	h := NewCPU(3)
	h.Float64()
	h.Float64() // the words the scalar draw consumed
	want := make([]float32, 16)
	h.Randn(want)
	for i := range vec {
		if !sameBits(vec[i], want[i]) {
			t.Fatalf("vector call after a scalar draw: value %d %v, want %v", i, vec[i], want[i])
		}
	}
	// The cached value is r*sin(theta) of the first pair.
	k := NewCPU(3)
	a, b := k.Float64(), k.Float64()
	r := math.Sqrt(-2 * math.Log(1-b))
	if s := float32(r * math.Sin(2*math.Pi*a)); !sameBits(second[0], s) {
		t.Fatalf("cached value %v, want %v", second[0], s)
	}
}

func TestReseedClearsCache(t *testing.T) {
	g := NewCPU(11)
	one := make([]float32, 1)
	g.Randn(one)
	g.Seed(11)
	again := make([]float32, 1)
	g.Randn(again)
	if !sameBits(one[0], again[0]) {
		t.Fatalf("after re-seeding got %v, want %v", again[0], one[0])
	}
}

func TestCUDAOffsetAdvancesPerCall(t *testing.T) {
	g := NewCUDA(9)
	a, b := make([]float32, 4), make([]float32, 4)
	g.Randn(a)
	g.Randn(b)
	if g.Offset() != 2 {
		t.Fatalf("offset %d after two calls", g.Offset())
	}
	if a[0] == b[0] {
		t.Fatal("two calls returned the same first value")
	}
	g.Seed(9)
	c := make([]float32, 4)
	g.Randn(c)
	for i := range a {
		if !sameBits(a[i], c[i]) {
			t.Fatal("re-seeding did not restart at offset 0")
		}
	}
}

func TestNewGeneratorUnknownDevice(t *testing.T) {
	if _, err := NewGenerator("tpu", 1); err == nil {
		t.Fatal("no error for device tpu")
	}
	if _, err := ParseDevice("gpu"); err == nil {
		t.Fatal("no error for device gpu")
	}
	if _, err := Internal("mps", 1); err == nil {
		t.Fatal("no error for internal device mps")
	}
}

func TestInternal(t *testing.T) {
	for _, tc := range []struct {
		dev     Device
		seed    uint64
		want    Generator
		wantErr bool
	}{
		{DeviceCPU, 0, NewCPU(1), false},
		{DeviceCPU, 41, NewCPU(42), false},
		{DeviceCPU, maxSeed - 1, NewCPU(maxSeed), false},
		{DeviceCPU, maxSeed, nil, true},
		{DeviceCUDA, 0, NewCUDA(0), false},
		{DeviceCUDA, maxSeed, NewCUDA(maxSeed), false},
	} {
		g, err := Internal(tc.dev, tc.seed)
		if tc.wantErr {
			if err == nil {
				t.Errorf("Internal(%s, %d): no error", tc.dev, tc.seed)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Internal(%s, %d): %v", tc.dev, tc.seed, err)
		}
		for call := 0; call < 2; call++ {
			got, want := make([]float32, 20), make([]float32, 20)
			g.Randn(got)
			tc.want.Randn(want)
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("Internal(%s, %d) call %d differs at %d", tc.dev, tc.seed, call, i)
				}
			}
		}
	}
}

func TestPrepareErrors(t *testing.T) {
	ok := Params{Shape: []int{2, 4, 8, 8}, Seed: 1, Device: DeviceCPU, BatchSeedMode: ModeComfy}
	for _, tc := range []struct {
		name   string
		edit   func(*Params)
		reason string
	}{
		{"bad mode", func(p *Params) { p.BatchSeedMode = "fixed" }, "batch seed mode"},
		{"empty mode", func(p *Params) { p.BatchSeedMode = "" }, "batch seed mode"},
		{"bad variation step", func(p *Params) { p.BatchSeedMode = "variation str inc:abc" }, "batch seed mode"},
		{"bad method", func(p *Params) { p.VariationMethod = "cubic" }, "variation method"},
		{"bad device", func(p *Params) { p.Device = "gpu" }, "device"},
		{"NaN strength", func(p *Params) { p.VariationStrength = math.NaN() }, "not finite"},
		{"3-d shape", func(p *Params) { p.Shape = []int{4, 8, 8} }, "shape"},
		{"zero dim", func(p *Params) { p.Shape = []int{1, 4, 0, 8} }, "shape"},
		{"negative dim", func(p *Params) { p.Shape = []int{1, -4, 8, 8} }, "shape"},
		{"huge shape", func(p *Params) { p.Shape = []int{1 << 20, 1 << 20, 8, 8} }, "too large"},
		{"batch_index length", func(p *Params) { p.BatchIndex = []int{0} }, "batch_index"},
		{"negative batch_index", func(p *Params) { p.BatchIndex = []int{0, -1} }, "batch_index"},
		{"huge batch_index", func(p *Params) { p.BatchIndex = []int{0, 1 << 30} }, "batch_index"},
		{"incremental overflow", func(p *Params) { p.BatchSeedMode = ModeIncremental; p.Seed = maxSeed }, "overflows"},
		{"incremental overflow by one", func(p *Params) {
			p.BatchSeedMode = ModeIncremental
			p.Seed = maxSeed - 1
			p.Shape = []int{3, 4, 8, 8}
		}, "overflows"},
	} {
		p := ok
		tc.edit(&p)
		_, err := Prepare(p)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.reason)
		}
	}
	if _, err := Prepare(ok); err != nil {
		t.Fatalf("valid params: %v", err)
	}
}

// Seeds at the edge of the range that do not overflow are fine.
func TestPrepareEdgeSeeds(t *testing.T) {
	for _, tc := range []Params{
		{Shape: []int{1, 4, 8, 8}, Seed: maxSeed, Device: DeviceCPU, BatchSeedMode: ModeIncremental},
		{Shape: []int{2, 4, 8, 8}, Seed: maxSeed - 1, Device: DeviceCUDA, BatchSeedMode: ModeIncremental},
		{Shape: []int{3, 4, 8, 8}, Seed: maxSeed, Device: DeviceCPU, BatchSeedMode: ModeComfy},
		{Shape: []int{3, 4, 8, 8}, Seed: maxSeed, Device: DeviceCUDA, BatchSeedMode: ModeVariationInc005, VariationSeed: maxSeed},
		{Shape: []int{2, 4, 8, 8}, Seed: maxSeed, BatchIndex: []int{1, 0}, Device: DeviceCPU, BatchSeedMode: ModeIncremental},
		{Shape: []int{1, 4, 8, 8}, Seed: 0, Device: DeviceCUDA, BatchSeedMode: ModeComfy, VariationSeed: 1, VariationStrength: 0.5, VariationMethod: MethodSlerp},
	} {
		out, err := Prepare(tc)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		for i, v := range out.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%+v: value %d is %v", tc, i, v)
			}
		}
	}
}

// Incremental seeding with seed 2^64-2 and batch 2: the second item uses
// seed 2^64-1, which on the CPU equals seed 2^32-1.
func TestPrepareIncrementalLastSeed(t *testing.T) {
	out, err := Prepare(Params{Shape: []int{2, 1, 4, 4}, Seed: maxSeed - 1, Device: DeviceCPU, BatchSeedMode: ModeIncremental})
	if err != nil {
		t.Fatal(err)
	}
	want := randnCPU(1<<32-1, 16)
	for i, w := range want {
		if !sameBits(out.Data[16+i], w) {
			t.Fatalf("value %d: %v want %v", i, out.Data[16+i], w)
		}
	}
}

// ComfyUI's prepare_noise equals Inspire's "comfy" mode on the CPU without
// variation; check it against every such golden case.
func TestPrepareComfyMatchesGolden(t *testing.T) {
	var file struct {
		Cases []inspireCase `json:"cases"`
	}
	loadGolden(t, "inspire_noise.json", &file)
	n := 0
	for ci, c := range file.Cases {
		if c.Device != "cpu" || c.BatchSeedMode != ModeComfy || (c.VariationStrength > 0 && c.BatchIndex == nil) {
			continue
		}
		got, err := PrepareComfy(c.Shape, c.Seed, c.BatchIndex)
		if err != nil {
			t.Fatalf("%s: %v", inspireName(ci, c), err)
		}
		exactMismatches(t, inspireName(ci, c), got.Data, c.Noise)
		n++
	}
	if n == 0 {
		t.Fatal("no golden case exercises ComfyUI's prepare_noise")
	}
}

func TestPrepareComfyErrors(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		bi    []int
	}{
		{[]int{8}, nil},
		{nil, nil},
		{[]int{1, 4, 8, 0}, nil},
		{[]int{2, 4, 8, 8}, []int{0}},
		{[]int{2, 4, 8, 8}, []int{0, -3}},
	} {
		if _, err := PrepareComfy(tc.shape, 1, tc.bi); err == nil {
			t.Errorf("PrepareComfy(%v, %v): no error", tc.shape, tc.bi)
		}
	}
}

// ComfyUI's prepare_noise takes any rank (video latents are 5-D): one draw
// of the whole shape, or per-item draws of [1, ...].
func TestPrepareComfyRank5(t *testing.T) {
	shape := []int{2, 4, 3, 8, 8}
	out, err := PrepareComfy(shape, 9, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := randnCPU(9, 2*4*3*8*8)
	compareBits(t, "rank 5", len(want), 9, out.Data, want)
	idx, err := PrepareComfy(shape, 9, []int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	g := NewCPU(9)
	item := make([]float32, 4*3*8*8)
	g.Randn(item)
	g.Randn(item)
	compareBits(t, "rank 5 batch_index", len(item), 9, idx.Data[:len(item)], item)
	compareBits(t, "rank 5 batch_index", len(item), 9, idx.Data[len(item):], item)
	if _, err := Prepare(Params{Shape: shape, Device: DeviceCPU, BatchSeedMode: ModeComfy}); err == nil {
		t.Fatal("Inspire prepare accepted a 5-D latent")
	}
}

// batch_index draws consume the stream: index 1 alone equals the second
// [1,C,H,W] draw of the generator.
func TestPrepareComfyBatchIndexSkipsDraws(t *testing.T) {
	out, err := PrepareComfy([]int{1, 4, 4, 4}, 5, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	g := NewCPU(5)
	draw := make([]float32, 64)
	g.Randn(draw)
	g.Randn(draw)
	for i := range draw {
		if !sameBits(out.Data[i], draw[i]) {
			t.Fatalf("value %d: %v want %v", i, out.Data[i], draw[i])
		}
	}
}

// Identical base and variation noise make slerp divide by sin(0): NaN, as
// in the reference (spec 5).
func TestPrepareSlerpIdenticalIsNaN(t *testing.T) {
	out, err := Prepare(Params{Shape: []int{1, 4, 8, 8}, Seed: 7, Device: DeviceCPU, BatchSeedMode: ModeComfy,
		VariationSeed: 7, VariationStrength: 0.5, VariationMethod: MethodSlerp})
	if err != nil {
		t.Fatal(err)
	}
	if v := out.Data[0]; !math.IsNaN(float64(v)) {
		t.Fatalf("got %v, want NaN", v)
	}
}

func TestPrepareMethodDefaultIsLinear(t *testing.T) {
	p := Params{Shape: []int{2, 4, 8, 8}, Seed: 3, Device: DeviceCUDA, BatchSeedMode: ModeComfy, VariationSeed: 4, VariationStrength: 0.3}
	a, err := Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	p.VariationMethod = MethodLinear
	b, err := Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if !sameBits(a.Data[i], b.Data[i]) {
			t.Fatalf("empty method differs from linear at %d", i)
		}
	}
}

// Randn must not allocate after construction, on the split path included.
func TestRandnDoesNotAllocate(t *testing.T) {
	for _, n := range []int{5, 16, 33, 4 * 64 * 64, 4 * 4 * 128 * 128} {
		dst := make([]float32, n)
		for _, g := range []Generator{NewCPU(1), NewCUDA(1)} {
			g.Randn(dst) // start the helper pool outside the measurement
			if a := testing.AllocsPerRun(5, func() { g.Randn(dst) }); a != 0 {
				t.Errorf("%T.Randn(%d values): %v allocations per call", g, n, a)
			}
		}
	}
}
