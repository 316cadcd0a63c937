package sd1

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"comfyd/models/safetensors"
	"comfyd/tensor"
)

// goldenDir is $COMFYD_SD1_GOLDEN_DIR or the copy in testdata.
func goldenDir(t testing.TB) string {
	if d := os.Getenv("COMFYD_SD1_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "golden", "sd1")
}

// openGolden opens a fixture file; a missing fixture fails the test.
func openGolden(t testing.TB, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(goldenDir(t), name))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(t), name))
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func mustTensor(t testing.TB, f *safetensors.File, name string) *tensor.Tensor {
	t.Helper()
	x, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// checkClose applies the README tolerance |go-ref| <= rel·max|ref| + abs.
func checkClose(t testing.TB, what string, got []float32, want *tensor.Tensor, rel, abs float64) {
	t.Helper()
	if len(got) != len(want.Data) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want.Data))
	}
	var maxRef, maxDiff float64
	worst := 0
	for _, w := range want.Data {
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
	}
	for i, w := range want.Data {
		d := math.Abs(float64(got[i]) - float64(w))
		if d > maxDiff || math.IsNaN(d) {
			maxDiff, worst = d, i
		}
	}
	tol := rel*maxRef + abs
	t.Logf("%s: max diff %.3g (%.3g of max|ref| %.3g), tolerance %.3g", what, maxDiff, maxDiff/maxRef, maxRef, tol)
	if !(maxDiff <= tol) {
		t.Errorf("%s: max diff %.3g at %d (go %v, ref %v) exceeds %.3g", what, maxDiff, worst, got[worst], want.Data[worst], tol)
	}
}

const (
	passRel, passAbs = 2e-5, 1e-6 // single model passes (README)
	sampleRel        = 5e-5       // sampler runs (README)
)

func checkpointSource(t testing.TB) Source {
	return FileSource{File: openGolden(t, "tiny_sd1_checkpoint.safetensors")}
}
