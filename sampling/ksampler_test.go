package sampling_test

import (
	"slices"
	"testing"

	"comfyd/sampling"
	"comfyd/sampling/analytic"
	"comfyd/tensor"
)

func nodeInputs(t *testing.T, sampler, scheduler string) sampling.NodeInputs {
	m, err := analytic.NewModel("sd1_eps")
	if err != nil {
		t.Fatal(err)
	}
	return sampling.NodeInputs{
		Model: m, Positive: analytic.Conditioning(analytic.Positive), Negative: analytic.Conditioning(analytic.Negative),
		Latent: tensor.New(1, 4, 8, 8), Seed: 7, Steps: 6, CFG: 5,
		Sampler: sampler, Scheduler: scheduler, InternalDevice: "cpu",
	}
}

// On the CPU with the "comfy" batch mode and full denoise, ComfyUI's
// KSampler and KSampler (inspire) draw the same noise and sigmas, so they
// must agree bit for bit.
func TestKSamplerMatchesInspireOnCPU(t *testing.T) {
	for _, sampler := range []string{"euler", "euler_ancestral", "uni_pc"} {
		in := nodeInputs(t, sampler, "karras")
		core, err := sampling.KSampler(t.Context(), in, 1)
		if err != nil {
			t.Fatal(err)
		}
		insp, err := sampling.KSamplerInspire(t.Context(), in, sampling.InspireNoise{NoiseMode: "CPU", BatchSeedMode: "comfy"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(core.Output.Data, insp.Output.Data) || !slices.Equal(core.Sigmas, insp.Sigmas) {
			t.Errorf("%s: KSampler and KSampler (inspire) differ", sampler)
		}
	}
}

func TestKSamplerAdvancedWindows(t *testing.T) {
	in := nodeInputs(t, "euler", "normal")
	res, err := sampling.KSamplerAdvanced(t.Context(), in, true, 2, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sigmas) != 3 || res.Sigmas[2] != 0 || res.Evals != 2 {
		t.Fatalf("sigmas %v evals %d", res.Sigmas, res.Evals)
	}
	res, err = sampling.KSamplerAdvanced(t.Context(), in, false, 6, 10000, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped || res.Returned != sampling.ReturnedInput || !res.Output.IsZero() {
		t.Fatalf("start at the end must return the input latent: %+v", res.Returned)
	}
	leftover, err := sampling.KSamplerAdvancedInspire(t.Context(), in, sampling.InspireNoise{NoiseMode: "GPU(=A1111)", BatchSeedMode: "comfy"}, true, 0, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if leftover.Returned != sampling.ReturnedDenoised {
		t.Fatalf("returned %q", leftover.Returned)
	}
}

func TestKSamplerErrors(t *testing.T) {
	in := nodeInputs(t, "no_such_sampler", "karras")
	if _, err := sampling.KSampler(t.Context(), in, 1); err == nil {
		t.Error("unknown sampler accepted")
	}
	in = nodeInputs(t, "euler", "no_such_scheduler")
	if _, err := sampling.KSampler(t.Context(), in, 1); err == nil {
		t.Error("unknown scheduler accepted")
	}
	in = nodeInputs(t, "euler", "karras")
	if _, err := sampling.KSamplerInspire(t.Context(), in, sampling.InspireNoise{NoiseMode: "TPU", BatchSeedMode: "comfy"}, 1); err == nil {
		t.Error("unknown noise mode accepted")
	}
	in.Latent = tensor.New(1, 16, 8, 8)
	in.Latent.Data[0] = 1
	if _, err := sampling.KSampler(t.Context(), in, 1); err == nil {
		t.Error("16-channel latent accepted by an SD1 model")
	}
}

// An inpainting run must leave the unmasked region at the input latent.
func TestInpaintKeepsUnmasked(t *testing.T) {
	in := nodeInputs(t, "euler", "karras")
	in.Latent = analytic.PatternLatent(1, 4, 8, 8)
	mask := tensor.New(1, 64, 64) // pixel-space mask, left half resampled
	for y := range 64 {
		for x := range 32 {
			mask.Data[y*64+x] = 1
		}
	}
	in.NoiseMask = mask
	res, err := sampling.KSampler(t.Context(), in, 1)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 4 {
		for y := range 8 {
			i := (c*8+y)*8 + 7
			if d := res.Output.Data[i] - in.Latent.Data[i]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("unmasked value %d changed: %v -> %v", i, in.Latent.Data[i], res.Output.Data[i])
			}
		}
	}
	if res.Output.Data[0] == in.Latent.Data[0] {
		t.Fatal("masked value unchanged")
	}
}

// Hot paths reuse their buffers: a longer run must not allocate more.
// (uni_pc is left out: its history lists grow once, in samplers_unipc.go.)
func TestKSamplerAllocsIndependentOfSteps(t *testing.T) {
	for _, sampler := range []string{"euler", "euler_ancestral", "dpmpp_2m", "lms"} {
		allocs := func(steps int) float64 {
			in := nodeInputs(t, sampler, "karras")
			in.Steps = steps
			nz := sampling.InspireNoise{NoiseMode: "CPU", BatchSeedMode: "comfy"}
			return testing.AllocsPerRun(3, func() {
				if _, err := sampling.KSamplerInspire(t.Context(), in, nz, 1); err != nil {
					t.Fatal(err)
				}
			})
		}
		if a, b := allocs(5), allocs(20); b > a {
			t.Errorf("%s: %v allocations for 5 steps, %v for 20", sampler, a, b)
		}
	}
}
