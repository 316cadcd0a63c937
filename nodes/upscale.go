package nodes

import (
	"fmt"
	"math"

	"comfyd/tensor"
)

// UpscaleMethods are the latent upscale methods of LatentUpscale and
// LatentUpscaleBy, in ComfyUI's order.
var UpscaleMethods = []string{"nearest-exact", "bilinear", "area", "bicubic", "bislerp"}

// CommonUpscale is ComfyUI's comfy.utils.common_upscale for a 4-D tensor
// [B,C,H,W]: optional centre crop to the target aspect, then torch
// interpolate (nearest-exact, bilinear, area, bicubic; align_corners false)
// or bislerp, all in float32 with torch's CPU formulas.
func CommonUpscale(samples *tensor.Tensor, width, height int, method, crop string) (*tensor.Tensor, error) {
	if samples == nil || len(samples.Shape) != 4 {
		return nil, fmt.Errorf("upscale: expected a [B,C,H,W] tensor, got %v", samples)
	}
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("upscale: target size %dx%d must be positive", width, height)
	}
	b, c := samples.Shape[0], samples.Shape[1]
	if err := CheckTensorSize("upscaled latent", b, c, height, width); err != nil {
		return nil, err
	}
	src := samples
	switch crop {
	case "disabled", "":
	case "center":
		src = centerCrop(samples, width, height)
	default:
		return nil, fmt.Errorf("upscale: unknown crop %q", crop)
	}
	if src.Shape[2] == 0 || src.Shape[3] == 0 {
		return nil, fmt.Errorf("upscale: cannot resize an empty %v tensor", src)
	}
	switch method {
	case "nearest-exact":
		return resample(src, width, height, nearestExactWeights), nil
	case "bilinear":
		return resample(src, width, height, linearWeights), nil
	case "bicubic":
		return resample(src, width, height, cubicWeights), nil
	case "area":
		return adaptiveAvgPool(src, width, height), nil
	case "bislerp":
		return bislerp(src, width, height), nil
	}
	return nil, fmt.Errorf("upscale: unknown method %q (want one of %v)", method, UpscaleMethods)
}

// centerCrop is common_upscale's crop == "center": trim the longer side so
// that the aspect matches the target (Python round, half to even).
func centerCrop(s *tensor.Tensor, width, height int) *tensor.Tensor {
	oldW, oldH := s.Shape[3], s.Shape[2]
	oldAspect := float64(oldW) / float64(oldH)
	newAspect := float64(width) / float64(height)
	x, y := 0, 0
	if oldAspect > newAspect {
		x = int(math.RoundToEven((float64(oldW) - float64(oldW)*(newAspect/oldAspect)) / 2))
	} else if oldAspect < newAspect {
		y = int(math.RoundToEven((float64(oldH) - float64(oldH)*(oldAspect/newAspect)) / 2))
	}
	if x == 0 && y == 0 {
		return s
	}
	b, c := s.Shape[0], s.Shape[1]
	h, w := oldH-2*y, oldW-2*x
	out := tensor.New(b, c, max(h, 0), max(w, 0))
	for bc := 0; bc < b*c; bc++ {
		for r := 0; r < h; r++ {
			copy(out.Data[(bc*h+r)*w:(bc*h+r+1)*w], s.Data[(bc*oldH+r+y)*oldW+x:])
		}
	}
	return out
}

// axisWeights are, for each output index, the input indices and weights
// along one axis (torch's separable interpolation).
type axisWeights struct {
	idx [][]int
	w   [][]float32
}

type weightFunc func(in, out int) axisWeights

// torchScale is torch's area_pixel_compute_scale without align_corners:
// (float)input_size / output_size.
func torchScale(in, out int) float32 { return float32(in) / float32(out) }

func nearestExactWeights(in, out int) axisWeights {
	scale := torchScale(in, out)
	aw := axisWeights{idx: make([][]int, out), w: make([][]float32, out)}
	for i := 0; i < out; i++ {
		src := int(float32(math.Floor(float64((float32(i) + 0.5) * scale))))
		aw.idx[i] = []int{min(src, in-1)}
		aw.w[i] = []float32{1}
	}
	return aw
}

