package builtin

import (
	"fmt"
	"math"
	"strings"
)

// picture is one image of the built-in set: what it shows in words, the
// concepts its caption names with how central each is, and how to paint it.
type picture struct {
	caption string
	tags    map[string]float64
	paint   func(p at) rgb
}

// catalogue is the built-in image set, in a fixed order (the order is part
// of the model: it decides ties and the index of every image).
var catalogue = buildCatalogue()

func buildCatalogue() []picture {
	var pics []picture
	add := func(caption string, tags map[string]float64, paint func(at) rgb) {
		pics = append(pics, picture{caption: caption, tags: tags, paint: paint})
	}
	// shapeTags tags a coloured shape on a plain background: the shape and
	// its colour are central, the background colour less so.
	shapeTags := func(shape, fg, bg string) map[string]float64 {
		return map[string]float64{shape: 1, fg: 1, bg: 0.5, "shape": 0.5}
	}
	// jitter places the k-th variant of a shape a little off centre so the
	// set does not repeat one composition.
	jitter := func(k int) (cx, cy, size float64) {
		return 0.12 * math.Sin(float64(k)*2.1), 0.08 * math.Cos(float64(k)*1.7), 1 + 0.18*math.Sin(float64(k)*0.9)
	}
	pair := func(a, b string) (rgb, rgb) { return palette[a], palette[b] }

	for k, c := range [][2]string{{"red", "white"}, {"red", "blue"}, {"blue", "yellow"},
		{"green", "black"}, {"yellow", "purple"}, {"white", "black"}, {"orange", "blue"}, {"pink", "green"}} {
		fg, bg := pair(c[0], c[1])
		cx, cy, s := jitter(k)
		add(fmt.Sprintf("%s %s circle on %s %s background", article(c[0]), c[0], article(c[1]), c[1]), shapeTags("circle", c[0], c[1]),
			func(p at) rgb { return mix(bg, fg, cover(sdCircle(p.x, p.y, cx, cy, 0.28*s), p.px)) })
	}
	for k, c := range [][2]string{{"blue", "white"}, {"red", "black"}, {"green", "yellow"},
		{"yellow", "blue"}, {"purple", "orange"}, {"black", "white"}} {
		fg, bg := pair(c[0], c[1])
		cx, cy, s := jitter(k + 3)
		add(fmt.Sprintf("%s %s square on %s %s background", article(c[0]), c[0], article(c[1]), c[1]), shapeTags("square", c[0], c[1]),
			func(p at) rgb { return mix(bg, fg, cover(sdBox(p.x, p.y, cx, cy, 0.25*s, 0.25*s), p.px)) })
	}
	for k, c := range [][2]string{{"green", "white"}, {"orange", "blue"}, {"red", "yellow"},
		{"blue", "pink"}, {"white", "purple"}} {
		fg, bg := pair(c[0], c[1])
		cx, cy, s := jitter(k + 5)
		add(fmt.Sprintf("%s %s triangle on %s %s background", article(c[0]), c[0], article(c[1]), c[1]), shapeTags("triangle", c[0], c[1]),
			func(p at) rgb { return mix(bg, fg, cover(sdTriangle(p.x, p.y, cx, cy+0.05, 0.36*s), p.px)) })
	}
	for k, c := range [][2]string{{"yellow", "black"}, {"blue", "white"}, {"red", "green"}, {"purple", "white"}} {
		fg, bg := pair(c[0], c[1])
		cx, cy, s := jitter(k + 1)
		tags := shapeTags("ring", c[0], c[1])
		tags["circle"] = 0.4
		add(fmt.Sprintf("%s %s ring on %s %s background", article(c[0]), c[0], article(c[1]), c[1]), tags,
			func(p at) rgb {
				d := math.Abs(sdCircle(p.x, p.y, cx, cy, 0.27*s)) - 0.07*s
				return mix(bg, fg, cover(d, p.px))
			})
	}
	for _, c := range []struct{ a, b, dir string }{{"red", "white", "horizontal"}, {"blue", "yellow", "vertical"},
		{"green", "black", "diagonal"}, {"purple", "pink", "horizontal"}, {"orange", "blue", "vertical"},
		{"black", "white", "diagonal"}} {
		a, b := pair(c.a, c.b)
		dir := c.dir
		add(fmt.Sprintf("%s %s and %s stripes", c.dir, c.a, c.b),
			map[string]float64{"stripes": 1, c.a: 0.8, c.b: 0.8, c.dir: 0.6, "pattern": 0.5},
			func(p at) rgb {
				t := p.y
				switch dir {
				case "vertical":
					t = p.x
				case "diagonal":
					t = (p.x + p.y) * math.Sqrt2 / 2
				}
				return mix(b, a, band(t, 4, p.px))
			})
	}
	for _, c := range [][2]string{{"black", "white"}, {"red", "black"}, {"blue", "white"}, {"green", "yellow"}} {
		a, b := pair(c[0], c[1])
		add(fmt.Sprintf("%s %s and %s checkerboard", article(c[0]), c[0], c[1]),
			map[string]float64{"checkerboard": 1, c[0]: 0.8, c[1]: 0.8, "pattern": 0.5, "square": 0.2},
			func(p at) rgb {
				bx, by := band(p.x, 3, p.px), band(p.y, 3, p.px)
				return mix(b, a, bx+by-2*bx*by)
			})
	}
	for _, c := range [][2]string{{"white", "red"}, {"black", "yellow"}, {"yellow", "blue"}, {"pink", "purple"}} {
		fg, bg := pair(c[0], c[1])
		add(fmt.Sprintf("%s polka dots on %s", c[0], c[1]),
			map[string]float64{"dots": 1, c[0]: 0.7, c[1]: 0.9, "pattern": 0.5, "circle": 0.2},
			func(p at) rgb {
				const g = 0.2
				lx, ly := (fract(p.x/g)-0.5)*g, (fract(p.y/g)-0.5)*g
				return mix(bg, fg, cover(hypot(lx, ly)-0.055, p.px))
			})
	}
	for k, c := range [][2]string{{"blue", "purple"}, {"red", "yellow"}, {"green", "blue"},
		{"black", "white"}, {"orange", "pink"}, {"purple", "orange"}} {
		a, b := pair(c[0], c[1])
		angle := float64(k) * 0.9
		add(fmt.Sprintf("a smooth gradient from %s to %s", c[0], c[1]),
			map[string]float64{"gradient": 1, c[0]: 0.8, c[1]: 0.8},
			func(p at) rgb {
				t := 0.5 + 0.75*(p.x*math.Cos(angle)+p.y*math.Sin(angle))
				return mix(a, b, clamp01(t))
			})
	}
	sceneTags := func(extra map[string]float64, base ...string) map[string]float64 {
		for _, b := range base {
			extra[b] = 1
		}
		return extra
	}
	for _, c := range []struct {
		name           string
		top, glow, sea rgb
	}{
		{"orange", rgb{0.35, 0.15, 0.45}, rgb{0.98, 0.55, 0.15}, rgb{0.08, 0.1, 0.25}},
		{"purple", rgb{0.12, 0.08, 0.35}, rgb{0.75, 0.35, 0.7}, rgb{0.1, 0.06, 0.2}},
		{"pink", rgb{0.3, 0.35, 0.7}, rgb{0.98, 0.6, 0.7}, rgb{0.12, 0.2, 0.35}},
	} {
		c := c
		add(fmt.Sprintf("%s %s sunset over the sea", article(c.name), c.name),
			sceneTags(map[string]float64{c.name: 0.8, "scenery": 0.8, "nature": 0.8, "sky": 0.6},
				"sunset", "sun", "sea", "landscape"),
			func(p at) rgb { return sunsetScene(p, c.top, c.glow, c.sea) })
	}
	for k, c := range []string{"purple", "blue", "pink"} {
		tint, salt := palette[c], uint64(11+k)
		add(fmt.Sprintf("a %s spiral galaxy in a starry night sky", c),
			sceneTags(map[string]float64{c: 0.8, "sky": 0.6, "black": 0.3}, "galaxy", "stars", "night"),
			func(p at) rgb { return galaxy(p, tint, salt) })
	}
	add("a purple galaxy in a glass bottle, in a mountain landscape",
		map[string]float64{"bottle": 1, "glass": 1, "galaxy": 1, "purple": 1, "stars": 0.5,
			"landscape": 0.8, "scenery": 0.8, "nature": 0.8, "mountain": 0.5},
		func(p at) rgb {
			bg := mountainScene(p, rgb{0.3, 0.45, 0.85}, rgb{0.35, 0.3, 0.45}, rgb{0.2, 0.5, 0.25})
			return bottle(p, bg, 0, func(q at) rgb {
				q.x, q.y = q.x*2.5, (q.y-0.1)*2.5
				q.px *= 2.5
				return galaxy(q, palette["purple"], 7)
			})
		})
	for k, c := range [][2]string{{"green", "white"}, {"blue", "yellow"}, {"red", "black"}, {"orange", "blue"}} {
		fg, bg := pair(c[0], c[1])
		cx := 0.1 * math.Sin(float64(k)*2.3)
		add(fmt.Sprintf("%s %s glass bottle on %s %s background", article(c[0]), c[0], article(c[1]), c[1]),
			map[string]float64{"bottle": 1, "glass": 1, c[0]: 1, c[1]: 0.5},
			func(p at) rgb {
				return bottle(p, bg, cx, func(at) rgb { return mix(fg, bg, 0.25) })
			})
	}
	for _, c := range []struct {
		name             string
		sky, rock, field rgb
	}{
		{"blue", rgb{0.25, 0.45, 0.9}, rgb{0.4, 0.42, 0.5}, rgb{0.25, 0.55, 0.25}},
		{"purple", rgb{0.45, 0.3, 0.7}, rgb{0.3, 0.22, 0.38}, rgb{0.3, 0.35, 0.3}},
		{"green", rgb{0.55, 0.75, 0.95}, rgb{0.35, 0.45, 0.35}, rgb{0.2, 0.65, 0.2}},
	} {
		c := c
		add(fmt.Sprintf("%s snowy mountains, a landscape", c.name),
			sceneTags(map[string]float64{c.name: 0.8, "snow": 0.8, "sky": 0.5, "scenery": 0.8, "nature": 0.8},
				"mountain", "landscape"),
			func(p at) rgb { return mountainScene(p, c.sky, c.rock, c.field) })
	}
	for k, c := range [][2]string{{"blue", "white"}, {"green", "blue"}, {"purple", "pink"}} {
		a, b := pair(c[0], c[1])
		phase := float64(k) * 1.3
		add(fmt.Sprintf("%s and %s waves", c[0], c[1]),
			map[string]float64{"waves": 1, c[0]: 0.9, c[1]: 0.6, "sea": 0.5, "pattern": 0.5},
			func(p at) rgb {
				return mix(b, a, band(p.y+0.05*math.Sin(p.x*12+phase), 3, p.px))
			})
	}
	return pics
}

// article is the indefinite article for a colour word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
