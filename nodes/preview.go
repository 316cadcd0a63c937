package nodes

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"

	"comfyd/tensor"
)

// PreviewSize is ComfyUI's default --preview-size (MAX_PREVIEW_RESOLUTION):
// previews are scaled to fit inside PreviewSize x PreviewSize.
const PreviewSize = 512

// PreviewJPEGQuality is the JPEG quality of previews (ComfyUI's send_image).
const PreviewJPEGQuality = 95

// Latent2RGB renders batch element 0 of a model-space latent [B,C,H,W] (or
// frame 0 of a video latent [B,C,T,H,W]) with latent_rgb_factors
// ([C][3]) and bias, as latent_preview.Latent2RGBPreviewer does: rgb =
// x0 . F + bias, clamped to [-1,1], mapped by (v+1)*127.5 and rounded.
func Latent2RGB(x0 *tensor.Tensor, factors [][3]float32, bias [3]float32) (*image.NRGBA, error) {
	if x0 == nil || (len(x0.Shape) != 4 && len(x0.Shape) != 5) || x0.Shape[0] < 1 {
		return nil, fmt.Errorf("latent preview: expected a [B,C,H,W] latent, got %v", x0)
	}
	c := x0.Shape[1]
	if len(factors) != c {
		return nil, fmt.Errorf("latent preview: %d factor rows for %d channels", len(factors), c)
	}
	h, w := x0.Dim(-2), x0.Dim(-1)
	plane := h * w
	// Channel stride: for [B,C,T,H,W] frame 0 of channel ch starts at
	// ch*T*H*W.
	chStride := plane
	if len(x0.Shape) == 5 {
		chStride = x0.Shape[2] * plane
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < plane; p++ {
		var rgb [3]float32
		for k := 0; k < 3; k++ {
			rgb[k] = bias[k]
		}
		for ch := 0; ch < c; ch++ {
			v := x0.Data[ch*chStride+p]
			f := &factors[ch]
			rgb[0] += v * f[0]
			rgb[1] += v * f[1]
			rgb[2] += v * f[2]
		}
		for k := 0; k < 3; k++ {
			img.Pix[4*p+k] = previewByte(rgb[k])
		}
		img.Pix[4*p+3] = 255
	}
	return img, nil
}

// previewByte is preview_to_image: clamp to [-1,1], +1, *127.5, round half
// to even (torch.round), then uint8.
func previewByte(v float32) uint8 {
	if v != v {
		return 0 // NaN survives the clamp; its uint8 cast gives 0
	}
	if v < -1 {
		v = -1
	} else if v > 1 {
		v = 1
	}
	return uint8(math.RoundToEven(float64((v + 1) * 127.5)))
}

// FitSize is PIL's ImageOps.contain: the largest size with the aspect of
// (w,h) that fits in (maxW,maxH); small images are scaled up.
func FitSize(w, h, maxW, maxH int) (int, int) {
	imRatio := float64(w) / float64(h)
	destRatio := float64(maxW) / float64(maxH)
	if imRatio == destRatio {
		return maxW, maxH
	}
	if imRatio > destRatio {
		nh := int(math.Round(float64(h) / float64(w) * float64(maxW)))
		return maxW, max(nh, 1)
	}
	nw := int(math.Round(float64(w) / float64(h) * float64(maxH)))
	return max(nw, 1), maxH
}

// ResizeBilinear resamples src to (dw,dh) with PIL's BILINEAR filter: a
// triangle kernel whose support grows with the scale when shrinking
// (antialiased), pixel centres aligned. The result is opaque RGB in an
// *image.RGBA (which image/jpeg encodes without per-pixel allocations).
func ResizeBilinear(src *image.NRGBA, dw, dh int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	xw := resampleWeights(sw, dw)
	yw := resampleWeights(sh, dh)
	// Horizontal pass into float rows of RGB, then vertical.
	tmp := make([]float32, sh*dw*3)
	for y := 0; y < sh; y++ {
		row := src.Pix[y*src.Stride:]
		out := tmp[y*dw*3:]
		for x := 0; x < dw; x++ {
			var r, g, b float32
			for j, wt := range xw.w[xw.off[x]:xw.off[x+1]] {
				o := 4 * (xw.start[x] + j)
				r += wt * float32(row[o])
				g += wt * float32(row[o+1])
				b += wt * float32(row[o+2])
			}
			out[3*x], out[3*x+1], out[3*x+2] = r, g, b
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	acc := make([]float32, dw*3)
	for y := 0; y < dh; y++ {
		clear(acc)
		for j, wt := range yw.w[yw.off[y]:yw.off[y+1]] {
			in := tmp[(yw.start[y]+j)*dw*3 : (yw.start[y]+j+1)*dw*3]
			for i, v := range in {
				acc[i] += wt * v
			}
		}
		px := dst.Pix[y*dst.Stride:]
		for x := 0; x < dw; x++ {
			px[4*x] = clampByte(acc[3*x])
			px[4*x+1] = clampByte(acc[3*x+1])
			px[4*x+2] = clampByte(acc[3*x+2])
			px[4*x+3] = 255
		}
	}
	return dst
}

// kernels holds, for each output index i, the weights w[off[i]:off[i+1]]
// applied to inputs start[i], start[i]+1, ...
type kernels struct {
	start, off []int
	w          []float32
}

func resampleWeights(in, out int) kernels {
	scale := float64(in) / float64(out)
	filterScale := math.Max(scale, 1)
	support := filterScale // the triangle's support is 1, widened when shrinking
	k := kernels{start: make([]int, out), off: make([]int, out+1)}
	raw := make([]float64, 0, 8)
	for i := 0; i < out; i++ {
		center := (float64(i) + 0.5) * scale
		lo := int(math.Max(0, math.Floor(center-support)))
		hi := int(math.Min(float64(in), math.Ceil(center+support)))
		raw = raw[:0]
		total := 0.0
		for j := lo; j < hi; j++ {
			t := math.Abs((float64(j) + 0.5 - center) / filterScale)
			wt := 0.0
			if t < 1 {
				wt = 1 - t
			}
			raw = append(raw, wt)
			total += wt
		}
		for _, r := range raw {
			if total > 0 {
				r /= total
			}
			k.w = append(k.w, float32(r))
		}
		k.start[i] = lo
		k.off[i+1] = len(k.w)
	}
	return k
}

func clampByte(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 254.5 {
		return 255
	}
	return uint8(v + 0.5)
}

// EncodePreviewJPEG scales img to fit in size x size (up or down, aspect
// kept) and encodes it as JPEG at PreviewJPEGQuality.
func EncodePreviewJPEG(img *image.NRGBA, size int) ([]byte, error) {
	w, h := FitSize(img.Rect.Dx(), img.Rect.Dy(), size, size)
	scaled := ResizeBilinear(img, w, h)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, scaled, &jpeg.Options{Quality: PreviewJPEGQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
