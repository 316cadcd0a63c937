package sampling

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mathext"
)

// SchedulerFunc computes a schedule of steps+1 sigmas (usually ending in
// 0) for a model sampling; it is the SCHEDULER_FUNC value type.
type SchedulerFunc func(ms ModelSampling, steps int) ([]float32, error)

// schedulers maps ComfyUI's scheduler names to their functions (spec 4.2).
var schedulers = map[string]SchedulerFunc{
	"simple":           simpleSchedule,
	"sgm_uniform":      func(ms ModelSampling, n int) ([]float32, error) { return normalSchedule(ms, n, true) },
	"karras":           karrasSchedule,
	"exponential":      exponentialSchedule,
	"ddim_uniform":     ddimUniformSchedule,
	"beta":             betaSchedule,
	"normal":           func(ms ModelSampling, n int) ([]float32, error) { return normalSchedule(ms, n, false) },
	"linear_quadratic": linearQuadraticSchedule,
	"kl_optimal":       klOptimalSchedule,
}

// LookupScheduler returns a scheduler (ComfyUI's or an Inspire extra) by
// name.
func LookupScheduler(name string) (SchedulerFunc, error) {
	if fn, ok := schedulers[name]; ok {
		return fn, nil
	}
	if fn := inspireScheduler(name); fn != nil {
		return fn, nil
	}
	return nil, fmt.Errorf("unknown scheduler %q", name)
}

// CalculateSigmas is ComfyUI's calculate_sigmas extended with the Inspire
// extras (Impact's calculate_sigmas without the sampler rule).
func CalculateSigmas(ms ModelSampling, scheduler string, steps int) ([]float32, error) {
	if steps < 1 || steps > MaxScheduleSteps {
		return nil, fmt.Errorf("schedule of %d steps is outside 1..%d", steps, MaxScheduleSteps)
	}
	fn, err := LookupScheduler(scheduler)
	if err != nil {
		return nil, err
	}
	return fn(ms, steps)
}

// SigmasForSampler applies the sampler rule of spec 4.4: the
// discard-penultimate samplers get steps+1 sigmas minus the second-to-last.
func SigmasForSampler(ms ModelSampling, scheduler string, steps int, sampler string) ([]float32, error) {
	return SigmasForSamplerFunc(func(ms ModelSampling, n int) ([]float32, error) {
		return CalculateSigmas(ms, scheduler, n)
	}, ms, steps, sampler)
}

// MaxScheduleSteps bounds a schedule's length: a tiny denoise multiplies
// the steps (steps/denoise) and must fail cleanly rather than exhaust
// memory.
const MaxScheduleSteps = 1 << 20

// SigmasForSamplerFunc is SigmasForSampler with a scheduler function.
func SigmasForSamplerFunc(fn SchedulerFunc, ms ModelSampling, steps int, sampler string) ([]float32, error) {
	if steps < 1 || steps > MaxScheduleSteps {
		return nil, fmt.Errorf("schedule of %d steps is outside 1..%d", steps, MaxScheduleSteps)
	}
	discard := DiscardsPenultimate(sampler)
	if discard {
		steps++
	}
	s, err := fn(ms, steps)
	if err != nil || !discard {
		return s, err
	}
	return dropPenultimate(s), nil
}

// dropPenultimate is torch.cat([s[:-2], s[-1:]]).
func dropPenultimate(s []float32) []float32 {
	if len(s) == 0 {
		return s
	}
	head := s[:max(0, len(s)-2)]
	return append(append([]float32(nil), head...), s[len(s)-1])
}

func simpleSchedule(ms ModelSampling, steps int) ([]float32, error) {
	table := ms.Sigmas()
	ss := float64(len(table)) / float64(steps)
	out := make([]float32, 0, steps+1)
	for x := range steps {
		out = append(out, table[len(table)-1-int(float64(x)*ss)])
	}
	return append(out, 0), nil
}

