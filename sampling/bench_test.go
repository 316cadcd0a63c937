package sampling_test

import (
	"syscall"
	"testing"
	"time"

	"comfyd/sampling"
	"comfyd/sampling/analytic"
	"comfyd/tensor"
)

// benchSteps and benchShape are the whole-loop reference workload: torch
// takes ~38 ms per 20-step run on this machine (29 ms in the denoiser).
const benchSteps = 20

var benchShape = []int{1, 4, 64, 64}

// BenchmarkKSamplerInspire runs KSampler (inspire) end to end with the
// analytic denoiser: noise, schedule, 20 steps of CFG 8, process_out.
func BenchmarkKSamplerInspire(b *testing.B) {
	for _, sampler := range []string{"euler", "euler_ancestral", "dpmpp_2m", "uni_pc"} {
		b.Run(sampler, func(b *testing.B) {
			m, err := analytic.NewModel("sd1_eps")
			if err != nil {
				b.Fatal(err)
			}
			in := sampling.NodeInputs{
				Model: m, Positive: analytic.Conditioning(analytic.Positive), Negative: analytic.Conditioning(analytic.Negative),
				Latent: tensor.New(benchShape...), Seed: 42, Steps: benchSteps, CFG: 8,
				Sampler: sampler, Scheduler: "karras", InternalDevice: "cpu",
			}
			nz := sampling.InspireNoise{NoiseMode: "CPU", BatchSeedMode: "comfy"}
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if _, err := sampling.KSamplerInspire(b.Context(), in, nz, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSteps, "ns/step")
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// BenchmarkGuidedDenoise is one CFG denoiser call (two analytic model
// evaluations) on the benchmark shape; it is the hot path of the loop.
func BenchmarkGuidedDenoise(b *testing.B) {
	m, _ := analytic.NewModel("sd1_eps")
	g := sampling.NewGuider(m, analytic.Conditioning(analytic.Positive), analytic.Conditioning(analytic.Negative), 8)
	x := analytic.PatternLatent(benchShape...)
	dst := tensor.New(benchShape...)
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Denoise(dst, nil, x, 2.5); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the process's user+system CPU time. The machine is shared:
// wall time depends on other tenants, CPU time (summed over threads) much
// less; wall ≈ cpu-ms/2 when both cores are ours.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
