package sampling

import (
	"fmt"
	"math"

	"comfyd/tensor"
)

// resolveArea returns the cond's area in latent units clamped to the
// latent, or nil for a full-frame cond: percentage areas are rounded like
// Python's round(), mask bounds become an area when SetAreaToBounds is set.
func resolveArea(c Cond, mask *tensor.Tensor, H, W int) *Area {
	var a Area
	switch {
	case c.SetAreaToBounds && mask != nil:
		a = maskBounds(mask)
	case c.Area == nil:
		return nil
	case c.Area.Percentage:
		a = Area{
			Height: max(1, roundHalfEven(c.Area.PH*float64(H))),
			Width:  max(1, roundHalfEven(c.Area.PW*float64(W))),
			Y:      roundHalfEven(c.Area.PY * float64(H)),
			X:      roundHalfEven(c.Area.PX * float64(W)),
		}
	default:
		a = *c.Area
	}
	// get_area_and_mult clamps the size to what fits after the offset.
	a.Height = max(0, min(H-a.Y, a.Height))
	a.Width = max(0, min(W-a.X, a.Width))
	return &a
}

func roundHalfEven(v float64) int { return int(math.RoundToEven(v)) }

// maskBounds is the bounding box of the mask's non-zero pixels over the
// batch, at least 8x8 (ComfyUI's set_area_to_bounds).
func maskBounds(mask *tensor.Tensor) Area {
	B, H, W := mask.Shape[0], mask.Shape[1], mask.Shape[2]
	x0, y0, x1, y1 := W, H, -1, -1
	for b := range B {
		for y := range H {
			for x := range W {
				if mask.Data[(b*H+y)*W+x] != 0 {
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
				}
			}
		}
	}
	if x1 < 0 {
		return Area{Height: 8, Width: 8}
	}
	return Area{Height: max(8, y1-y0+1), Width: max(8, x1-x0+1), Y: y0, X: x0}
}

// areaMult builds the cond's weights over its cropped area: mask times
// mask strength, times strength, feathered over 8 latent pixels at inner
// edges of an unmasked area (get_area_and_mult).
func areaMult(pc *preparedCond, mask *tensor.Tensor, strength float64, H, W int) *tensor.Tensor {
	B, C := pc.fullShape[0], pc.fullShape[1]
	ar := pc.area
	m := tensor.New(B, C, ar.Height, ar.Width)
	s := float32(strength)
	ms := float32(pc.cond.MaskStrength)
	i := 0
	for b := range B {
		for range C {
			for y := range ar.Height {
				for x := range ar.Width {
					v := float32(1)
					if mask != nil {
						mb := b % mask.Shape[0]
						v = mask.Data[(mb*H+ar.Y+y)*W+ar.X+x] * ms
					}
					m.Data[i] = v * s
					i++
				}
			}
		}
	}
	if mask == nil && pc.hasArea {
		feather(m, ar, H, W)
	}
	return m
}

// feather scales the first/last rr rows and columns of an area that does
// not touch the latent's border, rr = min(8, size/4).
func feather(m *tensor.Tensor, ar Area, H, W int) {
	h, w := ar.Height, ar.Width
	scaleRow := func(y int, f float32) {
		for p := 0; p < len(m.Data); p += h * w {
			for x := range w {
				m.Data[p+y*w+x] *= f
			}
		}
	}
	scaleCol := func(x int, f float32) {
		for p := 0; p < len(m.Data); p += h * w {
			for y := range h {
				m.Data[p+y*w+x] *= f
			}
		}
	}
	if rr := min(8, h/4); rr > 0 {
		for t := range rr {
			f := float32((1.0 / float64(rr)) * float64(t+1))
			if ar.Y != 0 {
				scaleRow(t, f)
			}
			if ar.Height+ar.Y < H {
				scaleRow(h-1-t, f)
			}
		}
	}
	if rr := min(8, w/4); rr > 0 {
		for t := range rr {
			f := float32((1.0 / float64(rr)) * float64(t+1))
			if ar.X != 0 {
				scaleCol(t, f)
			}
			if ar.Width+ar.X < W {
				scaleCol(w-1-t, f)
			}
		}
	}
}

