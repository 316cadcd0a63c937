package sampling

import (
	"fmt"
	"math"
)

// ComfySetSteps is ComfyUI's KSampler.set_steps (spec 4.5): the full
// schedule for denoise > 0.9999, nothing for denoise <= 0, otherwise the
// last steps+1 sigmas of the schedule for int(steps/denoise) steps.
func ComfySetSteps(fn SchedulerFunc, ms ModelSampling, sampler string, steps int, denoise float64) ([]float32, error) {
	if denoise > 0.9999 {
		return SigmasForSamplerFunc(fn, ms, steps, sampler)
	}
	if denoise <= 0 {
		return []float32{}, nil
	}
	s, err := SigmasForSamplerFunc(fn, ms, int(float64(steps)/denoise), sampler)
	if err != nil {
		return nil, err
	}
	return s[max(0, len(s)-(steps+1)):], nil
}

// ComfyStartEnd applies KSampler.sample's start_step, last_step and
// force_full_denoise to set_steps' sigmas; a negative step means None (the
// plain KSampler passes none). skip reports that nothing is sampled (the
// input latent is returned). sigmas is not modified.
func ComfyStartEnd(sigmas []float32, startStep, lastStep int, forceFullDenoise bool) (s []float32, skip bool) {
	s = append([]float32(nil), sigmas...)
	if lastStep >= 0 && lastStep < len(s)-1 {
		s = s[:lastStep+1]
		if forceFullDenoise {
			s[len(s)-1] = 0
		}
	}
	if startStep >= 0 {
		if startStep >= len(s)-1 {
			return nil, true
		}
		s = s[startStep:]
	}
	return s, len(s) == 0
}

// InspireSteps is KSampler (inspire)'s denoise rule: exactly 1 keeps the
// steps, otherwise floor(steps/denoise) total steps starting at
// total-steps. Denoise 0 is a division error in the reference.
func InspireSteps(steps int, denoise float64) (total, start int, err error) {
	if denoise == 1 {
		return steps, 0, nil
	}
	if denoise == 0 {
		return 0, 0, fmt.Errorf("denoise 0: division by zero in KSampler (inspire)")
	}
	total = int(math.Floor(float64(steps) / denoise))
	return total, total - steps, nil
}

// SeparatedWindow is the window of Impact's separated_sample (spec 4.5):
// total is the whole schedule; endAtStep < 0 means none. It returns the
// sigmas given to the sampler, or skip when the input latent is returned.
// total is not modified. (The reference zeroes the last kept sigma in
// total too when there is no leftover noise; that only moves its
// BrownianTree range, which comfyd does not model.)
func SeparatedWindow(total []float32, startAtStep, endAtStep int, leftoverNoise bool) (sigmas []float32, skip bool) {
	s := total
	if endAtStep >= 0 && endAtStep < len(total)-1 {
		s = append([]float32(nil), total[:endAtStep+1]...)
		if !leftoverNoise {
			s[len(s)-1] = 0
		}
	}
	if startAtStep >= len(s)-1 {
		return nil, true
	}
	s = s[startAtStep:]
	if len(s) == 0 || (len(s) == 1 && s[0] == 0) {
		return nil, true
	}
	return append([]float32(nil), s...), false
}

// Window is a resolved KSampler (inspire) schedule.
type Window struct {
	TotalSteps, StartStep int
	Total                 []float32 // schedule before the window (BrownianTree range)
	Sigmas                []float32 // what the sampler gets; nil when Skipped
	Skipped               bool
}

// InspireWindow resolves KSampler (inspire)'s schedule: InspireSteps, the
// scheduler with the sampler rule (Impact's calculate_sigmas), then
// SeparatedWindow from the start step. endAtStep < 0 means none.
func InspireWindow(ms ModelSampling, fn SchedulerFunc, sampler string, steps int, denoise float64, endAtStep int, leftoverNoise bool) (Window, error) {
	total, start, err := InspireSteps(steps, denoise)
	if err != nil {
		return Window{}, err
	}
	return AdvancedWindow(ms, fn, sampler, total, start, endAtStep, leftoverNoise)
}

// AdvancedWindow is KSamplerAdvanced (inspire)'s schedule: steps total,
// window [startAtStep, endAtStep] (endAtStep < 0: none).
func AdvancedWindow(ms ModelSampling, fn SchedulerFunc, sampler string, steps, startAtStep, endAtStep int, leftoverNoise bool) (Window, error) {
	if steps < 1 {
		return Window{}, fmt.Errorf("steps must be at least 1, got %d", steps)
	}
	if startAtStep < 0 {
		// Python would slice from the end; the widgets never allow it.
		return Window{}, fmt.Errorf("start step %d is negative (denoise above 1?)", startAtStep)
	}
	totalSigmas, err := SigmasForSamplerFunc(fn, ms, steps, sampler)
	if err != nil {
		return Window{}, err
	}
	w := Window{TotalSteps: steps, StartStep: startAtStep, Total: totalSigmas}
	w.Sigmas, w.Skipped = SeparatedWindow(totalSigmas, startAtStep, endAtStep, leftoverNoise)
	return w, nil
}
