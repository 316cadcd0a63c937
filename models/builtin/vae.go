package builtin

import (
	"context"
	"fmt"

	"comfyd/sampling"
	"comfyd/tensor"
)

// latentChannels is SD1's latent channel count.
const latentChannels = 4

// downscale is SD1's VAE spatial compression.
const downscale = 8

// colourVAE is the built-in VAE: every latent pixel is one 8x8 block of
// colour. Decode applies SD1's latent2rgb preview map (so the built-in
// model's latents preview exactly as they decode) and upsamples bilinearly;
// Encode area-averages 8x8 blocks and applies the map's pseudo-inverse, so
// decode(encode(img)) is the 8x-downsampled image upsampled again.
type colourVAE struct {
	format sampling.LatentFormat
	// toRGB maps a model-space latent pixel to RGB in [-1,1]:
	// rgb[k] = sum_c toRGB[c][k] * z[c] + bias[k].
	toRGB [latentChannels][3]float32
	bias  [3]float32
	// fromRGB is the Moore-Penrose pseudo-inverse of toRGB: the smallest
	// model-space latent with a given colour.
	fromRGB [3][latentChannels]float32
}

func newColourVAE(format sampling.LatentFormat) (*colourVAE, error) {
	factors, bias := format.RGBFactors()
	if format.Channels() != latentChannels || len(factors) != latentChannels {
		return nil, fmt.Errorf("built-in VAE needs a %d-channel latent format, %s has %d", latentChannels, format.Name(), format.Channels())
	}
	v := &colourVAE{format: format, bias: bias}
	copy(v.toRGB[:], factors)
	// pinv(A) for A = toRGB^T (3x4, full row rank) is A^T (A A^T)^-1.
	var g [3][3]float64 // A A^T
	for i := range 3 {
		for j := range 3 {
			for c := range latentChannels {
				g[i][j] += float64(factors[c][i]) * float64(factors[c][j])
			}
		}
	}
	inv, ok := invert3(g)
	if !ok {
		return nil, fmt.Errorf("latent format %s: latent2rgb factors are singular", format.Name())
	}
	for k := range 3 {
		for c := range latentChannels {
			var s float64
			for j := range 3 {
				s += float64(factors[c][j]) * inv[j][k]
			}
			v.fromRGB[k][c] = float32(s)
		}
	}
	return v, nil
}

func invert3(m [3][3]float64) ([3][3]float64, bool) {
	var r [3][3]float64
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	if det == 0 {
		return r, false
	}
	for i := range 3 {
		for j := range 3 {
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			r[i][j] = (m[a][c]*m[b][d] - m[a][d]*m[b][c]) / det
		}
	}
	return r, true
}

func (v *colourVAE) LatentChannels() int { return latentChannels }

// Decode maps a VAE-unit latent [B,4,h,w] to an image [B,8h,8w,3].
func (v *colourVAE) Decode(ctx context.Context, latent *tensor.Tensor) (*tensor.Tensor, error) {
	if latent == nil || len(latent.Shape) != 4 || latent.Shape[1] != latentChannels {
		return nil, fmt.Errorf("VAE decode: want a latent [B,%d,h,w], got %v", latentChannels, latent)
	}
	b, h, w := latent.Shape[0], latent.Shape[2], latent.Shape[3]
	if b < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("VAE decode: empty latent %v", latent)
	}
	out := tensor.New(b, h*downscale, w*downscale, 3)
	colours := make([]float32, h*w*3)
	model := tensor.New(latentChannels, h, w)
	ys, xs := upsampleTaps(h), upsampleTaps(w)
	for i := range b {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v.format.ProcessIn(model, latent.Row(i))
		v.latentColours(colours, model.Data, h*w)
		upsample(out.Row(i).Data, colours, h, w, ys, xs)
	}
	return out, nil
}

// latentColours writes the clamped [0,1] colour of each of the n pixels of
// a model-space latent [4,n] into dst [n,3].
func (v *colourVAE) latentColours(dst, z []float32, n int) {
	for p := range n {
		for k := range 3 {
			s := v.bias[k]
			for c := range latentChannels {
				s += v.toRGB[c][k] * z[c*n+p]
			}
			dst[p*3+k] = min(1, max(0, (s+1)/2))
		}
	}
}

