package builtin

import "math"

// rgb is a colour with components in [0,1].
type rgb [3]float64

// palette holds the colours the captions name.
var palette = map[string]rgb{
	"red":    {0.86, 0.12, 0.10},
	"orange": {0.96, 0.55, 0.10},
	"yellow": {0.97, 0.86, 0.16},
	"green":  {0.16, 0.66, 0.26},
	"blue":   {0.14, 0.30, 0.86},
	"purple": {0.55, 0.20, 0.76},
	"pink":   {0.96, 0.52, 0.72},
	"white":  {0.95, 0.95, 0.94},
	"black":  {0.06, 0.06, 0.08},
}

// at is where a pixel is sampled. u, v run over [0,1] left to right and
// top to bottom; x, y are centred coordinates in units of the shorter
// image side (so circles stay round), y growing downwards; px is the pixel
// size in those units (for anti-aliasing).
type at struct {
	u, v, x, y, px float64
}

func mix(a, b rgb, t float64) rgb {
	return rgb{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

func scale(a rgb, k float64) rgb { return rgb{a[0] * k, a[1] * k, a[2] * k} }

// clamp01 limits v to [0,1]. Plain comparisons: the builtin min and max
// handle NaN and signed zeros, which costs a lot per pixel.
func clamp01(v float64) float64 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// cover is the anti-aliased inside-ness of a signed distance d (negative
// inside) for a pixel of size px.
func cover(d, px float64) float64 { return clamp01(0.5 - d/px) }

func fract(v float64) float64 { return v - math.Floor(v) }

// hypot is sqrt(x*x + y*y); math.Hypot's overflow care is not needed for
// coordinates of order 1 and costs a lot per pixel.
func hypot(x, y float64) float64 { return math.Sqrt(x*x + y*y) }

// Signed distance functions (negative inside), after the usual 2-D forms.

func sdCircle(x, y, cx, cy, r float64) float64 { return hypot(x-cx, y-cy) - r }

func sdBox(x, y, cx, cy, hx, hy float64) float64 {
	qx, qy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	return hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0)
}

func sdRoundBox(x, y, cx, cy, hx, hy, r float64) float64 {
	return sdBox(x, y, cx, cy, hx-r, hy-r) - r
}

// sdTriangle is an upright equilateral triangle of circumradius-like size r
// centred at (cx, cy).
func sdTriangle(x, y, cx, cy, r float64) float64 {
	const k = 1.7320508075688772
	px, py := math.Abs(x-cx)-r, -(y-cy)+r/k
	if px+k*py > 0 {
		px, py = (px-k*py)/2, (-k*px-py)/2
	}
	px -= min(max(px, -2*r), 0)
	d := hypot(px, py)
	if py > 0 {
		return -d
	}
	return d
}

// band is 1 on every other stripe of period 1/freq along t, anti-aliased.
func band(t, freq, px float64) float64 {
	d := (math.Abs(fract(t*freq)-0.5) - 0.25) / freq
	return cover(d, px)
}

// hash2 is a deterministic pseudo-random number in [0,1) for a grid cell.
func hash2(i, j int64, salt uint64) float64 {
	z := uint64(i)*0x9e3779b97f4a7c15 ^ uint64(j)*0xc2b2ae3d27d4eb4f ^ salt*0x165667b19e3779f9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// galaxy paints a spiral galaxy with a star field, tinted by tint.
func galaxy(p at, tint rgb, salt uint64) rgb {
	c := rgb{0.02, 0.02, 0.05}
	r2 := p.x*p.x + p.y*p.y
	r := math.Sqrt(r2)
	// Two spiral arms: cos(2*theta - 10r), with cos(2 theta) and sin(2 theta)
	// taken from x and y directly instead of through atan2.
	cos2, sin2 := 1.0, 0.0
	if r2 > 0 {
		cos2, sin2 = (p.x*p.x-p.y*p.y)/r2, 2*p.x*p.y/r2
	}
	s10, c10 := math.Sincos(10 * r)
	arm := 0.5 + 0.5*(cos2*c10+sin2*s10)
	glow := math.Exp(-3.2*r) * arm * arm
	c = mix(c, tint, clamp01(1.3*glow))
	if r2 < 0.1 { // the core's glow is below 1e-10 beyond
		c = mix(c, rgb{1, 0.95, 0.9}, math.Exp(-r2/0.004))
	}
	// Stars: at most one per grid cell, at a hashed place and brightness.
	const cell = 0.05
	ci, cj := math.Floor(p.x/cell), math.Floor(p.y/cell)
	i, j := int64(ci), int64(cj)
	if hash2(i, j, salt) < 0.45 {
		sx := (ci + 0.2 + 0.6*hash2(i, j, salt+1)) * cell
		sy := (cj + 0.2 + 0.6*hash2(i, j, salt+2)) * cell
		rad := 0.004 + 0.006*hash2(i, j, salt+3)
		c = mix(c, rgb{1, 1, 1}, cover(hypot(p.x-sx, p.y-sy)-rad, p.px))
	}
	return c
}

// sunsetScene paints a sky graded from top to glow over a dark sea, with
// the sun on the horizon and its reflection.
func sunsetScene(p at, top, glow, sea rgb) rgb {
	const horizon = 0.62
	if p.v < horizon {
		c := mix(top, glow, math.Pow(p.v/horizon, 1.6))
		sun := cover(sdCircle(p.u, p.v, 0.5, horizon-0.02, 0.14), p.px)
		return mix(c, rgb{1, 0.92, 0.55}, sun)
	}
	depth := (p.v - horizon) / (1 - horizon)
	c := mix(mix(sea, glow, 0.35), sea, depth)
	width := 0.16 * (1 - 0.7*depth)
	if math.Abs(p.u-0.5) < width && math.Sin(depth*70) > 0.2 {
		c = mix(c, rgb{1, 0.85, 0.5}, 0.6*(1-depth))
	}
	return c
}

// mountainScene paints snowy peaks under a sky above a valley.
func mountainScene(p at, sky, rock, valley rgb) rgb {
	c := mix(sky, rgb{0.95, 0.96, 1}, clamp01(p.v/0.7))
	peaks := [3][3]float64{{0.22, 0.30, 1.4}, {0.55, 0.18, 1.2}, {0.82, 0.34, 1.5}}
	ridge := 1.0
	for _, pk := range peaks {
		ridge = min(ridge, pk[1]+math.Abs(p.u-pk[0])*pk[2])
	}
	if d := ridge - p.v; d < 0 {
		c = mix(c, rock, cover(d, p.px))
		if p.v < 0.34 && p.v-ridge < 0.07 {
			c = mix(c, rgb{0.97, 0.97, 1}, 0.9)
		}
	}
	if p.v > 0.72 {
		c = mix(valley, scale(valley, 0.7), (p.v-0.72)/0.28)
	}
	return c
}

// bottle paints a corked glass bottle centred at (cx, 0); inside returns
// the colour behind the glass at p.
func bottle(p at, bg rgb, cx float64, inside func(at) rgb) rgb {
	body := sdRoundBox(p.x, p.y, cx, 0.12, 0.18, 0.25, 0.08)
	neck := sdBox(p.x, p.y, cx, -0.2, 0.055, 0.1)
	glassD := min(body, neck)
	cork := sdBox(p.x, p.y, cx, -0.32, 0.068, 0.04)
	c := bg
	if glassD < p.px {
		in := inside(p)
		if p.x-cx > -0.13 && p.x-cx < -0.09 && p.y > -0.05 && p.y < 0.3 {
			in = mix(in, rgb{1, 1, 1}, 0.45) // highlight on the glass
		}
		if glassD > -0.014 {
			in = scale(in, 0.55) // the glass edge
		}
		c = mix(c, in, cover(glassD, p.px))
	}
	return mix(c, rgb{0.55, 0.36, 0.2}, cover(cork, p.px))
}
