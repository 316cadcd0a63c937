package sampling_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// goldenDir is $COMFYD_GOLDEN_DIR or the repository's developer set.
func goldenDir() string {
	if d := os.Getenv("COMFYD_GOLDEN_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "testdata", "golden", "sampling")
}

// loadGolden decodes one golden file; a missing file fails the test (the
// golden set is part of the repository).
func loadGolden(t testing.TB, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(goldenDir(), name))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

// f32s is a float32 array as the golden files write it: shortest float32
// decimals, null for NaN (spec 10.1).
type f32s []float32

func (f *f32s) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]float32, len(raw))
	for i, r := range raw {
		s := string(r)
		if s == "null" {
			out[i] = float32(math.NaN())
			continue
		}
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return err
		}
		out[i] = float32(v)
	}
	*f = out
	return nil
}

// ulpDiff counts float32 steps between a and b (NaN equals NaN).
func ulpDiff(a, b float32) int64 {
	if math.IsNaN(float64(a)) && math.IsNaN(float64(b)) {
		return 0
	}
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		return math.MaxInt64
	}
	return absInt(ordered(a) - ordered(b))
}

func ordered(f float32) int64 {
	u := int64(int32(math.Float32bits(f)))
	if u < 0 {
		u = math.MinInt32 - u
	}
	return u
}

func absInt(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// checkULP fails when got and want differ in length or by more than maxULP
// in any element; it reports the first few differences.
func checkULP(t testing.TB, what string, got, want []float32, maxULP int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: length %d, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
		return
	}
	bad := 0
	for i := range got {
		if d := ulpDiff(got[i], want[i]); d > maxULP {
			if bad < 3 {
				t.Errorf("%s[%d] = %v, want %v (%d ulp)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d values off", what, bad)
	}
}
