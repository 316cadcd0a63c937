package builtin

import (
	"context"
	"math"
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

func testVAE(tb testing.TB) *colourVAE {
	tb.Helper()
	v, err := newColourVAE(sampling.SD15)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// paintImage paints catalogue picture i as an image [1,h,w,3].
func paintImage(i, h, w int) *tensor.Tensor {
	img := tensor.New(1, h, w, 3)
	side := float64(min(h, w))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			c := catalogue[i].paint(at{u: fx / float64(w), v: fy / float64(h),
				x: (fx - float64(w)/2) / side, y: (fy - float64(h)/2) / side, px: 1 / side})
			for k := range 3 {
				img.Data[(y*w+x)*3+k] = float32(clamp01(c[k]))
			}
		}
	}
	return img
}

// roundTripError is the mean absolute and root-mean-square error of
// decode(encode(img)) against img.
func roundTripError(t *testing.T, v *colourVAE, img *tensor.Tensor) (mae, rmse float64) {
	t.Helper()
	ctx := context.Background()
	lat, err := v.Encode(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := v.Decode(ctx, lat)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(back, img) {
		t.Fatalf("round trip shape %v, want %v", back, img)
	}
	var sa, s2 float64
	for i, x := range img.Data {
		d := float64(back.Data[i] - x)
		sa += math.Abs(d)
		s2 += d * d
	}
	n := float64(len(img.Data))
	return sa / n, math.Sqrt(s2 / n)
}

// TestRoundTrip bounds decode(encode(img)) - img. The VAE keeps one colour
// per 8x8 block, so smooth images come back almost exactly and sharp edges
// are blurred over a block: the bounds are measured values plus margin.
func TestRoundTrip(t *testing.T) {
	v := testVAE(t)
	gradient := tensor.New(1, 64, 96, 3)
	for y := range 64 {
		for x := range 96 {
			o := (y*96 + x) * 3
			gradient.Data[o] = float32(x) / 95
			gradient.Data[o+1] = float32(y) / 63
			gradient.Data[o+2] = 0.5
		}
	}
	// Measured: MAE 0.0019, RMSE 0.0084 (the outer 4 pixels of each edge
	// are flat: bilinear upsampling clamps at the border).
	if mae, rmse := roundTripError(t, v, gradient); mae > 2.5e-3 || rmse > 0.01 {
		t.Errorf("smooth gradient: MAE %.5f RMSE %.5f", mae, rmse)
	}
	var worstMAE, worstRMSE, sumMAE float64
	for i := range catalogue {
		mae, rmse := roundTripError(t, v, paintImage(i, 256, 256))
		worstMAE, worstRMSE, sumMAE = max(worstMAE, mae), max(worstRMSE, rmse), sumMAE+mae
	}
	meanMAE := sumMAE / float64(len(catalogue))
	t.Logf("built-in pictures at 256x256: mean MAE %.4f, worst MAE %.4f, worst RMSE %.4f", meanMAE, worstMAE, worstRMSE)
	// Measured at 256x256: mean MAE 0.0233, worst MAE 0.112 (fine polka
	// dots), worst RMSE 0.176; at 512x512: 0.0126, 0.058, 0.125.
	if meanMAE > 0.026 || worstMAE > 0.125 || worstRMSE > 0.19 {
		t.Errorf("pictures: mean MAE %.4f worst MAE %.4f worst RMSE %.4f", meanMAE, worstMAE, worstRMSE)
	}
}

// TestEncodeInvertsDecodeColours: for a latent that decodes in range, the
// encoder recovers its colour exactly (up to float32), i.e. decode o encode
// o decode = decode on block-constant images.
func TestEncodeInvertsDecodeColours(t *testing.T) {
	v := testVAE(t)
	ctx := context.Background()
	img := tensor.New(1, 16, 16, 3)
	for i := range img.Data {
		img.Data[i] = 0.2 + 0.6*float32(hash2(int64(i/(8*3)%2), int64(i/(16*8*3)), uint64(i%3)))
	}
	lat, err := v.Encode(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	colours := make([]float32, 4*3)
	z := tensor.New(4, 2, 2)
	sampling.SD15.ProcessIn(z, lat.Row(0))
	v.latentColours(colours, z.Data, 4)
	for p := range 4 {
		y, x := p/2, p%2
		for k := range 3 {
			want := img.Data[((y*8)*16+x*8)*3+k]
			if math.Abs(float64(colours[p*3+k]-want)) > 1e-5 {
				t.Fatalf("block %d colour %d: %v, want %v", p, k, colours[p*3+k], want)
			}
		}
	}
}

func TestVAEShapes(t *testing.T) {
	v := testVAE(t)
	ctx := context.Background()
	lat, err := v.Encode(ctx, tensor.New(2, 21, 13, 4)) // RGBA, not multiples of 8
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(lat.Shape, []int{2, 4, 2, 1}) {
		t.Errorf("encode shape %v", lat.Shape)
	}
	img, err := v.Decode(ctx, tensor.New(1, 4, 3, 5))
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(img.Shape, []int{1, 24, 40, 3}) {
		t.Errorf("decode shape %v", img.Shape)
	}
	for _, v := range img.Data {
		if v < 0 || v > 1 {
			t.Fatalf("decoded value %v outside [0,1]", v)
		}
	}
	for _, bad := range []*tensor.Tensor{nil, tensor.New(1, 7, 16, 3), tensor.New(1, 16, 16, 2), tensor.New(16, 16, 3), tensor.New(0, 16, 16, 3)} {
		if _, err := v.Encode(ctx, bad); err == nil {
			t.Errorf("encode %v: no error", bad)
		}
	}
	for _, bad := range []*tensor.Tensor{nil, tensor.New(1, 3, 8, 8), tensor.New(4, 8, 8), tensor.New(1, 4, 0, 8)} {
		if _, err := v.Decode(ctx, bad); err == nil {
			t.Errorf("decode %v: no error", bad)
		}
	}
}

// TestCropIsCentred: like ComfyUI, the odd pixels are cut evenly.
func TestCropIsCentred(t *testing.T) {
	v := testVAE(t)
	img := tensor.New(1, 12, 8, 3) // 4 extra rows: rows 2..9 are kept
	for y := 2; y < 10; y++ {
		for i := range 8 * 3 {
			img.Data[y*8*3+i] = 1
		}
	}
	lat, err := v.Encode(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := v.Decode(context.Background(), lat)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range back.Data {
		if math.Abs(float64(x-1)) > 1e-5 {
			t.Fatalf("kept rows are white, decoded %v", x)
		}
	}
}