// guardIndex is torch's guard_index_and_lambda.
func guardIndex(real float32, in int) (int, float32) {
	idx := min(int(math.Floor(float64(real))), in-1)
	lambda := real - float32(idx)
	lambda = min(max(lambda, 0), 1)
	return idx, lambda
}

func linearWeights(in, out int) axisWeights {
	scale := torchScale(in, out)
	aw := axisWeights{idx: make([][]int, out), w: make([][]float32, out)}
	for i := 0; i < out; i++ {
		real := scale*(float32(i)+0.5) - 0.5
		if real < 0 {
			real = 0
		}
		i0, l1 := guardIndex(real, in)
		i1 := i0
		if i0 < in-1 {
			i1 = i0 + 1
		}
		aw.idx[i] = []int{i0, i1}
		aw.w[i] = []float32{1 - l1, l1}
	}
	return aw
}

// cubicWeights uses torch's cubic convolution with A = -0.75 and indices
// clamped to the border.
func cubicWeights(in, out int) axisWeights {
	const a = float32(-0.75)
	cc1 := func(x float32) float32 { return ((a+2)*x-(a+3))*x*x + 1 }
	cc2 := func(x float32) float32 { return ((a*x-5*a)*x+8*a)*x - 4*a }
	scale := torchScale(in, out)
	aw := axisWeights{idx: make([][]int, out), w: make([][]float32, out)}
	for i := 0; i < out; i++ {
		real := scale*(float32(i)+0.5) - 0.5
		i0, t := guardIndex(real, in)
		aw.w[i] = []float32{cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)}
		aw.idx[i] = make([]int, 4)
		for j := 0; j < 4; j++ {
			aw.idx[i][j] = max(min(i0-1+j, in-1), 0)
		}
	}
	return aw
}

// resample applies separable weights as torch's generic CPU upsample
// kernel does: for each output, sum over rows of (sum over columns of
// value*wx) * wy, accumulating left to right in float32.
func resample(s *tensor.Tensor, width, height int, wf weightFunc) *tensor.Tensor {
	b, c, h, w := s.Shape[0], s.Shape[1], s.Shape[2], s.Shape[3]
	xs := wf(w, width)
	ys := wf(h, height)
	out := tensor.New(b, c, height, width)
	for bc := 0; bc < b*c; bc++ {
		plane := s.Data[bc*h*w : (bc+1)*h*w]
		dst := out.Data[bc*height*width : (bc+1)*height*width]
		for oy := 0; oy < height; oy++ {
			for ox := 0; ox < width; ox++ {
				var acc float32
				for j, iy := range ys.idx[oy] {
					row := plane[iy*w:]
					// float32() conversions keep Go from fusing into FMA,
					// which torch's kernel does not do.
					t := float32(row[xs.idx[ox][0]] * xs.w[ox][0])
					for k := 1; k < len(xs.idx[ox]); k++ {
						t += float32(row[xs.idx[ox][k]] * xs.w[ox][k])
					}
					if j == 0 {
						acc = float32(t * ys.w[oy][0])
					} else {
						acc += float32(t * ys.w[oy][j])
					}
				}
				dst[oy*width+ox] = acc
			}
		}
	}
	return out
}

// adaptiveAvgPool is interpolate(mode="area"), i.e. adaptive_avg_pool2d
// with torch's integer window bounds.
func adaptiveAvgPool(s *tensor.Tensor, width, height int) *tensor.Tensor {
	b, c, h, w := s.Shape[0], s.Shape[1], s.Shape[2], s.Shape[3]
	start := func(a, outN, inN int) int { return (a/outN)*inN + ((a%outN)*inN)/outN }
	end := func(a, outN, inN int) int { return 1 + ((a+1)*inN-1)/outN }
	out := tensor.New(b, c, height, width)
	for bc := 0; bc < b*c; bc++ {
		plane := s.Data[bc*h*w : (bc+1)*h*w]
		for oy := 0; oy < height; oy++ {
			y0, y1 := start(oy, height, h), end(oy, height, h)
			for ox := 0; ox < width; ox++ {
				x0, x1 := start(ox, width, w), end(ox, width, w)
				var sum float32
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						sum += plane[iy*w+ix]
					}
				}
				out.Data[(bc*height+oy)*width+ox] = sum / float32(y1-y0) / float32(x1-x0)
			}
		}
	}
	return out
}

