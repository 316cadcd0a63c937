package sampling_test

import (
	"fmt"
	"testing"

	"comfyd/sampling"
)

type schedulesGolden struct {
	Cases []struct {
		Path         string  `json:"path"`
		Scheduler    string  `json:"scheduler"`
		Steps        int     `json:"steps"`
		Denoise      float64 `json:"denoise"`
		SamplerClass string  `json:"sampler_class"`
		TotalSteps   int     `json:"total_steps"`
		StartStep    int     `json:"start_step"`
		TotalSigmas  f32s    `json:"total_sigmas"`
		Sigmas       f32s    `json:"sigmas"`
		Skipped      bool    `json:"skipped"`
	} `json:"cases"`
}

// classSampler picks a sampler name of the golden sampler_class.
func classSampler(class string) string {
	if class == "discard_penultimate" {
		return "uni_pc"
	}
	return "euler"
}

// tableSchedulers are copied from tables and must match exactly.
func maxULPFor(scheduler string) int64 {
	switch scheduler {
	case "simple", "ddim_uniform", "beta", "AYS SD1", "AYS SDXL", "AYS SVD", "GITS[coeff=1.2]", "OSS FLUX", "OSS Wan", "OSS Chroma":
		return 0
	}
	return 1
}

func TestSchedulesGolden(t *testing.T) {
	var g schedulesGolden
	loadGolden(t, "schedules.json", &g)
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	ms := sampling.NewDiscrete(sampling.ScaledLinear, sampling.EPS)
	for _, c := range g.Cases {
		name := fmt.Sprintf("%s/%s/steps%d/denoise%v/%s", c.Path, c.Scheduler, c.Steps, c.Denoise, c.SamplerClass)
		t.Run(name, func(t *testing.T) {
			fn, err := sampling.LookupScheduler(c.Scheduler)
			if err != nil {
				t.Fatal(err)
			}
			sampler := classSampler(c.SamplerClass)
			ulp := maxULPFor(c.Scheduler)
			if c.Path == "comfy_ksampler" {
				got, err := sampling.ComfySetSteps(fn, ms, sampler, c.Steps, c.Denoise)
				if err != nil {
					t.Fatal(err)
				}
				checkULP(t, "sigmas", got, c.Sigmas, ulp)
				return
			}
			w, err := sampling.InspireWindow(ms, fn, sampler, c.Steps, c.Denoise, -1, true)
			if err != nil {
				t.Fatal(err)
			}
			if w.TotalSteps != c.TotalSteps || w.StartStep != c.StartStep || w.Skipped != c.Skipped {
				t.Fatalf("window total %d start %d skipped %v, want %d %d %v", w.TotalSteps, w.StartStep, w.Skipped, c.TotalSteps, c.StartStep, c.Skipped)
			}
			checkULP(t, "total_sigmas", w.Total, c.TotalSigmas, ulp)
			if !c.Skipped {
				checkULP(t, "sigmas", w.Sigmas, c.Sigmas, ulp)
			}
		})
	}
}
