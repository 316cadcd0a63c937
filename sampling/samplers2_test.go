package sampling

import (
	"context"
	"errors"
	"math"
	"syscall"
	"testing"

	"comfyd/tensor"
)

// Behavioural and coefficient tests of the samplers of spec 8.18-8.28; the
// golden comparison is samplers2_golden_test.go.

// Samplers2Names are the samplers of spec 8.18-8.28 (exported for the golden
// test in package sampling_test).
var Samplers2Names = []string{"ddpm", "lcm", "ipndm", "ipndm_v", "deis",
	"uni_pc", "uni_pc_bh2", "res_multistep", "res_multistep_cfg_pp",
	"res_multistep_ancestral", "res_multistep_ancestral_cfg_pp",
	"gradient_estimation", "gradient_estimation_cfg_pp", "er_sde",
	"seeds_2", "seeds_3", "exp_heun_2_x0", "exp_heun_2_x0_sde",
	"sa_solver", "sa_solver_pece"}

// constPrediction is a denoiser predicting the constant c (also as the
// uncond prediction) that counts its calls.
func constPrediction(c float32, calls *int) DenoiseFunc {
	return func(dst, unc, _ *tensor.Tensor, _ float32) error {
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

// testSampling is an EPS model sampling whose stochastic window for
// sa_solver (percent_to_sigma(0.2) .. (0.8)) is [lo, hi].
type testSampling struct {
	kind   Parameterization
	lo, hi float64
}

func (m testSampling) Kind() Parameterization   { return m.kind }
func (testSampling) SigmaMin() float32          { return 0.03 }
func (testSampling) SigmaMax() float32          { return 15 }
func (testSampling) Sigmas() []float32          { return nil }
func (testSampling) Timestep(s float32) float32 { return s }
func (testSampling) Sigma(t float32) float32    { return t }
func (m testSampling) PercentToSigma(p float64) float64 {
	if p <= 0.5 {
		return m.hi
	}
	return m.lo
}

// counterNoise is a deterministic noise source: every call fills dst with
// a fresh pseudo-normal draw from a fixed-seed LCG + Box-Muller.
func counterNoise() NoiseFunc {
	state := uint64(12345)
	uniform := func() float64 {
		state = state*6364136223846793005 + 1442695040888963407
		return (float64(state>>11) + 0.5) / (1 << 53)
	}
	return func(dst *tensor.Tensor) {
		for i := range dst.Data {
			dst.Data[i] = float32(math.Sqrt(-2*math.Log(uniform())) * math.Cos(2*math.Pi*uniform()))
		}
	}
}

func TestSamplers2Registered(t *testing.T) {
	for _, n := range Samplers2Names {
		if _, err := LookupSampler(n); err != nil {
			t.Error(err)
		}
	}
}

// With D(x, s) = c the probability-flow ODE has the solution
// x(s) = c + (x0 - c) s/s0. The deterministic samplers integrate it exactly
// up to rounding (deis up to its quadrature error; sa_solver once its
// stochastic window is empty). They end at sigma 0 on c, except UniPC,
// which stops at 0.001.
func TestSamplers2ExactOnLinearODE(t *testing.T) {
	const c = 0.75
	for _, tc := range []struct {
		name string
		tol  float32
	}{
		// UniPC's std at 0.001, sqrt(1 - exp(2 log alpha)), cancels to ~1e-6
		// with float32 rounding of ~6e-8 (as in the reference).
		{"ipndm", 2e-5}, {"ipndm_v", 2e-5}, {"deis", 1e-3}, {"uni_pc", 1e-4}, {"uni_pc_bh2", 1e-4},
		{"res_multistep", 2e-5}, {"res_multistep_cfg_pp", 2e-5}, {"gradient_estimation", 2e-5},
		{"gradient_estimation_cfg_pp", 2e-5}, {"exp_heun_2_x0", 2e-5}, {"sa_solver", 2e-5},
		{"sa_solver_pece", 2e-5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sigmas := []float32{10, 6, 3, 1.5, 0.7, 0.3, 0.1, 0}
			x0 := []float32{-3, 0, 2.5, 12}
			for _, stop := range []int{len(sigmas) - 1, 3} { // to sigma 0, and mid-way
				s := append([]float32(nil), sigmas[:stop+1]...)
				x := tensor.FromData(append([]float32(nil), x0...), 1, 1, 2, 2)
				calls := 0
				r := &Run{Denoise: constPrediction(c, &calls), Noise: counterNoise(),
					Sampling: testSampling{kind: EPS, lo: 100, hi: 50}}
				out, err := lookupSampler(t, tc.name)(r, x, s)
				if err != nil {
					t.Fatal(err)
				}
				end := s[len(s)-1] // UniPC's edited final sigma included
				for i, v := range out.Data {
					want := c + (x0[i]-c)*end/s[0]
					if math.Abs(float64(v-want)) > float64(tc.tol)*max(1, math.Abs(float64(want))) {
						t.Errorf("to %v: x[%d] = %v, want %v", end, i, v, want)
					}
				}
			}
		})
	}
}

func lookupSampler(t *testing.T, name string) SamplerFunc {
	t.Helper()
	fn, err := LookupSampler(name)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// UniPC replaces a final sigma 0 by 0.001 in the caller's slice (spec
// 8.22): the pipeline's inverse noise scaling depends on it.
func TestUniPCEditsFinalSigmaInPlace(t *testing.T) {
	for _, name := range []string{"uni_pc", "uni_pc_bh2"} {
		s := []float32{5, 2, 1, 0}
		calls := 0
		r := &Run{Denoise: constPrediction(0, &calls)}
		if _, err := lookupSampler(t, name)(r, tensor.New(1, 1, 2, 2), s); err != nil {
			t.Fatal(err)
		}
		if s[3] != 0.001 {
			t.Errorf("%s: final sigma %v, want 0.001", name, s[3])
		}
		s = []float32{5, 2, 1, 0.5} // a non-zero end is kept
		if _, err := lookupSampler(t, name)(r, tensor.New(1, 1, 2, 2), s); err != nil {
			t.Fatal(err)
		}
		if s[3] != 0.5 {
			t.Errorf("%s: final sigma %v changed", name, s[3])
		}
	}
}

// Every sampler calls the denoiser the expected number of times, reports
// each step once, is deterministic for a fixed noise source and stops
// with the context's error once it is cancelled.
func TestSamplers2CallsStepsCancel(t *testing.T) {
	sigmas := []float32{14.6, 8, 4, 2, 1, 0.5, 0.2, 0}
	evals := map[string]int{"seeds_2": 13, "exp_heun_2_x0": 13, "exp_heun_2_x0_sde": 13,
		"seeds_3": 19, "sa_solver_pece": 13}
	for _, name := range Samplers2Names {
		t.Run(name, func(t *testing.T) {
			run := func(ctx context.Context, cancelAt int) ([]float32, int, int, error) {
				calls, steps := 0, 0
				r := &Run{Ctx: ctx, Noise: counterNoise(), Sampling: testSampling{kind: EPS, lo: 1, hi: 5}}
				var cancel context.CancelFunc
				if ctx != nil {
					r.Ctx, cancel = context.WithCancel(ctx)
					defer cancel()
				}
				r.Denoise = func(dst, unc, x *tensor.Tensor, sigma float32) error {
					calls++
					for i, v := range x.Data { // a contraction towards 0.3
						dst.Data[i] = 0.3 + (v-0.3)/(1+sigma*sigma)
					}
					if unc != nil {
						for i := range unc.Data {
							unc.Data[i] = dst.Data[i] * 0.9
						}
					}
					return nil
				}
				r.Callback = func(i int, _, _ *tensor.Tensor) {
					if i != steps {
						t.Errorf("step %d reported as %d", steps, i)
					}
					steps++
					if steps == cancelAt {
						cancel()
					}
				}
				x := tensor.FromData([]float32{-20, -3, 0.5, 4, 9, 15}, 1, 1, 2, 3)
				out, err := lookupSampler(t, name)(r, x, append([]float32(nil), sigmas...))
				if out == nil {
					return nil, calls, steps, err
				}
				return append([]float32(nil), out.Data...), calls, steps, err
			}
			a, calls, steps, err := run(context.Background(), -1)
			if err != nil {
				t.Fatal(err)
			}
			want := len(sigmas) - 1
			if e, ok := evals[name]; ok {
				want = e
			}
			if calls != want || steps != len(sigmas)-1 {
				t.Errorf("%d denoiser calls, %d steps; want %d, %d", calls, steps, want, len(sigmas)-1)
			}
			for _, v := range a {
				if v != v || math.IsInf(float64(v), 0) {
					t.Fatalf("non-finite output %v", a)
				}
			}
			b, _, _, _ := run(context.Background(), -1)
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("not deterministic: %v vs %v", a, b)
				}
			}
			_, _, steps, err = run(context.Background(), 2)
			if !errors.Is(err, context.Canceled) || steps != 2 {
				t.Errorf("after cancel at step 2: err %v after %d steps", err, steps)
			}
		})
	}
}

