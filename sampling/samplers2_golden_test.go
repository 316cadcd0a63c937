package sampling_test

import (
	"math"
	"strconv"
	"testing"

	"comfyd/sampling"
	"comfyd/sampling/analytic"
	"comfyd/sampling/noise"
	"comfyd/tensor"
)

// samplers2 are the samplers of spec 8.18-8.28.
var samplers2 = []string{"ddpm", "lcm", "ipndm", "ipndm_v", "deis",
	"uni_pc", "uni_pc_bh2", "res_multistep", "res_multistep_cfg_pp",
	"res_multistep_ancestral", "res_multistep_ancestral_cfg_pp",
	"gradient_estimation", "gradient_estimation_cfg_pp", "er_sde",
	"seeds_2", "seeds_3", "exp_heun_2_x0", "exp_heun_2_x0_sde",
	"sa_solver", "sa_solver_pece"}

// TestSamplers2Golden runs the samplers of spec 8.18-8.28 on every golden
// end-to-end case (samplers_e2e.json) from the case's initial noise and
// sigmas: noise scaling, sampler, inverse scaling with the sampler's (for
// UniPC, in-place edited) last sigma, process_out, compared at the case's
// suggested_atol; the denoiser call count must match exactly and, where
// the case records it, so must the per-step callback trace.
func TestSamplers2Golden(t *testing.T) {
	mine := map[string]bool{}
	for _, n := range samplers2 {
		mine[n] = true
	}
	var file struct {
		Cases []samplers2Case `json:"cases"`
	}
	loadKSamplerCases(t, &file)
	worst := map[string]float64{}
	seen := 0
	for _, c := range file.Cases {
		if !mine[c.Sampler] || c.Skipped {
			continue
		}
		seen++
		t.Run(c.ID, func(t *testing.T) {
			worst[c.Sampler] = max(worst[c.Sampler], runSamplers2Case(t, c))
		})
	}
	if seen == 0 {
		t.Fatal("no golden cases for these samplers")
	}
	for _, n := range samplers2 {
		t.Logf("%-32s max |diff|/atol = %.3g", n, worst[n])
	}
}

type samplers2Case struct {
	kSamplerCase
	Trace []struct {
		I        int       `json:"i"`
		X        []float32 `json:"x"`
		Denoised []float32 `json:"denoised"`
	} `json:"trace"`
}

// runSamplers2Case runs one case and returns max |diff|/atol of the output.
func runSamplers2Case(t *testing.T, c samplers2Case) float64 {
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
	type step struct{ x, den []float32 }
	var trace []step
	run.Callback = func(i int, x, den *tensor.Tensor) {
		if i != len(trace) {
			t.Errorf("callback step %d, want %d", i, len(trace))
		}
		trace = append(trace, step{append([]float32(nil), x.Data...), append([]float32(nil), den.Data...)})
	}
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
	fn, err := sampling.LookupSampler(c.Sampler)
	if err != nil {
		t.Fatal(err)
	}
	sigmas := append([]float32(nil), c.Sigmas...)
	out, err := fn(run, x, sigmas)
	if err != nil {
		t.Fatal(err)
	}
	sampling.InverseNoiseScaling(out, out, sigmas[len(sigmas)-1], ms.Kind())
	if g.Evals != c.DenoiserEvals {
		t.Errorf("denoiser evals %d, want %d", g.Evals, c.DenoiserEvals)
	}
	if c.Trace != nil {
		if len(trace) != len(c.Trace) {
			t.Errorf("%d callbacks, want %d", len(trace), len(c.Trace))
		}
		// The trace is in model space, the output atol in VAE units:
		// scale it by the latent format's factor (d process_out / dx)^-1.
		probe := tensor.FromData([]float32{0, 1}, 2)
		model.Format.ProcessOut(probe, probe)
		atol := c.SuggestedAtol / float64(probe.Data[1]-probe.Data[0])
		for k := range min(len(trace), len(c.Trace)) {
			if d, at := maxAbsDiff(trace[k].x, c.Trace[k].X); d > atol {
				t.Errorf("step %d x: |diff| %.3g at %d > %.3g", k, d, at, atol)
			}
			if d, at := maxAbsDiff(trace[k].den, c.Trace[k].Denoised); d > atol {
				t.Errorf("step %d denoised: |diff| %.3g at %d > %.3g", k, d, at, atol)
			}
		}
	}
	got, want := tensor.New(c.Shape...), tensor.New(c.Shape...)
	model.Format.ProcessOut(got, out)
	model.Format.ProcessOut(want, tensor.FromData(c.XFinal, c.Shape...))
	worst, at := maxAbsDiff(got.Data, want.Data)
	ratio := worst / c.SuggestedAtol
	if ratio > 1 {
		t.Errorf("max |diff| %.3g at %d (got %v, want %v) > atol %.3g", worst, at, got.Data[at], want.Data[at], c.SuggestedAtol)
	}
	return ratio
}

// maxAbsDiff is max |a - b| (NaN counts as infinite) and where it is.
func maxAbsDiff(a, b []float32) (worst float64, at int) {
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}
