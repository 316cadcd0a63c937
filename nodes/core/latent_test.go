package core

import (
	"math"
	"slices"
	"strings"
	"testing"

	"comfyd/nodes"
	"comfyd/sampling"
	"comfyd/tensor"
)

func seq(shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(i)
	}
	return t
}

func TestEmptyLatent(t *testing.T) {
	l, err := EmptyLatent(512, 520, 3)
	if err != nil || !tensor.EqualShape(l.Samples.Shape, []int{3, 4, 65, 64}) || !l.Samples.IsZero() {
		t.Fatalf("%v %v", l, err)
	}
	for _, c := range [][3]int64{{8, 512, 1}, {512, 16392, 1}, {512, 512, 0}, {512, 512, 4097}, {16384, 16384, 4096}} {
		if _, err := EmptyLatent(c[0], c[1], c[2]); err == nil {
			t.Errorf("EmptyLatent%v accepted", c)
		}
	}
	// 16384^2 at batch 4096 would be 64 TiB: refused with a clear error.
	if _, err := EmptyLatent(16384, 16384, 4096); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("huge latent: %v", err)
	}
}

func TestLatentFromBatch(t *testing.T) {
	l := &nodes.Latent{Samples: seq(4, 1, 1, 2), NoiseMask: seq(2, 1, 1, 1)}
	got := LatentFromBatch(l, 1, 2)
	if !equalF(got.Samples.Data, []float32{2, 3, 4, 5}) || !slices.Equal(got.BatchIndex, []int{1, 2}) {
		t.Errorf("samples %v batch_index %v", got.Samples.Data, got.BatchIndex)
	}
	// The 2-entry mask is repeated to the batch of 4 and then sliced.
	if !equalF(got.NoiseMask.Data, []float32{1, 0}) {
		t.Errorf("mask %v", got.NoiseMask.Data)
	}
	// Clamped to the batch; an existing batch_index is sliced.
	l.BatchIndex = []int{10, 11, 12, 13}
	got = LatentFromBatch(l, 63, 64)
	if got.Samples.Shape[0] != 1 || !slices.Equal(got.BatchIndex, []int{13}) {
		t.Errorf("clamped: %v %v", got.Samples.Shape, got.BatchIndex)
	}
	if l.Samples.Shape[0] != 4 || len(l.BatchIndex) != 4 {
		t.Error("input modified")
	}
}

