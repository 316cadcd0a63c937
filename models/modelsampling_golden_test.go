package models

import (
	"math"
	"testing"

	"comfyd/sampling"
)

// TestModelSamplingSD1Golden checks the model sampling an SD1 checkpoint
// loads with (sampling.NewDiscrete, scaled-linear betas, eps) against
// ComfyUI's ModelSamplingDiscrete in model_sampling_sd1.safetensors:
// tables bit for bit, sigma_min/max, and the timestep/sigma probes.
func TestModelSamplingSD1Golden(t *testing.T) {
	f := openGolden(t, "model_sampling_sd1.safetensors")
	ms := sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS)
	sigmas := goldenTensor(t, f, "sigmas").Data
	if got := ms.Sigmas(); len(got) != len(sigmas) {
		t.Fatalf("%d sigmas, want %d", len(got), len(sigmas))
	}
	for i, want := range sigmas {
		if got := ms.Sigmas()[i]; math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("sigmas[%d] = %v, want %v", i, got, want)
		}
	}
	// log_sigmas are what Sigma(t) interpolates: at integer t it must
	// return exp of the table value, i.e. the table's sigma.
	logs := goldenTensor(t, f, "log_sigmas").Data
	for _, i := range []int{0, 1, 500, 998, 999} {
		if got, want := ms.Sigma(float32(i)), float32(math.Exp(float64(logs[i]))); math.Abs(float64(got-want)) > 1e-6*float64(want) {
			t.Errorf("sigma(%d) = %v, want exp(log_sigmas[%d]) = %v", i, got, i, want)
		}
	}
	if got, want := ms.SigmaMin(), goldenTensor(t, f, "sigma_min").Data[0]; got != want {
		t.Errorf("sigma_min %v, want %v", got, want)
	}
	if got, want := ms.SigmaMax(), goldenTensor(t, f, "sigma_max").Data[0]; got != want {
		t.Errorf("sigma_max %v, want %v", got, want)
	}
	probeS, probeT := goldenTensor(t, f, "probe_sigma").Data, goldenTensor(t, f, "probe_timestep").Data
	for i, s := range probeS {
		if got := ms.Timestep(s); got != probeT[i] {
			t.Errorf("timestep(%v) = %v, want %v", s, got, probeT[i])
		}
	}
	ts, want := goldenTensor(t, f, "probe_t").Data, goldenTensor(t, f, "probe_sigma_of_t").Data
	for i, tt := range ts {
		got := ms.Sigma(tt)
		// spec 11: probes within 1 ulp (float32 exp is not correctly rounded in torch)
		if d := math.Abs(float64(got - want[i])); d > ulp32(want[i]) {
			t.Errorf("sigma(%v) = %v, want %v (%.3g apart)", tt, got, want[i], d)
		}
	}
}

func ulp32(v float32) float64 {
	return float64(math.Nextafter32(v, float32(math.Inf(1))) - v)
}