// withOppositeAreas is create_cond_with_same_area_if_none for every cond of
// other that has an area: side gets a copy of that cond (area, mask,
// strength) carrying the text of side's smallest cond containing it.
func withOppositeAreas(side, other []*preparedCond) ([]*preparedCond, error) {
	for _, c := range other {
		if !c.hasArea {
			continue
		}
		var smallest *preparedCond
		for _, x := range side {
			switch {
			case !x.hasArea:
				if smallest == nil {
					smallest = x
				}
			case areaInside(c.area, x.area):
				if smallest == nil || !smallest.hasArea ||
					smallest.area.Height*smallest.area.Width > x.area.Height*x.area.Width {
					smallest = x
				}
			}
		}
		if smallest == nil || (smallest.hasArea && smallest.area == c.area) {
			continue
		}
		copyCond := c.cond
		copyCond.CrossAttn, copyCond.Pooled, copyCond.Extra = smallest.cond.CrossAttn, smallest.cond.Pooled, smallest.cond.Extra
		pc, err := newPreparedCond(copyCond, c.fullShape)
		if err != nil {
			return nil, err
		}
		side = append(side, pc)
	}
	return side, nil
}

// areaInside reports whether a lies within b.
func areaInside(a, b Area) bool {
	return a.Y >= b.Y && a.X >= b.X && a.Y+a.Height <= b.Y+b.Height && a.X+a.Width <= b.X+b.Width
}

// resizeMask returns mask as [B,H,W], bilinearly resized (torch
// interpolate, align_corners=False) when its size differs.
func resizeMask(mask *tensor.Tensor, H, W int) (*tensor.Tensor, error) {
	switch len(mask.Shape) {
	case 2:
		mask = &tensor.Tensor{Shape: []int{1, mask.Shape[0], mask.Shape[1]}, Data: mask.Data}
	case 3:
	default:
		return nil, fmt.Errorf("sampling: mask must be [B,H,W] or [H,W], got %v", mask)
	}
	if tensor.Numel(mask.Shape) == 0 {
		return nil, fmt.Errorf("sampling: empty mask %v", mask)
	}
	if mask.Shape[1] == H && mask.Shape[2] == W {
		return mask, nil
	}
	out := tensor.New(mask.Shape[0], H, W)
	for b := range mask.Shape[0] {
		bilinear(out.Row(b), mask.Row(b))
	}
	return out, nil
}

// bilinear resizes a [h,w] plane into dst's [H,W] like torch's
// upsample_bilinear2d with align_corners=False (float32 arithmetic).
func bilinear(dst, src *tensor.Tensor) {
	ih, iw := src.Shape[0], src.Shape[1]
	oh, ow := dst.Shape[0], dst.Shape[1]
	sh, sw := float32(ih)/float32(oh), float32(iw)/float32(ow)
	for y := range oh {
		y0, y1, ly := sourceIndex(y, sh, ih)
		for x := range ow {
			x0, x1, lx := sourceIndex(x, sw, iw)
			top := float32((1-lx)*src.Data[y0*iw+x0]) + float32(lx*src.Data[y0*iw+x1])
			bot := float32((1-lx)*src.Data[y1*iw+x0]) + float32(lx*src.Data[y1*iw+x1])
			dst.Data[y*ow+x] = float32((1-ly)*top) + float32(ly*bot)
		}
	}
}

// sourceIndex is area_pixel_compute_source_index plus the neighbour and
// weight of torch's bilinear kernel.
func sourceIndex(i int, scale float32, size int) (lo, hi int, lambda float32) {
	real := max(scale*(float32(i)+0.5)-0.5, 0)
	lo = int(real)
	hi = lo
	if lo < size-1 {
		hi = lo + 1
	}
	return lo, hi, real - float32(lo)
}