func TestRepeatLatent(t *testing.T) {
	l := &nodes.Latent{Samples: seq(2, 1, 1, 1), NoiseMask: seq(2, 1, 1, 1), BatchIndex: []int{3, 4}}
	got, err := RepeatLatent(l, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !equalF(got.Samples.Data, []float32{0, 1, 0, 1, 0, 1}) || got.NoiseMask.Shape[0] != 6 {
		t.Errorf("samples %v mask %v", got.Samples.Data, got.NoiseMask.Shape)
	}
	if !slices.Equal(got.BatchIndex, []int{3, 4, 5, 6, 7, 8}) {
		t.Errorf("batch_index %v", got.BatchIndex)
	}
	if _, err := RepeatLatent(&nodes.Latent{Samples: tensor.New(4096, 4, 256, 256)}, 64); err == nil {
		t.Error("huge repeat accepted")
	}
}

func TestSetNoiseMask(t *testing.T) {
	l := &nodes.Latent{Samples: tensor.New(1, 4, 2, 2)}
	got, err := SetNoiseMask(l, seq(3, 5, 6))
	if err != nil || !tensor.EqualShape(got.NoiseMask.Shape, []int{3, 1, 5, 6}) || l.NoiseMask != nil {
		t.Fatalf("%v %v", got, err)
	}
	if got, _ := SetNoiseMask(l, seq(5, 6)); !tensor.EqualShape(got.NoiseMask.Shape, []int{1, 1, 5, 6}) {
		t.Errorf("2-D mask shape %v", got.NoiseMask.Shape)
	}
}

func TestCompositeLatent(t *testing.T) {
	to := &nodes.Latent{Samples: tensor.New(1, 1, 4, 4)}
	from := &nodes.Latent{Samples: tensor.New(1, 1, 3, 3)}
	for i := range from.Samples.Data {
		from.Samples.Data[i] = 1
	}
	got, err := CompositeLatent(to, from, 16, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		0, 0, 0, 0,
		0, 0, 1, 1,
		0, 0, 1, 1,
		0, 0, 1, 1,
	}
	if !equalF(got.Samples.Data, want) || !to.Samples.IsZero() {
		t.Errorf("paste %v", got.Samples.Data)
	}
	// Feather 16 px = 2 latent pixels, pasted at (8, 8) into a 6x6 latent:
	// the top and left edges are inside, so rows/cols 0 and 1 fade in by
	// 1/2 and 2/2; bottom and right edges touch the border (not feathered).
	to = &nodes.Latent{Samples: tensor.New(1, 1, 6, 6)}
	from = &nodes.Latent{Samples: tensor.New(1, 1, 5, 5)}
	for i := range from.Samples.Data {
		from.Samples.Data[i] = 1
	}
	got, _ = CompositeLatent(to, from, 8, 8, 16)
	row1 := got.Samples.Data[6*1 : 6*2]
	if !equalF(row1, []float32{0, 0.25, 0.5, 0.5, 0.5, 0.5}) {
		t.Errorf("feathered row %v", row1)
	}
	row3 := got.Samples.Data[6*3 : 6*4]
	if !equalF(row3, []float32{0, 0.5, 1, 1, 1, 1}) {
		t.Errorf("inner row %v", row3)
	}
	if _, err := CompositeLatent(to, &nodes.Latent{Samples: tensor.New(1, 3, 2, 2)}, 0, 0, 0); err == nil {
		t.Error("channel mismatch accepted")
	}
	// Outside the destination: unchanged.
	if got, err := CompositeLatent(to, from, 800, 0, 0); err != nil || !got.Samples.IsZero() {
		t.Errorf("outside paste: %v", err)
	}
}

func TestBlendLatents(t *testing.T) {
	a := &nodes.Latent{Samples: tensor.FromData([]float32{1, 2}, 1, 1, 1, 2)}
	b := &nodes.Latent{Samples: tensor.FromData([]float32{3, 6}, 1, 1, 1, 2)}
	got, err := BlendLatents(a, b, 0.25)
	if err != nil || !equalF(got.Samples.Data, []float32{2.5, 5}) {
		t.Fatalf("%v %v", got, err)
	}
	// A differently sized second latent is resized (bicubic, centre crop).
	c := &nodes.Latent{Samples: tensor.New(1, 1, 4, 4)}
	if got, err := BlendLatents(a, c, 0.5); err != nil || !tensor.SameShape(got.Samples, a.Samples) {
		t.Fatalf("resized blend: %v", err)
	}
}

func TestUpscaleLatentSizes(t *testing.T) {
	l := &nodes.Latent{Samples: tensor.New(1, 4, 64, 96)}
	cases := []struct{ w, h, ww, wh int }{
		{0, 0, 96, 64},     // unchanged
		{0, 256, 48, 32},   // width from aspect: round(96*256/64) = 384 px
		{1024, 0, 128, 85}, // height round(64*1024/96) = 683 -> 85
		{16, 16, 8, 8},     // at least 64 px
	}
	for _, c := range cases {
		got, err := UpscaleLatent(l, "nearest-exact", c.w, c.h, "disabled")
		if err != nil || got.Samples.Shape[3] != c.ww || got.Samples.Shape[2] != c.wh {
			t.Errorf("LatentUpscale %dx%d: %v %v, want %dx%d", c.w, c.h, got.Samples.Shape, err, c.ww, c.wh)
		}
	}
	got, err := UpscaleLatentBy(l, "bilinear", 1.5)
	if err != nil || got.Samples.Shape[3] != 144 || got.Samples.Shape[2] != 96 {
		t.Errorf("LatentUpscaleBy: %v %v", got.Samples.Shape, err)
	}
	small := &nodes.Latent{Samples: tensor.New(1, 4, 8, 8)}
	if _, err := UpscaleLatentBy(small, "bilinear", 0.01); err == nil {
		t.Error("scale to zero pixels accepted")
	}
}

func TestConditioningOps(t *testing.T) {
	a := sampling.Conditioning{{CrossAttn: tensor.FromData([]float32{1, 1, 1, 1}, 1, 2, 2), Pooled: tensor.FromData([]float32{2, 2}, 1, 2), Strength: 1}}
	b := sampling.Conditioning{{CrossAttn: tensor.FromData([]float32{3, 3, 3, 3, 3, 3}, 1, 3, 2), Pooled: tensor.FromData([]float32{4, 4}, 1, 2), Strength: 1}}
	if c := CombineConditioning(a, b); len(c) != 2 || c[0].CrossAttn != a[0].CrossAttn || c[1].CrossAttn != b[0].CrossAttn {
		t.Error("combine")
	}
	area := SetArea(a, sampling.Area{Height: 8, Width: 16, Y: 1, X: 2}, 2.5)
	if area[0].Area == nil || *area[0].Area != (sampling.Area{Height: 8, Width: 16, Y: 1, X: 2}) || area[0].Strength != 2.5 || a[0].Area != nil {
		t.Errorf("set area %+v", area[0])
	}
	// to has 2 tokens, from 3: from is cut to 2; 0.25*1 + 0.75*3 = 2.5.
	avg, err := AverageConditioning(a, b, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if !equalF(avg[0].CrossAttn.Data, []float32{2.5, 2.5, 2.5, 2.5}) || !equalF(avg[0].Pooled.Data, []float32{3.5, 3.5}) {
		t.Errorf("average %v %v", avg[0].CrossAttn.Data, avg[0].Pooled.Data)
	}
	// from shorter than to: zero padded.
	avg, _ = AverageConditioning(b, a, 0.5)
	if !equalF(avg[0].CrossAttn.Data, []float32{2, 2, 2, 2, 1.5, 1.5}) {
		t.Errorf("padded average %v", avg[0].CrossAttn.Data)
	}
	// to without pooled takes from's pooled mixed with itself = from's.
	noPool := sampling.Conditioning{{CrossAttn: a[0].CrossAttn}}
	avg, _ = AverageConditioning(noPool, b, 0.3)
	if !equalF(avg[0].Pooled.Data, []float32{4, 4}) {
		t.Errorf("pooled fallback %v", avg[0].Pooled.Data)
	}
	if _, err := AverageConditioning(a, nil, 0.5); err == nil {
		t.Error("empty from accepted")
	}
}

func equalF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}