// Schedules of zero or one sigma are no steps: the input comes back
// unchanged (UniPC scales by its VP factors, which cancel for one sigma up
// to rounding) and the denoiser is not called.
func TestSamplers2DegenerateSchedules(t *testing.T) {
	for _, name := range Samplers2Names {
		for _, s := range [][]float32{{}, {2.5}} {
			calls := 0
			r := &Run{Denoise: constPrediction(0.5, &calls), Noise: counterNoise(),
				Sampling: testSampling{kind: EPS, lo: 1, hi: 5}}
			x := tensor.FromData([]float32{1, -2, 3, 4}, 1, 1, 2, 2)
			out, err := lookupSampler(t, name)(r, x, s)
			if err != nil {
				t.Fatalf("%s on %v: %v", name, s, err)
			}
			for i, want := range []float32{1, -2, 3, 4} {
				if math.Abs(float64(out.Data[i]-want)) > 1e-6*4 {
					t.Errorf("%s on %v: x = %v", name, s, out.Data)
					break
				}
			}
			if calls != 0 {
				t.Errorf("%s on %v: %d denoiser calls", name, s, calls)
			}
		}
	}
}

// Samplers that draw internal noise refuse to run without a noise source;
// the others do not need one.
func TestSamplers2NoiseRequired(t *testing.T) {
	stochastic := map[string]bool{"ddpm": true, "lcm": true, "res_multistep_ancestral": true,
		"res_multistep_ancestral_cfg_pp": true, "er_sde": true, "seeds_2": true, "seeds_3": true,
		"exp_heun_2_x0_sde": true, "sa_solver": true, "sa_solver_pece": true}
	for _, name := range Samplers2Names {
		calls := 0
		r := &Run{Denoise: constPrediction(0.5, &calls), Sampling: testSampling{kind: EPS, lo: 1, hi: 5}}
		_, err := lookupSampler(t, name)(r, tensor.New(1, 1, 2, 2), []float32{3, 1, 0})
		if stochastic[name] != (err != nil) {
			t.Errorf("%s without noise source: err = %v", name, err)
		}
	}
}

