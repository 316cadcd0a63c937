package sampling_test

import (
	"math"
	"testing"

	"comfyd/sampling"
	"comfyd/tensor"
)

// TestSamplers2Golden runs the samplers of spec 8.18-8.28 on every golden
// end-to-end case (samplers_e2e.json) from the case's initial noise and
// sigmas: noise scaling, sampler, inverse scaling with the sampler's (for
// UniPC, in-place edited) last sigma, process_out, compared at the case's
// suggested_atol; the denoiser call count must match exactly and, where
// the case records it, so must the per-step callback trace.
func TestSamplers2Golden(t *testing.T) {
	mine := map[string]bool{}
	for _, n := range sampling.Samplers2Names {
		mine[n] = true
	}
	var file struct {
		Cases []kSamplerCase `json:"cases"`
	}
	loadGolden(t, "samplers_e2e.json", &file)
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
	for _, n := range sampling.Samplers2Names {
		t.Logf("%-32s max |diff|/atol = %.3g", n, worst[n])
	}
}

// runSamplers2Case runs one case and returns max |diff|/atol of the output.
func runSamplers2Case(t *testing.T, c kSamplerCase) float64 {
	model, g, run, x := setUpCase(t, c)
	ms := model.Sampling
	type step struct{ x, den []float32 }
	var trace []step
	run.Callback = func(i int, x, den *tensor.Tensor) {
		if i != len(trace) {
			t.Errorf("callback step %d, want %d", i, len(trace))
		}
		trace = append(trace, step{append([]float32(nil), x.Data...), append([]float32(nil), den.Data...)})
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