// tap is one output coordinate's bilinear source: (1-w)*src[lo] + w*src[hi].
type tap struct {
	lo, hi int
	w      float32
}

// upsampleTaps are the taps of an 8x bilinear upsampling of n samples with
// half-pixel centres (align_corners=False), edges clamped.
func upsampleTaps(n int) []tap {
	taps := make([]tap, n*downscale)
	for o := range taps {
		s := (float32(o)+0.5)/downscale - 0.5
		if s < 0 {
			s = 0
		}
		lo := int(s)
		if lo > n-1 {
			lo = n - 1
		}
		hi := min(lo+1, n-1)
		taps[o] = tap{lo: lo, hi: hi, w: s - float32(lo)}
	}
	return taps
}

// upsample bilinearly scales colours [h,w,3] to dst [8h,8w,3].
func upsample(dst, colours []float32, h, w int, ys, xs []tap) {
	row := make([]float32, w*3) // one source row interpolated vertically
	ow := w * downscale
	for oy, ty := range ys {
		a, b := colours[ty.lo*w*3:(ty.lo+1)*w*3], colours[ty.hi*w*3:(ty.hi+1)*w*3]
		for i := range row {
			row[i] = a[i] + (b[i]-a[i])*ty.w
		}
		out := dst[oy*ow*3 : (oy+1)*ow*3]
		for ox, tx := range xs {
			l, r := row[tx.lo*3:tx.lo*3+3], row[tx.hi*3:tx.hi*3+3]
			for k := range 3 {
				out[ox*3+k] = l[k] + (r[k]-l[k])*tx.w
			}
		}
	}
}

// Encode maps an image [B,H,W,C] (C >= 3, extra channels such as alpha
// ignored) to a VAE-unit latent [B,4,H/8,W/8]. Like ComfyUI's VAEEncode, a
// size that is not a multiple of 8 is centre-cropped down to one.
func (v *colourVAE) Encode(ctx context.Context, image *tensor.Tensor) (*tensor.Tensor, error) {
	if image == nil || len(image.Shape) != 4 || image.Shape[3] < 3 {
		return nil, fmt.Errorf("VAE encode: want an image [B,H,W,3], got %v", image)
	}
	b, hpx, wpx, ch := image.Shape[0], image.Shape[1], image.Shape[2], image.Shape[3]
	h, w := hpx/downscale, wpx/downscale
	if b < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("VAE encode: image %v is smaller than %dx%d pixels", image, downscale, downscale)
	}
	y0, x0 := (hpx%downscale)/2, (wpx%downscale)/2
	out := tensor.New(b, latentChannels, h, w)
	for i := range b {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img := image.Row(i).Data
		v.encodeModel(out.Row(i).Data, h, w, func(y, x int) (float32, float32, float32) {
			o := ((y0+y)*wpx + x0 + x) * ch
			return img[o], img[o+1], img[o+2]
		})
		v.format.ProcessOut(out.Row(i), out.Row(i))
	}
	return out, nil
}

// encodeModel writes the model-space latent [4,h,w] of an 8h x 8w image
// whose pixel (y, x) is given by pixel: block averages, then fromRGB.
func (v *colourVAE) encodeModel(dst []float32, h, w int, pixel func(y, x int) (float32, float32, float32)) {
	n := h * w
	const inv = 1.0 / (downscale * downscale)
	for ly := range h {
		for lx := range w {
			var s [3]float32
			for dy := range downscale {
				for dx := range downscale {
					r, g, b := pixel(ly*downscale+dy, lx*downscale+dx)
					s[0] += r
					s[1] += g
					s[2] += b
				}
			}
			var c [3]float32
			for k := range 3 {
				c[k] = s[k]*inv*2 - 1 - v.bias[k]
			}
			p := ly*w + lx
			for lc := range latentChannels {
				dst[lc*n+p] = v.fromRGB[0][lc]*c[0] + v.fromRGB[1][lc]*c[1] + v.fromRGB[2][lc]*c[2]
			}
		}
	}
}