// On equal steps the variable-step ipndm_v weights of orders up to 3 reduce
// to the fixed Adams-Bashforth weights of ipndm; the reference's order-4
// formula gives other (still consistent, summing to 1) weights, computed
// here by hand from it: temp1 = 5/12, temp2 = 11/24, g = 1.
func TestIPNDMVariableOnUniformSteps(t *testing.T) {
	s := []float32{8, 7, 6, 5, 4, 3}
	for k := 1; k <= ipndmMaxOrder; k++ {
		i := k // enough history for order k
		w, den := ipndmVariableCoeffs(s, i, k)
		fw, fden := ipndmFixedCoeffs(s, i, k)
		if k == 4 {
			fw, fden = [4]float32{57, -65, 43, -11}, 24
		}
		for j := range k {
			if got, want := w[j]/den, fw[j]/fden; math.Abs(float64(got-want)) > 1e-6 {
				t.Errorf("order %d weight %d: %v, want %v", k, j, got, want)
			}
		}
	}
}

// deis's tabulated coefficients against an independent float64 Gauss-
// Legendre integration of the same integrand (analytic derivative of
// log alpha); the reference's 10000-point Riemann sum agrees to ~1e-4.
// They also sum to the sigma step, as the integrand is dsigma/dtau.
func TestDEISCoefficientsIndependent(t *testing.T) {
	s := []float32{14.614642, 6.9, 3.2, 1.4, 0.6, 0.25, 0.08, 0.029167, 0}
	coeffs := deisCoeffs(s, deisMaxOrder)
	const smin, smax, eps = 0.002, 80.0, 1e-3
	bd := 2 * (math.Log(smin*smin+1)/eps - math.Log(smax*smax+1)) / (eps - 1)
	b0 := math.Log(smax*smax+1) - bd/2
	b1 := bd + b0
	T := func(v float32) float64 { return (math.Sqrt(b0*b0+2*bd*math.Log(float64(v)*float64(v)+1)) - b0) / bd }
	g := func(tau float64) float64 {
		alpha := math.Exp(-tau*tau*(b1-b0)/2 - tau*b0)
		return -0.5 * (-tau*(b1-b0) - b0) / math.Sqrt(alpha*(1-alpha))
	}
	for i := range coeffs {
		k := deisOrder(s, i, deisMaxOrder)
		if k == 1 {
			if coeffs[i] != nil {
				t.Errorf("step %d: coefficients for an Euler step", i)
			}
			continue
		}
		nodes := make([]float64, k)
		for j := range nodes {
			nodes[j] = T(s[i-j])
		}
		var sum float64
		for j := 0; j < k; j++ {
			want := gaussLegendre(T(s[i]), T(s[i+1]), func(tau float64) float64 {
				p := 1.0
				for m := range nodes {
					if m != j {
						p *= (tau - nodes[m]) / (nodes[j] - nodes[m])
					}
				}
				return g(tau) * p
			})
			got := float64(coeffs[i][j])
			if math.Abs(got-want) > 2e-4*math.Abs(float64(s[i+1]-s[i])) {
				t.Errorf("step %d C%d = %v, want %v", i, j, got, want)
			}
			sum += got
		}
		if d := float64(s[i+1] - s[i]); math.Abs(sum-d) > 2e-4*math.Abs(d) {
			t.Errorf("step %d: coefficients sum to %v, want the sigma step %v", i, sum, d)
		}
	}
}

