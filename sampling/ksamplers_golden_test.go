package sampling_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"comfyd/sampling"
	"comfyd/sampling/analytic"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// TestKSamplersGolden runs the k-diffusion samplers of spec 8.1-8.17 on the
// golden end-to-end cases (samplers_e2e.json) from the case's own initial
// noise and sigmas: it checks the sampler alone (noise scaling, sampler,
// inverse scaling, process_out) at each case's suggested_atol, independent
// of the schedule and Inspire noise code that the full pipeline test covers.
func TestKSamplersGolden(t *testing.T) {
	mine := map[string]bool{}
	for _, n := range []string{"euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp",
		"heun", "heunpp2", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive",
		"dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu",
		"dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun",
		"dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddim"} {
		mine[n] = true
	}
	var file struct {
		Cases []kSamplerCase `json:"cases"`
	}
	loadGolden(t, "samplers_e2e.json", &file)
	worst := map[string]float64{}
	ran := 0
	for _, c := range file.Cases {
		if !mine[c.Sampler] || c.Skipped {
			continue
		}
		ran++
		t.Run(c.ID, func(t *testing.T) {
			ratio := runKSamplerCase(t, c)
			worst[c.Sampler] = max(worst[c.Sampler], ratio)
		})
	}
	if ran == 0 {
		t.Fatal("samplers_e2e.json holds no case for these samplers")
	}
	for n, w := range worst {
		t.Logf("%-26s max |diff|/atol = %.3g", n, w)
	}
}

type kSamplerCase struct {
	ID          string  `json:"id"`
	Model       string  `json:"model"`
	Sampler     string  `json:"sampler"`
	CFG         float64 `json:"cfg"`
	Shape       []int   `json:"shape"`
	LatentInput string  `json:"latent_input"`
	Advanced    *struct {
		AddNoise bool `json:"add_noise"`
	} `json:"advanced"`
	InternalNoise *struct {
		Generator string      `json:"generator"`
		Seed      json.Number `json:"seed"`
	} `json:"internal_noise"`
	Sigmas        []float32 `json:"sigmas"`
	Skipped       bool      `json:"skipped"`
	Noise         []float32 `json:"noise"`
	DenoiserEvals int       `json:"denoiser_evals"`
	XFinal        []float32 `json:"x_final"`
	SuggestedAtol float64   `json:"suggested_atol"`
	Trace         []struct {
		I        int       `json:"i"`
		X        []float32 `json:"x"`
		Denoised []float32 `json:"denoised"`
	} `json:"trace"`
}

// setUpCase makes a golden end-to-end case ready to sample: the case's
// analytic model, its initial noise scaled onto the latent at sigmas[0],
// the CFG guider (which counts denoiser calls) and a Run whose internal
// noise is the case's generator.
func setUpCase(t *testing.T, c kSamplerCase) (*sampling.Model, *sampling.Guider, *sampling.Run, *tensor.Tensor) {
	t.Helper()
	model, err := analytic.NewModel(c.Model)
	if err != nil {
		t.Fatal(err)
	}
	ms := model.Sampling
	latent := tensor.New(c.Shape...)
	if c.LatentInput == "pattern" {
		model.Format.ProcessIn(latent, analytic.PatternLatent(c.Shape...))
	}
	nz := tensor.FromData(append([]float32(nil), c.Noise...), c.Shape...)
	if c.Advanced != nil && !c.Advanced.AddNoise {
		clear(nz.Data)
	}
	x := tensor.New(c.Shape...)
	sampling.NoiseScaling(x, nz, latent, c.Sigmas[0], sampling.MaxDenoise(ms, c.Sigmas[0]), ms.Kind())

	g := sampling.NewGuider(model, analytic.Conditioning(analytic.Positive), analytic.Conditioning(analytic.Negative), c.CFG)
	run := &sampling.Run{Denoise: g.Denoise, Sampling: ms}
	if c.InternalNoise != nil {
		seed, err := strconv.ParseUint(string(c.InternalNoise.Seed), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		dev := noise.DeviceCPU
		if c.InternalNoise.Generator == "cuda_philox_model" {
			dev = noise.DeviceCUDA
		}
		gen, err := noise.NewGenerator(dev, seed)
		if err != nil {
			t.Fatal(err)
		}
		run.Noise = func(dst *tensor.Tensor) { gen.Randn(dst.Data) }
	}
	return model, g, run, x
}

// runKSamplerCase runs one case and returns max |diff|/atol over the
// process_out-ed final state.
func runKSamplerCase(t *testing.T, c kSamplerCase) float64 {
	model, g, run, x := setUpCase(t, c)
	ms := model.Sampling
	type traced struct {
		i           int
		x, denoised []float32
	}
	var trace []traced
	run.Callback = func(i int, x, den *tensor.Tensor) {
		trace = append(trace, traced{i, append([]float32(nil), x.Data...), append([]float32(nil), den.Data...)})
	}
	fn, err := sampling.LookupSampler(c.Sampler)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn(run, x, append([]float32(nil), c.Sigmas...))
	if err != nil {
		t.Fatal(err)
	}
	sampling.InverseNoiseScaling(out, out, c.Sigmas[len(c.Sigmas)-1], ms.Kind())
	if g.Evals != c.DenoiserEvals {
		t.Errorf("denoiser evals %d, want %d", g.Evals, c.DenoiserEvals)
	}
	ratio := compareOut(t, "x_final", model, c.Shape, out.Data, c.XFinal, c.SuggestedAtol)
	if len(c.Trace) > 0 && len(trace) != len(c.Trace) {
		t.Errorf("%d callbacks, want %d", len(trace), len(c.Trace))
	}
	for k := range min(len(trace), len(c.Trace)) {
		if trace[k].i != c.Trace[k].I {
			t.Errorf("callback %d: i = %d, want %d", k, trace[k].i, c.Trace[k].I)
		}
		compareOut(t, "trace x", model, c.Shape, trace[k].x, c.Trace[k].X, c.SuggestedAtol)
		compareOut(t, "trace denoised", model, c.Shape, trace[k].denoised, c.Trace[k].Denoised, c.SuggestedAtol)
	}
	return ratio
}

// compareOut compares two model-space tensors after process_out (the units
// of suggested_atol) and returns max |diff|/atol.
func compareOut(t *testing.T, what string, model *sampling.Model, shape []int, gotX, wantX []float32, atol float64) float64 {
	t.Helper()
	got, want := tensor.New(shape...), tensor.New(shape...)
	model.Format.ProcessOut(got, tensor.FromData(gotX, shape...))
	model.Format.ProcessOut(want, tensor.FromData(wantX, shape...))
	worst, at := maxAbsDiff(got.Data, want.Data)
	if worst > atol {
		t.Errorf("%s: max |diff| %.3g at %d (got %v, want %v) > atol %.3g", what, worst, at, got.Data[at], want.Data[at], atol)
	}
	return worst / atol
}
