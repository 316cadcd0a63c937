package noise

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"comfyd/tensor"
)

// goldenDir is where the sampling golden vectors live (spec 10).
func goldenDir() string {
	if d := os.Getenv("COMFYD_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "golden", "sampling")
}

// f32 is a golden float32: shortest decimal parsed as float32, null = NaN.
type f32 float32

func (f *f32) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = f32(math.NaN())
		return nil
	}
	var v float32
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = f32(v)
	return nil
}

// loadGolden decodes a golden file into v and fails the test when it is
// missing or unreadable.
func loadGolden(t *testing.T, name string, v any) {
	t.Helper()
	path := filepath.Join(goldenDir(), name)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
}

// loadCases reads the "cases" list of a golden file and fails the test
// when there are none.
func loadCases[C any](t *testing.T, name string) []C {
	t.Helper()
	var file struct {
		Cases []C `json:"cases"`
	}
	loadGolden(t, name, &file)
	if len(file.Cases) == 0 {
		t.Fatalf("%s holds no cases", name)
	}
	return file.Cases
}

type goldenCall struct {
	Shape  []int `json:"shape"`
	Offset *int  `json:"offset"`
	Values []f32 `json:"values"`
}

type randnCase struct {
	Kind   string       `json:"kind"`
	Seed   uint64       `json:"seed"`
	Path   string       `json:"path"`
	Calls  []goldenCall `json:"calls"`
	MaxAbs *float64     `json:"max_abs_diff_vs_avx2"`
	MaxULP *int         `json:"independent_impl_max_ulp_diff"`
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// sameBits reports exact equality including the sign of zero; NaN equals NaN.
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// ulpDiff is the distance in representable float32 values.
func ulpDiff(a, b float32) int64 {
	ord := func(x float32) int64 {
		u := int64(math.Float32bits(x))
		if u&0x80000000 != 0 {
			return -(u & 0x7fffffff)
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// exactMismatches counts values that differ in any bit and reports the first.
func exactMismatches(t *testing.T, what string, got []float32, want []f32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, golden has %d", what, len(got), len(want))
	}
	bad, first := 0, -1
	for i := range got {
		if !sameBits(got[i], float32(want[i])) {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d/%d values differ; first at %d: got %v (%#08x) want %v (%#08x)", what, bad, len(got),
			first, got[first], math.Float32bits(got[first]), want[first], math.Float32bits(float32(want[first])))
	}
}

func TestGoldenRandnCPU(t *testing.T) {
	cases := loadCases[randnCase](t, "randn_cpu.json")
	for ci, c := range cases {
		if len(c.Calls) == 0 {
			t.Fatalf("case %d: no calls", ci)
		}
		switch c.Path {
		case "avx2":
			g := NewCPU(c.Seed)
			for k, call := range c.Calls {
				got := make([]float32, numel(call.Shape))
				g.Randn(got)
				exactMismatches(t, caseName(ci, c.Seed, k, call.Shape), got, call.Values)
			}
		case "generic":
			// torch's generic kernel (libm logf/sinf/cosf) is not what comfyd
			// reproduces; the AVX2 values must stay within the difference the
			// golden file measured between the two kernels (spec 11), and the
			// libm-style transform within 2 ulp of torch's generic kernel.
			if c.MaxAbs == nil {
				t.Fatalf("case %d: generic case without max_abs_diff_vs_avx2", ci)
			}
			g, gg := NewCPU(c.Seed), NewCPUGeneric(c.Seed)
			for k, call := range c.Calls {
				got := make([]float32, numel(call.Shape))
				g.Randn(got)
				generic := make([]float32, len(got))
				gg.Randn(generic)
				for i := range got {
					want := float32(call.Values[i])
					if d := math.Abs(float64(got[i] - want)); d > *c.MaxAbs {
						t.Fatalf("%s: value %d: avx2 %v vs generic %v differ by %g > %g", caseName(ci, c.Seed, k, call.Shape), i, got[i], want, d, *c.MaxAbs)
					}
					if u := ulpDiff(generic[i], want); u > 2 {
						t.Fatalf("%s: value %d: libm transform %v vs generic %v differ by %d ulp", caseName(ci, c.Seed, k, call.Shape), i, generic[i], want, u)
					}
				}
			}
		default:
			t.Fatalf("case %d: unknown path %q", ci, c.Path)
		}
	}
}

func TestGoldenRandnCUDA(t *testing.T) {
	var file struct {
		KAT []struct {
			Counter [4]uint32 `json:"counter"`
			Key     [2]uint32 `json:"key"`
			Output  [4]uint32 `json:"output"`
		} `json:"philox_kat"`
		Cases []randnCase `json:"cases"`
	}
	loadGolden(t, "randn_cuda_philox.json", &file)
	if len(file.KAT) == 0 || len(file.Cases) == 0 {
		t.Fatalf("randn_cuda_philox.json holds %d known answers and %d cases", len(file.KAT), len(file.Cases))
	}
	for i, kat := range file.KAT {
		if got := philox4x32(kat.Counter, kat.Key); got != kat.Output {
			t.Errorf("philox KAT %d: counter %v key %v: got %v want %v", i, kat.Counter, kat.Key, got, kat.Output)
		}
	}
	for ci, c := range file.Cases {
		if len(c.Calls) == 0 {
			t.Fatalf("case %d: no calls", ci)
		}
		g := NewCUDA(c.Seed)
		for k, call := range c.Calls {
			if call.Offset == nil || uint32(*call.Offset) != g.Offset() {
				t.Fatalf("%s: golden offset %v, generator at %d", caseName(ci, c.Seed, k, call.Shape), call.Offset, g.Offset())
			}
			got := make([]float32, numel(call.Shape))
			g.Randn(got)
			exactMismatches(t, caseName(ci, c.Seed, k, call.Shape), got, call.Values)
		}
	}
}

type inspireCase struct {
	Device            string  `json:"device"`
	NoiseMode         string  `json:"noise_mode"`
	BatchSeedMode     string  `json:"batch_seed_mode"`
	Seed              uint64  `json:"seed"`
	VariationSeed     uint64  `json:"variation_seed"`
	VariationStrength float64 `json:"variation_strength"`
	VariationMethod   string  `json:"variation_method"`
	Shape             []int   `json:"shape"`
	BatchIndex        []int   `json:"batch_index"`
	Noise             []f32   `json:"noise"`
}

// prepare is Prepare on the case's parameters, on dev.
func (c inspireCase) prepare(dev Device) (*tensor.Tensor, error) {
	return Prepare(Params{
		Shape: c.Shape, Seed: c.Seed, BatchIndex: c.BatchIndex, Device: dev,
		BatchSeedMode: c.BatchSeedMode, VariationSeed: c.VariationSeed,
		VariationStrength: c.VariationStrength, VariationMethod: c.VariationMethod,
	})
}

func TestGoldenInspireNoise(t *testing.T) {
	cases := loadCases[inspireCase](t, "inspire_noise.json")
	const slerpTol = 5e-7 // spec 11: norm and dot-product summation order
	for ci, c := range cases {
		dev, err := ParseDevice(c.Device)
		if err != nil {
			t.Fatalf("case %d: %v", ci, err)
		}
		got, err := c.prepare(dev)
		name := inspireName(ci, c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Data) != len(c.Noise) {
			t.Fatalf("%s: %d values, golden has %d", name, len(got.Data), len(c.Noise))
		}
		if c.VariationMethod != MethodSlerp {
			exactMismatches(t, name, got.Data, c.Noise)
			continue
		}
		for i, v := range got.Data {
			w := float32(c.Noise[i])
			if (v != v) != (w != w) || math.Abs(float64(v-w)) > slerpTol {
				t.Errorf("%s: value %d: got %v want %v (tolerance %g)", name, i, v, w, slerpTol)
				break
			}
		}
	}
}