// normalSchedule spaces timesteps linearly (float32 torch linspace) between
// those of sigma_max and sigma_min; sgm drops the last of steps+1 points.
func normalSchedule(ms ModelSampling, steps int, sgm bool) ([]float32, error) {
	start, end := ms.Timestep(ms.SigmaMax()), ms.Timestep(ms.SigmaMin())
	appendZero := true
	var ts []float32
	if sgm {
		ts = LinspaceF32(start, end, steps+1)[:steps]
	} else {
		if isCloseAbs(float64(ms.Sigma(end)), 0, 1e-5) {
			steps++
			appendZero = false
		}
		ts = LinspaceF32(start, end, steps)
	}
	out := make([]float32, 0, len(ts)+1)
	for _, t := range ts {
		out = append(out, ms.Sigma(t))
	}
	if appendZero {
		out = append(out, 0)
	}
	return out, nil
}

func isCloseAbs(a, b, abs float64) bool { return math.Abs(a-b) <= abs }

// karrasSchedule is k-diffusion's get_sigmas_karras (rho 7): float64
// extremes, float32 ramp arithmetic and power.
func karrasSchedule(ms ModelSampling, steps int) ([]float32, error) {
	const rho = 7.0
	lo := math.Pow(float64(ms.SigmaMin()), 1/rho)
	hi := math.Pow(float64(ms.SigmaMax()), 1/rho)
	ramp := LinspaceF32(0, 1, steps)
	span, hi32 := float32(lo-hi), float32(hi)
	out := make([]float32, 0, steps+1)
	for _, r := range ramp {
		base := hi32 + float32(r*span)
		out = append(out, float32(math.Pow(float64(base), rho)))
	}
	return append(out, 0), nil
}

func exponentialSchedule(ms ModelSampling, steps int) ([]float32, error) {
	a := float32(math.Log(float64(ms.SigmaMax())))
	b := float32(math.Log(float64(ms.SigmaMin())))
	out := LinspaceF32(a, b, steps)
	for i, v := range out {
		out[i] = expf(v)
	}
	return append(out, 0), nil
}

// ddimUniformSchedule takes every (1000/steps)-th table entry from index 1
// upwards; its length is not always steps+1 (spec 4.2).
func ddimUniformSchedule(ms ModelSampling, steps int) ([]float32, error) {
	table := ms.Sigmas()
	var sigs []float32
	if isCloseAbs(float64(table[1]), 0, 1e-5) {
		steps++
	} else {
		sigs = []float32{0}
	}
	ss := max(len(table)/steps, 1)
	for x := 1; x < len(table); x += ss {
		sigs = append(sigs, table[x])
	}
	for i, j := 0, len(sigs)-1; i < j; i, j = i+1, j-1 {
		sigs[i], sigs[j] = sigs[j], sigs[i]
	}
	return sigs, nil
}

// betaSchedule places timesteps at quantiles of Beta(0.6, 0.6), dropping
// consecutive duplicates.
func betaSchedule(ms ModelSampling, steps int) ([]float32, error) {
	const alpha, beta = 0.6, 0.6
	table := ms.Sigmas()
	total := float64(len(table) - 1)
	out := make([]float32, 0, steps+1)
	last := -1.0
	for _, p := range numpyLinspace(0, 1, steps, false) {
		t := math.RoundToEven(betaPPF(1-p, alpha, beta) * total)
		if t != last {
			out = append(out, table[int(t)])
		}
		last = t
	}
	return append(out, 0), nil
}

// betaPPF is scipy.stats.beta.ppf: the inverse regularized incomplete beta.
// The median of a symmetric Beta is exactly 1/2 (as scipy returns); gonum
// lands an ulp below, which rint(0.5*999) would round the wrong way.
func betaPPF(p, a, b float64) float64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	case p == 0.5 && a == b:
		return 0.5
	}
	return mathext.InvRegIncBeta(a, b, p)
}

func linearQuadraticSchedule(ms ModelSampling, steps int) ([]float32, error) {
	const threshold = 0.025
	var sched []float64
	if steps == 1 {
		sched = []float64{1, 0}
	} else {
		L := steps / 2
		for i := range L {
			sched = append(sched, float64(i)*threshold/float64(L))
		}
		diff := float64(L) - threshold*float64(steps)
		Q := steps - L
		q2 := float64(Q * Q)
		qc := diff / float64(L*Q*Q)
		lc := threshold/float64(L) - 2*diff/q2
		c := qc * float64(L*L)
		for i := L; i < steps; i++ {
			fi := float64(i)
			// Explicit conversions keep each product rounded, as in Python.
			sched = append(sched, float64(float64(qc*float64(i*i))+float64(lc*fi))+c)
		}
		sched = append(sched, 1)
		for i, v := range sched {
			sched[i] = 1 - v
		}
	}
	smax := ms.SigmaMax()
	out := make([]float32, len(sched))
	for i, v := range sched {
		out[i] = float32(v) * smax
	}
	return out, nil
}

