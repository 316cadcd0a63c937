package sampling_test

import (
	"testing"

	"comfyd/sampling"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// torchOwnCostMs is the reference Python implementation's time on this
// machine (torch CPU, 2 threads) for 20 karras steps on [1,4,64,64] with a
// null denoiser: the sampler's own cost (issue 5).
var torchOwnCostMs = map[string]float64{"euler": 0.72, "euler_ancestral": 2.9, "dpmpp_2m": 1.7, "uni_pc": 13.6}

// BenchmarkSamplerOwnCost runs each sampler with a null denoiser (it returns
// its input), so what is measured is the sampler's own arithmetic and its
// noise draws. The baseline sub-benchmark is one elementwise copy per step
// over the same latent, measured in the same run.
func BenchmarkSamplerOwnCost(b *testing.B) {
	ms := sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS)
	null := func(dst, uncond, x *tensor.Tensor, _ float32) error {
		copy(dst.Data, x.Data)
		if uncond != nil {
			copy(uncond.Data, x.Data)
		}
		return nil
	}
	b.Run("baseline_copy_per_step", func(b *testing.B) {
		x, y := tensor.New(benchShape...), tensor.New(benchShape...)
		b.ReportAllocs()
		for b.Loop() {
			for range benchSteps {
				copy(y.Data, x.Data)
			}
		}
	})
	for _, name := range []string{"euler", "euler_ancestral", "dpmpp_2m", "uni_pc"} {
		b.Run(name, func(b *testing.B) {
			fn, err := sampling.LookupSampler(name)
			if err != nil {
				b.Fatal(err)
			}
			sigmas, err := sampling.SigmasForSampler(ms, "karras", benchSteps, name)
			if err != nil {
				b.Fatal(err)
			}
			gen, _ := noise.Internal(noise.DeviceCPU, 42)
			r := &sampling.Run{Ctx: b.Context(), Denoise: null, Sampling: ms,
				Noise: func(dst *tensor.Tensor) { gen.Randn(dst.Data) }}
			x0 := analyticPattern()
			x := tensor.New(benchShape...)
			s := make([]float32, len(sigmas))
			b.ReportAllocs()
			for b.Loop() {
				copy(x.Data, x0.Data)
				copy(s, sigmas) // uni_pc edits the last sigma in place
				if _, err := fn(r, x, s); err != nil {
					b.Fatal(err)
				}
			}
			perRun := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perRun/benchSteps, "ns/step")
			b.ReportMetric(torchOwnCostMs[name]*1e6/perRun, "x_vs_torch")
		})
	}
}

func analyticPattern() *tensor.Tensor {
	x := tensor.New(benchShape...)
	for i := range x.Data {
		x.Data[i] = float32(i%13)/6 - 1
	}
	return x
}