// gaussLegendre integrates f over [a, b] with 64 panels of 5-point
// Gauss-Legendre quadrature.
func gaussLegendre(a, b float64, f func(float64) float64) float64 {
	x := [5]float64{0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640, 0.9061798459386640}
	w := [5]float64{0.5688888888888889, 0.4786286704993665, 0.4786286704993665, 0.2369268850561891, 0.2369268850561891}
	const panels = 64
	h := (b - a) / panels
	var sum float64
	for p := 0; p < panels; p++ {
		mid := a + (float64(p)+0.5)*h
		for k := range x {
			sum += w[k] * f(mid+x[k]*h/2)
		}
	}
	return sum * h / 2
}

// The SA-Solver coefficients are alpha_t * integral over [la, lb] of
// m e^{-m(lb - l)} L_j(l) dl, m = 1 + tau^2, for the Lagrange basis L_j on
// the nodes: checked against float64 quadrature, for both tau and every
// order.
func TestSACoefficientsIndependent(t *testing.T) {
	lams := []float32{-2.6, -1.9, -1.1, -0.4}
	la, lb := float32(-0.4), float32(0.3)
	vNext := float32(math.Exp(-0.3))
	for _, tau := range []float32{0, 1} {
		for K := 1; K <= 4; K++ {
			nodes := lams[4-K:]
			b := make([]float32, K)
			saCoeffs(b, vNext, nodes, la, lb, tau)
			m := 1 + float64(tau*tau)
			alpha := float64(vNext) * math.Exp(float64(lb))
			for j := 0; j < K; j++ {
				want := alpha * gaussLegendre(float64(la), float64(lb), func(l float64) float64 {
					p := 1.0
					for q := range nodes {
						if q != j {
							p *= (l - float64(nodes[q])) / float64(nodes[j]-nodes[q])
						}
					}
					return m * math.Exp(-m*(float64(lb)-l)) * p
				})
				if math.Abs(float64(b[j])-want) > 2e-4*max(1, math.Abs(want)) {
					t.Errorf("tau %v K %d b%d = %v, want %v", tau, K, j, b[j], want)
				}
			}
		}
	}
}

