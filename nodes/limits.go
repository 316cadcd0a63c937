package nodes

import "fmt"

// MaxResolution is ComfyUI's MAX_RESOLUTION: the largest width or height,
// in pixels, that its nodes accept.
const MaxResolution = 16384

// MaxTensorBytes bounds the float32 size of any latent, image or mask a node
// creates or loads. ComfyUI itself would try and run out of memory; comfyd
// refuses with an error instead, so one bad prompt cannot kill the server.
const MaxTensorBytes int64 = 2 << 30

// CheckTensorSize returns an error when a float32 tensor of the given shape
// would exceed MaxTensorBytes or has a negative or overflowing dimension.
// what names the value in the message ("latent", "image", ...).
func CheckTensorSize(what string, shape ...int) error {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("%s: negative dimension in shape %v", what, shape)
		}
		if d != 0 && n > MaxTensorBytes/4/int64(d) {
			return fmt.Errorf("%s of shape %v is larger than comfyd's limit of %d MiB", what, shape, MaxTensorBytes>>20)
		}
		n *= int64(d)
	}
	if n*4 > MaxTensorBytes {
		return fmt.Errorf("%s of shape %v is larger than comfyd's limit of %d MiB", what, shape, MaxTensorBytes>>20)
	}
	return nil
}

// CheckResolution refuses a width or height in pixels beyond MaxResolution
// (or below 0), naming the input in the error.
func CheckResolution(name string, v int64) error {
	if v < 0 || v > MaxResolution {
		return fmt.Errorf("%s %d is outside 0..%d", name, v, MaxResolution)
	}
	return nil
}
