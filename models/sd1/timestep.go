package sd1

import (
	"math"

	"comfyd/tensor"
)

// TimestepEmbedding is ComfyUI's sinusoidal embedding [cos | sin] with
// freqs exp(-ln(10000)·i/half), computed with float32 arithmetic like
// ComfyUI (which does so even when the network runs in float64).
//
// PyTorch's CPU exp is SLEEF's expf (1-ulp, not correctly rounded); one
// frequency of SD1's table rounds differently from a correctly rounded exp,
// which moves sin/cos of large timesteps by 1.7e-6. tensor.Exp32 follows
// SLEEF's algorithm so the frequencies are bit-identical; sin and cos are
// correctly rounded here and within 1 ulp in PyTorch.
func TimestepEmbedding(timesteps []float32, dim int) []float32 {
	half := dim / 2
	out := make([]float32, len(timesteps)*dim)
	negLog := float32(-math.Log(10000))
	for i := range half {
		freq := tensor.Exp32(negLog * float32(i) / float32(half)) // PyTorch computes exp this way
		for b, t := range timesteps {
			arg := float64(t * freq)
			out[b*dim+i] = float32(math.Cos(arg))
			out[b*dim+half+i] = float32(math.Sin(arg))
		}
	}
	return out
}
