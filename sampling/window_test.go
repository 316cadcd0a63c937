package sampling_test

import (
	"slices"
	"testing"

	"comfyd/sampling"
)

func TestComfyStartEnd(t *testing.T) {
	s := []float32{4, 3, 2, 1, 0}
	cases := []struct {
		start, last int
		force       bool
		want        []float32
		skip        bool
	}{
		{-1, -1, false, []float32{4, 3, 2, 1, 0}, false},
		{0, 10000, false, []float32{4, 3, 2, 1, 0}, false},
		{1, 2, false, []float32{3, 2}, false},
		{1, 2, true, []float32{3, 0}, false},
		{4, 10000, false, nil, true},
		{0, 0, false, nil, true},
	}
	for _, c := range cases {
		got, skip := sampling.ComfyStartEnd(s, c.start, c.last, c.force)
		if skip != c.skip || (!skip && !slices.Equal(got, c.want)) {
			t.Errorf("start %d last %d force %v: %v %v, want %v %v", c.start, c.last, c.force, got, skip, c.want, c.skip)
		}
	}
	if s[2] != 2 {
		t.Fatal("input modified")
	}
}

func TestSeparatedWindow(t *testing.T) {
	cases := []struct {
		start, end int
		leftover   bool
		want       []float32
		skip       bool
	}{
		{0, -1, true, []float32{4, 3, 2, 1, 0}, false},
		{2, -1, true, []float32{2, 1, 0}, false},
		{0, 2, true, []float32{4, 3, 2}, false},
		{1, 3, false, []float32{3, 2, 0}, false},
		{4, -1, true, nil, true},
	}
	for _, c := range cases {
		total := []float32{4, 3, 2, 1, 0}
		got, skip := sampling.SeparatedWindow(total, c.start, c.end, c.leftover)
		if skip != c.skip || (!skip && !slices.Equal(got, c.want)) {
			t.Errorf("start %d end %d: %v %v, want %v %v", c.start, c.end, got, skip, c.want, c.skip)
		}
	}
	if _, err := sampling.CalculateSigmas(sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS), "nope", 5); err == nil {
		t.Error("unknown scheduler accepted")
	}
	if _, _, err := sampling.InspireSteps(10, 0); err == nil {
		t.Error("denoise 0 accepted")
	}
	ms := sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS)
	fn, _ := sampling.LookupScheduler("karras")
	if _, err := sampling.ComfySetSteps(fn, ms, "euler", 10, 1e-9); err == nil {
		t.Error("10^10-step schedule accepted")
	}
	if _, err := sampling.InspireWindow(ms, fn, "euler", 10, 1.5, -1, true); err == nil {
		t.Error("denoise above 1 (negative start) accepted")
	}
}
