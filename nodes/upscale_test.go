package nodes

import (
	"math"
	"testing"

	"comfyd/tensor"
)

func near(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-6 }

func checkValues(t *testing.T, name string, got *tensor.Tensor, shape []int, want []float32) {
	t.Helper()
	if !tensor.EqualShape(got.Shape, shape) {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape, shape)
	}
	for i, w := range want {
		if !near(got.Data[i], w) {
			t.Fatalf("%s: value %d = %v, want %v (all %v)", name, i, got.Data[i], w, got.Data)
		}
	}
}

func TestCommonUpscaleMethods(t *testing.T) {
	x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
	// torch.nn.functional.interpolate(x, size=(4,4), mode=...) values.
	up, _ := CommonUpscale(x, 4, 4, "bilinear", "disabled")
	checkValues(t, "bilinear", up, []int{1, 1, 4, 4}, []float32{
		1, 1.25, 1.75, 2,
		1.5, 1.75, 2.25, 2.5,
		2.5, 2.75, 3.25, 3.5,
		3, 3.25, 3.75, 4,
	})
	up, _ = CommonUpscale(x, 4, 4, "nearest-exact", "disabled")
	checkValues(t, "nearest-exact", up, []int{1, 1, 4, 4}, []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4})
	// Bicubic (A = -0.75) of the row [1, 2] to 4: weights at t = 0.75 and
	// 0.25 give 0.89453125, 1.2265625, 1.7734375, 2.10546875.
	row := tensor.FromData([]float32{1, 2}, 1, 1, 1, 2)
	up, _ = CommonUpscale(row, 4, 1, "bicubic", "disabled")
	checkValues(t, "bicubic", up, []int{1, 1, 1, 4}, []float32{0.89453125, 1.2265625, 1.7734375, 2.10546875})
	// Area of a 1x5 row to 2: windows [0,3) and [2,5).
	five := tensor.FromData([]float32{1, 2, 3, 4, 5}, 1, 1, 1, 5)
	up, _ = CommonUpscale(five, 2, 1, "area", "disabled")
	checkValues(t, "area", up, []int{1, 1, 1, 2}, []float32{2, 4})
	// Centre crop: a 4-wide row cropped to the 1:1 aspect of 1x1 keeps the
	// middle... of a 1x4 tensor: x = round((4 - 4*(1/4))/2) = round(1.5) = 2
	// (half to even), leaving width 0: an error, not a panic.
	wide := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 1, 4)
	if _, err := CommonUpscale(wide, 1, 1, "bilinear", "center"); err == nil {
		t.Error("empty crop accepted")
	}
	wide2 := tensor.FromData([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 2, 4)
	up, _ = CommonUpscale(wide2, 2, 2, "nearest-exact", "center")
	checkValues(t, "center crop", up, []int{1, 1, 2, 2}, []float32{2, 3, 6, 7})
	for _, bad := range []string{"lanczos", ""} {
		if _, err := CommonUpscale(x, 4, 4, bad, "disabled"); err == nil {
			t.Errorf("method %q accepted", bad)
		}
	}
	if _, err := CommonUpscale(x, 1<<20, 1<<20, "bilinear", "disabled"); err == nil {
		t.Error("huge target accepted")
	}
}

func TestBislerp(t *testing.T) {
	// Parallel channel vectors of different length interpolate their norm
	// linearly: [1,0] and [3,0] halfway give [2,0]... at the positions the
	// bilinear coordinates produce.
	x := tensor.FromData([]float32{1, 3, 0, 0}, 1, 2, 1, 2)
	up, err := CommonUpscale(x, 4, 1, "bislerp", "disabled")
	if err != nil {
		t.Fatal(err)
	}
	// Parallel vectors (dot = 1) take the first vector: positions 0.0,
	// 0.25, 0.75, 1.0 use left indices 0, 0, 0, 1.
	checkValues(t, "bislerp parallel", up, []int{1, 2, 1, 4}, []float32{1, 1, 1, 3, 0, 0, 0, 0})
	// Orthogonal unit vectors: slerp at ratio 0.25 is (cos, sin) of 22.5 deg.
	y := tensor.FromData([]float32{1, 0, 0, 1}, 1, 2, 1, 2)
	up, _ = CommonUpscale(y, 4, 1, "bislerp", "disabled")
	c, s := float32(math.Cos(math.Pi/8)), float32(math.Sin(math.Pi/8))
	checkValues(t, "bislerp orthogonal", up, []int{1, 2, 1, 4}, []float32{1, c, s, 0, 0, s, c, 1})
}
