package sampling_test

import (
	"encoding/json"
	"math"
	"testing"

	"comfyd/sampling"
)

type modelSamplingGolden struct {
	Cases []struct {
		Model         string  `json:"model"`
		BetaSchedule  *string `json:"beta_schedule"`
		Sigmas        f32s    `json:"sigmas"`
		LogSigmas     f32s    `json:"log_sigmas"`
		SigmaMin      float32 `json:"sigma_min"`
		SigmaMax      float32 `json:"sigma_max"`
		TimestepProbe struct {
			Sigma    f32s `json:"sigma"`
			Timestep f32s `json:"timestep"`
		} `json:"timestep_probe"`
		SigmaProbe struct {
			Timestep f32s `json:"timestep"`
			Sigma    f32s `json:"sigma"`
		} `json:"sigma_probe"`
		PercentToSigma struct {
			Percent []json.Number `json:"percent"`
			Sigma   []json.Number `json:"sigma"`
		} `json:"percent_to_sigma"`
	} `json:"cases"`
}

// goldenModelSampling builds the model sampling a golden case names.
func goldenModelSampling(t testing.TB, model string, beta *string) sampling.ModelSampling {
	t.Helper()
	switch {
	case model == "sd3_flow":
		return sampling.NewFlow(3.0, 1000)
	case beta != nil && *beta == "sqrt_linear":
		return sampling.NewDiscrete(sampling.Linear, sampling.EPS)
	case model == "sd1_v":
		return sampling.NewDiscrete(sampling.ScaledLinear, sampling.VPrediction)
	default:
		return sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS)
	}
}

func TestModelSamplingGolden(t *testing.T) {
	var g modelSamplingGolden
	loadGolden(t, "model_sampling.json", &g)
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.Cases {
		name := c.Model
		if c.BetaSchedule != nil {
			name += "_" + *c.BetaSchedule
		}
		t.Run(name, func(t *testing.T) {
			ms := goldenModelSampling(t, c.Model, c.BetaSchedule)
			checkULP(t, "sigmas", ms.Sigmas(), c.Sigmas, 0)
			if d, ok := ms.(*sampling.Discrete); ok {
				checkULP(t, "log_sigmas", d.LogSigmas(), c.LogSigmas, 0)
			}
			checkULP(t, "sigma_min/max", []float32{ms.SigmaMin(), ms.SigmaMax()}, []float32{c.SigmaMin, c.SigmaMax}, 0)
			var ts []float32
			for _, s := range c.TimestepProbe.Sigma {
				ts = append(ts, ms.Timestep(s))
			}
			checkULP(t, "timestep", ts, c.TimestepProbe.Timestep, 1)
			var ss []float32
			for _, tt := range c.SigmaProbe.Timestep {
				ss = append(ss, ms.Sigma(tt))
			}
			checkULP(t, "sigma", ss, c.SigmaProbe.Sigma, 1)
			for i, p := range c.PercentToSigma.Percent {
				pf, _ := p.Float64()
				want, _ := c.PercentToSigma.Sigma[i].Float64()
				got := ms.PercentToSigma(pf)
				if ulpDiff(float32(got), float32(want)) > 1 {
					t.Errorf("percent_to_sigma(%v) = %v, want %v", pf, got, want)
				}
			}
		})
	}
}

// Timestep's binary search must agree with argmin over the whole table.
func TestTimestepMatchesArgmin(t *testing.T) {
	for _, ms := range []*sampling.Discrete{sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS), sampling.NewDiscrete(sampling.Linear, sampling.EPS)} {
		ls := ms.LogSigmas()
		probe := func(sigma float32) {
			l := float32(math.Log(float64(sigma)))
			best, bestD := 0, float32(math.Inf(1))
			for k, v := range ls {
				if d := float32(math.Abs(float64(l - v))); d < bestD {
					best, bestD = k, d
				}
			}
			if got := ms.Timestep(sigma); got != float32(best) {
				t.Fatalf("Timestep(%v) = %v, argmin %d", sigma, got, best)
			}
		}
		for _, s := range ms.Sigmas() {
			probe(s)
			probe(math.Nextafter32(s, 0))
			probe(math.Nextafter32(s, 100))
		}
		for i := 0; i < 20000; i++ {
			probe(float32(math.Exp(float64(i)/20000*8 - 5)))
		}
	}
}