func TestSolve32(t *testing.T) {
	// A pivoting-needing system with solution (1, -2, 3).
	a := []float32{0, 2, 1, 1, 1, 1, 4, -1, 2}
	b := []float32{-1, 2, 12}
	x := solve32(a, b, 3)
	for i, want := range []float32{1, -2, 3} {
		if math.Abs(float64(x[i]-want)) > 1e-5 {
			t.Errorf("x = %v, want (1, -2, 3)", x)
			break
		}
	}
}

func TestNanToNum32(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct{ in, want float32 }{
		{nan, 0}, {inf, math.MaxFloat32}, {-inf, -math.MaxFloat32}, {1.5, 1.5}, {-0.25, -0.25},
	} {
		if got := nanToNum32(tc.in); got != tc.want {
			t.Errorf("nanToNum32(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// After the first run the samplers allocate nothing that grows with the
// number of steps (scratch buffers are reused).
func TestSamplers2AllocsIndependentOfSteps(t *testing.T) {
	// Both lengths large enough that per-run tables are heap-allocated.
	long := append(LinspaceF32(14.6, 0.03, 28), 0)
	short := append(LinspaceF32(14.6, 0.03, 14), 0)
	for _, name := range Samplers2Names {
		if name == "deis" { // coefficient tables are built per step before the loop
			continue
		}
		fn := lookupSampler(t, name)
		calls := 0
		r := &Run{Denoise: constPrediction(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) },
			Sampling: testSampling{kind: EPS, lo: 1, hi: 5}}
		x := tensor.New(1, 4, 8, 8)
		allocs := func(s []float32) float64 {
			return testing.AllocsPerRun(5, func() {
				if _, err := fn(r, x, append(s[:0:0], s...)); err != nil {
					t.Fatal(err)
				}
			})
		}
		if a, b := allocs(short), allocs(long); b > a {
			t.Errorf("%s: %v allocations for %d steps, %v for %d", name, a, len(short)-1, b, len(long)-1)
		}
	}
}

// BenchmarkUniPC measures UniPC's own arithmetic (20 steps on [1,4,64,64],
// a denoiser that does nothing) against one elementwise pass over the
// same tensor as the baseline. Besides wall time it reports the process
// CPU time per op (cpu-ns/op), which stays meaningful when the machine is
// shared and wall time is inflated by waiting for a core.
func BenchmarkUniPC(b *testing.B) {
	x := tensor.New(1, 4, 64, 64)
	b.Run("baseline_addScaled", func(b *testing.B) { benchAddScaled(b, x) })
	sigmas := LinspaceF32(14.6, 0.03, 20)
	sigmas = append(sigmas, 0)
	null := func(dst, unc, x *tensor.Tensor, sigma float32) error { return nil }
	for _, name := range []string{"uni_pc", "uni_pc_bh2"} {
		b.Run(name+"_20steps", func(b *testing.B) {
			fn, _ := LookupSampler(name)
			benchSampler(b, fn, &Run{Denoise: null}, x, sigmas)
		})
	}
}

// benchAddScaled is the baseline the sampler benchmarks compare with: one
// elementwise pass (x += 0.5*y) over x.
func benchAddScaled(b *testing.B, x *tensor.Tensor) {
	y := tensor.New(x.Shape...)
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		addScaled(x, x, y, 0.5)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// benchSampler runs fn over sigmas from a zero x each op and reports the
// process CPU time per op (cpu-ns/op) beside wall time.
func benchSampler(b *testing.B, fn SamplerFunc, r *Run, x *tensor.Tensor, sigmas []float32) {
	s := make([]float32, len(sigmas))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		copy(s, sigmas)
		clear(x.Data)
		if _, err := fn(r, x, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// The dispatching UniPC kernels (assembly on amd64 with AVX2) give
// bit-identical results to the Go loops, including the tail after the
// last multiple of 8 and absent (zero-weight) terms.
func TestUniPCKernelsMatchGo(t *testing.T) {
	noise := counterNoise()
	rand := func(n int) []float32 {
		v := tensor.New(n)
		noise(v)
		return v.Data
	}
	for _, n := range []int{1, 8, 37, 4096 + 5} {
		y, xin, den, m0, p0, p1, mt := rand(n), rand(n), rand(n), rand(n), rand(n), rand(n), rand(n)
		same := func(what string, a, b []float32) {
			t.Helper()
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("n %d %s[%d]: %v vs Go %v", n, what, i, a[i], b[i])
				}
			}
		}
		d1, d2 := make([]float32, n), make([]float32, n)
		uniPCModel(d1, y, xin, den, 0.37, 0.93, 0.35)
		uniPCModelGo(d2, y, xin, den, 0.37, 0.93, 0.35)
		same("model", d1, d2)

		for _, terms := range []uniPCTerms{
			{p0: p0, p1: p1, r0: 0.61, k0: -1.3, r1: -0.27, k1: -2.9},
			{p0: p0, p1: m0, r0: 0.5, k0: -0.7, k1: 1},
			{p0: m0, p1: m0, k0: 1, k1: 1},
		} {
			y1, y2 := append([]float32(nil), y...), append([]float32(nil), y...)
			b1, b2 := make([]float32, n), make([]float32, n)
			uniPCPredict(y1, b1, m0, terms, 0.8, -0.21, -0.45)
			uniPCPredictGo(y2, b2, m0, terms, 0.8, -0.21, -0.45)
			same("predict yb", b1, b2)
			same("predict y", y1, y2)
			uniPCCorrect(y1, b1, m0, terms, mt, 0.42, -0.45)
			uniPCCorrectGo(y2, b2, m0, terms, mt, 0.42, -0.45)
			same("correct y", y1, y2)
		}
	}
}

// BenchmarkSamplers2 measures each sampler's own work for 20 steps on
// [1,4,64,64] with a constant denoiser and a zero noise source (so model
// and RNG costs are excluded), next to one elementwise pass as baseline.
func BenchmarkSamplers2(b *testing.B) {
	x := tensor.New(1, 4, 64, 64)
	b.Run("baseline_addScaled", func(b *testing.B) { benchAddScaled(b, x) })
	sigmas := append(LinspaceF32(14.6, 0.03, 20), 0)
	for _, name := range Samplers2Names {
		b.Run(name, func(b *testing.B) {
			fn, _ := LookupSampler(name)
			calls := 0
			r := &Run{Denoise: constPrediction(0.5, &calls), Noise: func(dst *tensor.Tensor) { clear(dst.Data) },
				Sampling: testSampling{kind: EPS, lo: 1, hi: 5}}
			benchSampler(b, fn, r, x, sigmas)
		})
	}
}
