package sampling

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"comfyd/tensor"
)

// Behavioural tests of the k-diffusion samplers (spec 8.1-8.17). The
// golden comparison is ksamplers_golden_test.go.

// ksamplers are the names registered by samplers_{euler,heun,dpm,lms,dpmpp}.go.
var ksamplers = []string{"euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp",
	"heun", "heunpp2", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive",
	"dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu",
	"dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun",
	"dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddim"}

// odeSamplers solve the probability-flow ODE without noise.
var odeSamplers = []string{"euler", "ddim", "euler_cfg_pp", "heun", "heunpp2", "dpm_2", "lms",
	"dpm_fast", "dpm_adaptive", "dpmpp_2m", "dpmpp_2m_cfg_pp"}

// constDenoiser predicts the constant c (and c as the uncond prediction).
func constDenoiser(c float32, calls *int) DenoiseFunc {
	return func(dst, unc, x *tensor.Tensor, sigma float32) error {
		*calls++
		for i := range dst.Data {
			dst.Data[i] = c
		}
		if unc != nil {
			copy(unc.Data, dst.Data)
		}
		return nil
	}
}

func lookup(t *testing.T, name string) SamplerFunc {
	t.Helper()
	fn, err := LookupSampler(name)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func TestKSamplersRegistered(t *testing.T) {
	for _, n := range ksamplers {
		lookup(t, n)
	}
}

// With D(x, s) = c the ODE dx/ds = (x - c)/s has the straight-line solution
// x(s) = c + (x0 - c)*s/s0, which every ODE sampler integrates exactly (up
// to float32 rounding). dpm_fast and dpm_adaptive stop at the smallest
// non-zero sigma, the others reach sigma 0 and land on c.
func TestODESamplersExactOnLinearODE(t *testing.T) {
	const c = 0.75
	sigmas := []float32{10, 6, 3, 1.5, 0.7, 0.3, 0}
	for _, name := range odeSamplers {
		t.Run(name, func(t *testing.T) {
			x0 := []float32{-3, 0, 2.5, 12}
			x := tensor.FromData(append([]float32(nil), x0...), 1, 1, 2, 2)
			calls := 0
			r := &Run{Denoise: constDenoiser(c, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
			out, err := lookup(t, name)(r, x, sigmas)
			if err != nil {
				t.Fatal(err)
			}
			end := float32(0)
			if name == "dpm_fast" || name == "dpm_adaptive" {
				end = 0.3
			}
			for i, v := range out.Data {
				want := c + (x0[i]-c)*end/sigmas[0]
				if !near32(v, want, 2e-5) {
					t.Errorf("x[%d] = %v, want %v", i, v, want)
				}
			}
			if calls == 0 {
				t.Error("denoiser never called")
			}
		})
	}
}

// Euler by hand with D(x, s) = x/2 on sigmas (2, 1, 0):
// d = (x - x/2)/2 = x/4, x1 = x - x/4 = 0.75x; d = 0.375x, x2 = 0.375x.
func TestEulerTwoStepsByHand(t *testing.T) {
	half := func(dst, _, x *tensor.Tensor, _ float32) error {
		for i, v := range x.Data {
			dst.Data[i] = v / 2
		}
		return nil
	}
	var states [][]float32
	r := &Run{Denoise: half, Callback: func(i int, x, den *tensor.Tensor) {
		states = append(states, append([]float32(nil), x.Data...))
	}}
	x := tensor.FromData([]float32{8, -4}, 1, 1, 1, 2)
	out, err := sampleEuler(r, x, []float32{2, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if out.Data[0] != 3 || out.Data[1] != -1.5 {
		t.Errorf("euler = %v, want [3 -1.5]", out.Data)
	}
	if len(states) != 2 || states[0][0] != 8 || states[1][0] != 6 {
		t.Errorf("callback states %v, want x before each update: [8 -4], [6 -3]", states)
	}
}

// noisyCounts is how many noise draws each sampler makes on a 4-step
// schedule ending at 0 (spec 8): ancestral samplers skip the last step,
// dpmpp_sde draws twice per step, dpm_fast once per solver step.
func TestNoiseDraws(t *testing.T) {
	sigmas := []float32{8, 4, 2, 1, 0}
	want := map[string]int{
		"euler_ancestral": 3, "euler_ancestral_cfg_pp": 3, "dpm_2_ancestral": 3,
		"dpmpp_2s_ancestral": 3, "dpmpp_2s_ancestral_cfg_pp": 3,
		"dpmpp_sde": 6, "dpmpp_2m_sde": 3, "dpmpp_2m_sde_heun": 3, "dpmpp_3m_sde": 3,
		"dpm_fast": 2, // 4 evaluations at sigma > 0: orders [3, 1]
		"euler":    0, "euler_cfg_pp": 0, "heun": 0, "lms": 0, "dpmpp_2m": 0,
	}
	for name, n := range want {
		draws := 0
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) {
			draws++
			clear(dst.Data)
		}}
		x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		if _, err := lookup(t, name)(r, x, sigmas); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if draws != n {
			t.Errorf("%s: %d noise draws, want %d", name, draws, n)
		}
	}
}

// The number of model calls per sampler on the same schedule, as ComfyUI
// counts them (the golden files' denoiser_evals cover more cases).
func TestDenoiserCalls(t *testing.T) {
	sigmas := []float32{8, 4, 2, 1, 0}
	want := map[string]int{
		"euler": 4, "heun": 7, "heunpp2": 3 + 3 + 2 + 1, "dpm_2": 7, "lms": 4,
		"dpmpp_2m": 4, "dpmpp_sde": 7, "dpmpp_2s_ancestral": 7, "dpm_fast": 4,
	}
	for name, n := range want {
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
		x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		if _, err := lookup(t, name)(r, x, sigmas); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if calls != n {
			t.Errorf("%s: %d denoiser calls, want %d", name, calls, n)
		}
	}
}

// CFG++ samplers must ask for the uncond prediction, the others must not
// (it would defeat the cfg == 1 shortcut).
func TestUncondRequested(t *testing.T) {
	cfgPP := map[string]bool{"euler_cfg_pp": true, "euler_ancestral_cfg_pp": true,
		"dpmpp_2s_ancestral_cfg_pp": true, "dpmpp_2m_cfg_pp": true}
	for _, name := range ksamplers {
		asked, plain := 0, 0
		den := func(dst, unc, x *tensor.Tensor, _ float32) error {
			if unc != nil {
				asked++
				clear(unc.Data)
			} else {
				plain++
			}
			clear(dst.Data)
			return nil
		}
		r := &Run{Denoise: den, Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
		x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		if _, err := lookup(t, name)(r, x, []float32{8, 4, 2, 0}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfgPP[name] && plain > 0 || !cfgPP[name] && asked > 0 {
			t.Errorf("%s: %d calls with uncond, %d without", name, asked, plain)
		}
	}
}

func TestSamplersStopOnCancel(t *testing.T) {
	for _, name := range ksamplers {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		r := &Run{Ctx: ctx, Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) },
			Callback: func(int, *tensor.Tensor, *tensor.Tensor) { cancel() }}
		x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		_, err := lookup(t, name)(r, x, []float32{8, 4, 2, 1, 0.5, 0})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
		if calls > 3 {
			t.Errorf("%s: %d denoiser calls after cancelling in the first step", name, calls)
		}
	}
}

func TestDenoiserErrorReturned(t *testing.T) {
	boom := errors.New("boom")
	for _, name := range ksamplers {
		r := &Run{Denoise: func(_, _, _ *tensor.Tensor, _ float32) error { return boom },
			Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
		x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		if _, err := lookup(t, name)(r, x, []float32{8, 4, 0}); !errors.Is(err, boom) {
			t.Errorf("%s: err = %v, want the denoiser's error", name, err)
		}
	}
}

func TestNoisySamplersNeedNoiseSource(t *testing.T) {
	for _, name := range ksamplers {
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls)}
		x := tensor.FromData([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		_, err := lookup(t, name)(r, x, []float32{8, 4, 0})
		noisy := !contains(odeSamplers, name) || name == "dpm_fast" || name == "dpm_adaptive"
		if noisy && !errors.Is(err, errNoNoise) || !noisy && err != nil {
			t.Errorf("%s without a noise source: err = %v", name, err)
		}
	}
}

// Short schedules: one sigma returns the input; dpm_fast/dpm_adaptive
// refuse a zero sigma_min (ComfyUI raises ValueError).
func TestShortSchedules(t *testing.T) {
	for _, name := range ksamplers {
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
		x := tensor.FromData([]float32{1, 2}, 1, 1, 1, 2)
		out, err := lookup(t, name)(r, x, []float32{3})
		if err != nil || out.Data[0] != 1 || calls != 0 {
			t.Errorf("%s with one sigma: %v, %v, %d calls", name, out, err, calls)
		}
	}
	for _, name := range []string{"dpm_fast", "dpm_adaptive"} {
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
		x := tensor.FromData([]float32{1, 2}, 1, 1, 1, 2)
		if _, err := lookup(t, name)(r, x, []float32{0, 0}); err == nil {
			t.Errorf("%s with sigma_min 0: no error", name)
		}
	}
}

// Nothing is allocated per step: a 40-step run allocates what a 20-step run
// does (the per-run setup), once the Run's scratch buffers exist. (Below
// ~5 steps Go may place dpm_fast's small per-run slices on the stack.)
func TestNoAllocationsPerStep(t *testing.T) {
	allocs := func(name string, steps int) float64 {
		sig := make([]float32, steps+1)
		for i := range steps {
			sig[i] = float32(10 * math.Pow(0.8, float64(i)))
		}
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
		x := tensor.New(1, 4, 8, 8)
		fn := lookup(t, name)
		return testing.AllocsPerRun(5, func() {
			for i := range x.Data {
				x.Data[i] = 1
			}
			if _, err := fn(r, x, sig); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, name := range ksamplers {
		if few, many := allocs(name, 20), allocs(name, 40); many > few {
			t.Errorf("%s: %v allocations for 40 steps, %v for 20", name, many, few)
		}
	}
}

// Flow models switch euler_ancestral, dpm_2_ancestral and
// dpmpp_2s_ancestral to their RF variants, whose deterministic part (zero
// noise, eta 1) interpolates towards the prediction: with D = c and s = 1
// the first step jumps to c + (x - c)*down/1 with down = s1^2/s0.
func TestRFVariantsInterpolate(t *testing.T) {
	flow := NewFlow(3, 1000)
	for _, name := range []string{"euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral"} {
		calls := 0
		r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }, Sampling: flow}
		x := tensor.FromData([]float32{2}, 1, 1, 1, 1)
		out, err := lookup(t, name)(r, x, []float32{0.8, 0.4})
		if err != nil {
			t.Fatal(err)
		}
		down := float32(0.4 * 0.4 / 0.8)
		aRatio := (1 - float32(0.4)) / (1 - down)
		want := aRatio * (0.5 + (2-0.5)*down/0.8)
		if !near32(out.Data[0], want, 1e-6) {
			t.Errorf("%s on flow: %v, want %v", name, out.Data[0], want)
		}
	}
}

func TestLMSCoefficients(t *testing.T) {
	s := []float32{14.6, 9.1, 5.5, 3.2, 1.7, 0.9}
	for i := 0; i < len(s)-1; i++ {
		order := min(i+1, lmsOrder)
		// The basis reproduces polynomials of degree < order exactly:
		// sum_j c_j * s[i-j]^k = integral of tau^k over [s[i], s[i+1]].
		for k := 0; k < order; k++ {
			var sum float64
			for j := 0; j < order; j++ {
				sum += lmsCoeff(order, s, i, j) * math.Pow(float64(s[i-j]), float64(k))
			}
			a, b := float64(s[i]), float64(s[i+1])
			want := (math.Pow(b, float64(k+1)) - math.Pow(a, float64(k+1))) / float64(k+1)
			if math.Abs(sum-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("step %d order %d: sum c_j s^%d = %v, want %v", i, order, k, sum, want)
			}
		}
	}
}

func ExampleLookupSampler() {
	fn, _ := LookupSampler("euler")
	calls := 0
	r := &Run{Denoise: constDenoiser(1, &calls)}
	x := tensor.FromData([]float32{5}, 1, 1, 1, 1)
	out, _ := fn(r, x, []float32{4, 2, 0})
	fmt.Println(out.Data[0], calls)
	// Output: 1 2
}

// BenchmarkKSamplers measures the samplers' own arithmetic per model call on
// an SDXL-sized latent [1,4,128,128] with a constant denoiser (which costs
// one pass). The baseline is a single addScaled pass over the latent, so
// ns/op ratios read as "elementwise passes per model call".
func BenchmarkKSamplers(b *testing.B) {
	x := tensor.New(1, 4, 128, 128)
	b.Run("baseline_addScaled", func(b *testing.B) {
		y := tensor.New(1, 4, 128, 128)
		b.ReportAllocs()
		for b.Loop() {
			addScaled(x, x, y, 0.5)
		}
	})
	sigmas := []float32{10, 7, 5, 3, 2, 1.2, 0.7, 0.4, 0.2, 0.1, 0}
	for _, name := range []string{"euler", "euler_ancestral", "heun", "lms", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_3m_sde"} {
		b.Run(name, func(b *testing.B) {
			fn, _ := LookupSampler(name)
			calls := 0
			r := &Run{Denoise: constDenoiser(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn(r, x, sigmas); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(calls), "ns/call")
		})
	}
}

// A NaN prediction would make ComfyUI's dpm_adaptive reject steps forever;
// here it is an error.
func TestDPMAdaptiveNaNIsAnError(t *testing.T) {
	calls := 0
	r := &Run{Denoise: constDenoiser(float32(math.NaN()), &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) }}
	x := tensor.FromData([]float32{1, 2}, 1, 1, 1, 2)
	if _, err := sampleDPMAdaptive(r, x, []float32{8, 1, 0}); !errors.Is(err, errDPMAdaptiveNaN) {
		t.Errorf("err = %v, want errDPMAdaptiveNaN", err)
	}
}