// klOptimalSchedule interpolates in atan(sigma) space (float32); one step
// divides 0 by 0 and yields NaN like the reference.
func klOptimalSchedule(ms ModelSampling, steps int) ([]float32, error) {
	amin := float32(math.Atan(float64(ms.SigmaMin())))
	amax := float32(math.Atan(float64(ms.SigmaMax())))
	div := float32(steps - 1)
	out := make([]float32, steps+1)
	for k := range steps {
		a := float32(k) / div
		v := float32(a*amin) + float32((1-a)*amax)
		out[k] = float32(math.Tan(float64(v)))
	}
	return out, nil
}

// inspireScheduler returns the table-driven Inspire scheduler for a name,
// or nil (spec 4.3).
func inspireScheduler(name string) SchedulerFunc {
	switch {
	case strings.HasPrefix(name, "AYS "):
		if t, ok := aysTables[name[4:]]; ok {
			return tableSchedule(t)
		}
	case strings.HasPrefix(name, "OSS "):
		if t, ok := ossTables[name[4:]]; ok {
			return tableSchedule(t)
		}
	case name == "GITS[coeff=1.2]":
		return gitsSchedule
	}
	return nil
}

// tableSchedule is AlignYourStepsScheduler/OptimalStepsScheduler with
// denoise 1: the table, log-linearly resampled unless it has steps+1
// entries, with its last value set to 0.
func tableSchedule(table []float64) SchedulerFunc {
	return func(_ ModelSampling, steps int) ([]float32, error) {
		s := table
		if steps+1 != len(s) {
			s = loglinearInterp(s, steps+1)
		}
		return lastWithZero(s, steps+1), nil
	}
}

// gitsSchedule is GITSScheduler with coeff 1.20 and denoise 1. steps == 1
// indexes row -1 in the reference (Python's negative index).
func gitsSchedule(_ ModelSampling, steps int) ([]float32, error) {
	var s []float64
	switch {
	case steps == 1:
		s = gitsTable120[len(gitsTable120)-1]
	case steps <= 20:
		s = gitsTable120[steps-2]
	default:
		s = loglinearInterp(gitsTable120[len(gitsTable120)-1], steps+1)
	}
	return lastWithZero(s, steps+1), nil
}

// lastWithZero keeps the last n values as float32 and zeroes the final one.
func lastWithZero(s []float64, n int) []float32 {
	s = s[max(0, len(s)-n):]
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	out[len(out)-1] = 0
	return out
}

// loglinearInterp resamples a decreasing table to n points, linearly in
// log(sigma) (numpy.interp on reversed logs).
func loglinearInterp(table []float64, n int) []float64 {
	xs := numpyLinspace(0, 1, len(table), true)
	ys := make([]float64, len(table))
	for i, v := range table {
		ys[len(table)-1-i] = math.Log(v)
	}
	newXs := numpyLinspace(0, 1, n, true)
	out := make([]float64, n)
	for i, x := range newXs {
		out[n-1-i] = math.Exp(numpyInterp(x, xs, ys))
	}
	return out
}

// numpyInterp is numpy.interp for one point inside [xs[0], xs[-1]].
func numpyInterp(x float64, xs, ys []float64) float64 {
	last := len(xs) - 1
	if x <= xs[0] {
		return ys[0]
	}
	if x >= xs[last] {
		return ys[last]
	}
	j := 0
	for j+1 <= last && xs[j+1] <= x {
		j++
	}
	if xs[j] == x {
		return ys[j]
	}
	slope := (ys[j+1] - ys[j]) / (xs[j+1] - xs[j])
	return float64(slope*(x-xs[j])) + ys[j]
}
