package nodes

import (
	"bytes"
	"image/jpeg"
	"log/slog"
	"strings"
	"testing"
	"time"

	"comfyd/tensor"
)

var sd15Factors = [][3]float32{
	{0.3512, 0.2297, 0.3227},
	{0.3250, 0.4974, 0.2350},
	{-0.2829, 0.1762, 0.2721},
	{-0.2120, -0.2616, -0.7177},
}

func TestLatent2RGB(t *testing.T) {
	x := tensor.New(2, 4, 2, 3)
	// Batch 0, pixel 1: channel 0 = 1 -> rgb = row 0 of the factors.
	x.Data[1] = 1
	// Pixel 2: channel 3 = 10 -> saturates below -1 in every colour.
	x.Data[3*6+2] = 10
	x.Data[4*6] = 99 // batch 1 is ignored
	img, err := Latent2RGB(x, sd15Factors, [3]float32{})
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 3 || img.Rect.Dy() != 2 {
		t.Fatalf("size %v", img.Rect)
	}
	px := func(i int) [3]uint8 { return [3]uint8{img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2]} }
	// 0 -> (0+1)*127.5 = 127.5 -> 128 (half to even).
	if px(0) != [3]uint8{128, 128, 128} {
		t.Errorf("zero pixel %v", px(0))
	}
	// (0.3512+1)*127.5 = 172.278 -> 172; 0.2297 -> 156.79 -> 157; 0.3227 -> 168.64 -> 169.
	if px(1) != [3]uint8{172, 157, 169} {
		t.Errorf("channel-0 pixel %v", px(1))
	}
	if px(2) != [3]uint8{0, 0, 0} {
		t.Errorf("saturated pixel %v", px(2))
	}
	if _, err := Latent2RGB(tensor.New(1, 3, 2, 2), sd15Factors, [3]float32{}); err == nil {
		t.Error("channel mismatch accepted")
	}
}

func TestPreviewJPEGSize(t *testing.T) {
	for _, c := range []struct{ w, h, ww, wh int }{{64, 64, 512, 512}, {96, 64, 512, 341}, {64, 128, 256, 512}, {1024, 16, 512, 8}} {
		if w, h := FitSize(c.w, c.h, 512, 512); w != c.ww || h != c.wh {
			t.Errorf("FitSize(%d,%d) = %d,%d, want %d,%d", c.w, c.h, w, h, c.ww, c.wh)
		}
	}
	x := tensor.New(1, 4, 64, 96)
	img, _ := Latent2RGB(x, sd15Factors, [3]float32{})
	data, err := EncodePreviewJPEG(img, PreviewSize)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := dec.Bounds(); b.Dx() != 512 || b.Dy() != 341 {
		t.Errorf("preview size %v", b)
	}
	r, g, b, _ := dec.At(100, 100).RGBA()
	if d := int(r>>8) - 128; d < -2 || d > 2 || g>>8 != r>>8 || b>>8 != r>>8 {
		t.Errorf("grey preview decoded as %d %d %d", r>>8, g>>8, b>>8)
	}
}

type recorder struct {
	progress [][2]int
	previews int
}

func (r *recorder) Progress(v, m int)          { r.progress = append(r.progress, [2]int{v, m}) }
func (r *recorder) Preview(f string, d []byte) { r.previews++ }

func TestSamplingProgressThrottleAndPreviews(t *testing.T) {
	rec := &recorder{}
	ctx := &Context{Env: &Env{PreviewMethod: "none"}, Reporter: rec}
	p := NewSamplingProgress(ctx, sd15Factors, [3]float32{})
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	for i := 0; i < 1000; i++ {
		clock = clock.Add(time.Millisecond)
		p.Step(i, 1000, nil)
	}
	// First, then one every 100 ms (100 steps >= 0.5%), then the last.
	if len(rec.progress) != 11 || rec.progress[0] != [2]int{1, 1000} || rec.progress[10] != [2]int{1000, 1000} {
		t.Errorf("throttled progress %v", rec.progress)
	}
	if rec.previews != 0 {
		t.Error("preview sent with method none")
	}
	rec = &recorder{}
	ctx = &Context{Env: &Env{PreviewMethod: "auto"}, Reporter: rec}
	p = NewSamplingProgress(ctx, sd15Factors, [3]float32{})
	x0 := tensor.New(1, 4, 8, 8)
	for i := 0; i < 3; i++ {
		p.Step(i, 3, x0)
	}
	if len(rec.progress) != 3 || rec.previews != 3 {
		t.Errorf("with previews: %d progress, %d previews", len(rec.progress), rec.previews)
	}
	// No factors: no previews even when enabled.
	if NewSamplingProgress(ctx, nil, [3]float32{}).Previews() {
		t.Error("previews without factors")
	}
}

// Long sampling runs print progress to the terminal every couple of
// seconds, and every run prints a closing line with its speed.
func TestSamplingProgressLogsToTheTerminal(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx := &Context{Env: &Env{PreviewMethod: "none", Logger: log}, NodeID: "3", Reporter: &recorder{}}
	p := NewSamplingProgress(ctx, nil, [3]float32{})
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	p.started, p.lastLog = clock, clock
	for i := 0; i < 20; i++ {
		clock = clock.Add(500 * time.Millisecond) // 10 s in all
		p.Step(i, 20, nil)
	}
	out := buf.String()
	if n := strings.Count(out, "msg=sampling "); n != 4 {
		t.Errorf("want a progress line every 2 s (4 of them), got %d:\n%s", n, out)
	}
	if !strings.Contains(out, "msg=sampled node=3 steps=20 took=10s it/s=2") {
		t.Errorf("no closing line:\n%s", out)
	}
}
