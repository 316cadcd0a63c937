package sampling

import "comfyd/tensor"

// scaleShiftFormat is a latent format of the form (x - shift) * scale
// (spec 1.4). The factors are Python floats applied to float32 tensors, so
// they are rounded to float32 once.
type scaleShiftFormat struct {
	name     string
	channels int
	scale    float32
	shift    float32
	factors  [][3]float32
	bias     [3]float32
}

func (f *scaleShiftFormat) Name() string  { return f.name }
func (f *scaleShiftFormat) Channels() int { return f.channels }

// RGBFactors returns the latent2rgb preview matrix and bias.
func (f *scaleShiftFormat) RGBFactors() ([][3]float32, [3]float32) { return f.factors, f.bias }

// ProcessIn maps VAE units to model space: (x - shift) * scale. A zero shift
// is skipped so that SD1/SDXL compute exactly x * scale.
func (f *scaleShiftFormat) ProcessIn(dst, x *tensor.Tensor) {
	for i, v := range x.Data {
		if f.shift != 0 {
			v -= f.shift
		}
		dst.Data[i] = v * f.scale
	}
}

// ProcessOut maps model space back to VAE units: x / scale + shift.
func (f *scaleShiftFormat) ProcessOut(dst, x *tensor.Tensor) {
	for i, v := range x.Data {
		v /= f.scale
		if f.shift != 0 {
			v += f.shift
		}
		dst.Data[i] = v
	}
}

// SD15 is the SD1.x/SD2.x latent format (ComfyUI latent_formats.SD15).
var SD15 LatentFormat = &scaleShiftFormat{
	name: "SD15", channels: 4, scale: 0.18215,
	factors: [][3]float32{
		{0.3512, 0.2297, 0.3227},
		{0.3250, 0.4974, 0.2350},
		{-0.2829, 0.1762, 0.2721},
		{-0.2120, -0.2616, -0.7177},
	},
}

// SDXL is the SDXL latent format with ComfyUI's current preview factors.
var SDXL LatentFormat = &scaleShiftFormat{
	name: "SDXL", channels: 4, scale: 0.13025,
	factors: [][3]float32{
		{0.3651, 0.4232, 0.4341},
		{-0.2533, -0.0042, 0.1068},
		{0.1076, 0.1111, -0.0362},
		{-0.3165, -0.2492, -0.2188},
	},
	bias: [3]float32{0.1084, -0.0175, -0.0011},
}

// SD3 is the 16-channel SD3 latent format.
var SD3 LatentFormat = &scaleShiftFormat{
	name: "SD3", channels: 16, scale: 1.5305, shift: 0.0609,
	factors: [][3]float32{
		{-0.0922, -0.0175, 0.0749},
		{0.0311, 0.0633, 0.0954},
		{0.1994, 0.0927, 0.0458},
		{0.0856, 0.0339, 0.0902},
		{0.0587, 0.0272, -0.0496},
		{-0.0006, 0.1104, 0.0309},
		{0.0978, 0.0306, 0.0427},
		{-0.0042, 0.1038, 0.1358},
		{-0.0194, 0.0020, 0.0669},
		{-0.0488, 0.0130, -0.0268},
		{0.0922, 0.0988, 0.0951},
		{-0.0278, 0.0524, -0.0542},
		{0.0332, 0.0456, 0.0895},
		{-0.0069, -0.0030, -0.0810},
		{-0.0596, -0.0465, -0.0293},
		{-0.1448, -0.1463, -0.1189},
	},
	bias: [3]float32{0.2394, 0.2135, 0.1925},
}