// bislerpCoords is bislerp's generate_bilinear_data: bilinear resampling
// of 0..old-1 (and of 1..old with the last entry kept at old-1) to new
// positions; ratios are the fractional parts, indices the truncations.
func bislerpCoords(old, n int) (ratios []float32, first, second []int) {
	lw := linearWeights(old, n)
	ratios = make([]float32, n)
	first = make([]int, n)
	second = make([]int, n)
	for i := 0; i < n; i++ {
		i0, i1 := lw.idx[i][0], lw.idx[i][1]
		w0, w1 := lw.w[i][0], lw.w[i][1]
		v := float32(i0)*w0 + float32(i1)*w1
		ratios[i] = v - float32(math.Floor(float64(v)))
		first[i] = int(v)
		s0, s1 := float32(i0+1), float32(i1+1)
		if i0 == old-1 {
			s0 = float32(old - 1)
		}
		if i1 == old-1 {
			s1 = float32(old - 1)
		}
		second[i] = int(s0*w0 + s1*w1)
	}
	return ratios, first, second
}

// slerpVec is bislerp's slerp for one pair of channel vectors.
func slerpVec(dst, b1, b2 []float32, r float32) {
	var n1, n2 float32
	for i := range b1 {
		n1 += b1[i] * b1[i]
		n2 += b2[i] * b2[i]
	}
	n1 = float32(math.Sqrt(float64(n1)))
	n2 = float32(math.Sqrt(float64(n2)))
	// unit is element i of b1/|b1| and b2/|b2|, 0 for a zero vector.
	unit := func(i int) (a, b float32) {
		if n1 != 0 {
			a = b1[i] / n1
		}
		if n2 != 0 {
			b = b2[i] / n2
		}
		return a, b
	}
	var dot float32
	for i := range b1 {
		a, b := unit(i)
		dot += a * b
	}
	switch {
	case dot > float32(1-1e-5):
		copy(dst, b1)
		return
	case dot < float32(1e-5-1):
		for i := range dst {
			dst[i] = b1[i]*(1-r) + b2[i]*r
		}
		return
	}
	omega := float32(math.Acos(float64(dot)))
	so := float32(math.Sin(float64(omega)))
	c1 := float32(math.Sin(float64((1-r)*omega))) / so
	c2 := float32(math.Sin(float64(r*omega))) / so
	scale := n1*(1-r) + n2*r
	for i := range dst {
		a, b := unit(i)
		dst[i] = (c1*a + c2*b) * scale
	}
}

// bislerp is comfy.utils.bislerp: slerp of channel vectors along width,
// then along height.
func bislerp(s *tensor.Tensor, width, height int) *tensor.Tensor {
	b, c, h, w := s.Shape[0], s.Shape[1], s.Shape[2], s.Shape[3]
	v1, v2, res := make([]float32, c), make([]float32, c), make([]float32, c)
	// Width pass: [B,C,h,w] -> [B,C,h,width].
	ratios, first, second := bislerpCoords(w, width)
	mid := tensor.New(b, c, h, width)
	for bi := 0; bi < b; bi++ {
		for y := 0; y < h; y++ {
			for x := 0; x < width; x++ {
				for ch := 0; ch < c; ch++ {
					row := s.Data[((bi*c+ch)*h+y)*w:]
					v1[ch], v2[ch] = row[first[x]], row[second[x]]
				}
				slerpVec(res, v1, v2, ratios[x])
				for ch := 0; ch < c; ch++ {
					mid.Data[((bi*c+ch)*h+y)*width+x] = res[ch]
				}
			}
		}
	}
	// Height pass: [B,C,h,width] -> [B,C,height,width].
	ratios, first, second = bislerpCoords(h, height)
	out := tensor.New(b, c, height, width)
	for bi := 0; bi < b; bi++ {
		for y := 0; y < height; y++ {
			for x := 0; x < width; x++ {
				for ch := 0; ch < c; ch++ {
					plane := mid.Data[(bi*c+ch)*h*width:]
					v1[ch], v2[ch] = plane[first[y]*width+x], plane[second[y]*width+x]
				}
				slerpVec(res, v1, v2, ratios[y])
				for ch := 0; ch < c; ch++ {
					out.Data[((bi*c+ch)*height+y)*width+x] = res[ch]
				}
			}
		}
	}
	return out
}
