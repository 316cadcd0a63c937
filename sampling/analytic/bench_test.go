package analytic

import (
	"syscall"
	"testing"
	"time"

	"comfyd/sampling"
	"comfyd/tensor"
)

// cpuTime is the process's user+system CPU time: on this shared machine
// wall time depends on other tenants, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApply is one model evaluation on the [1,4,64,64] benchmark
// latent, with the Go kernel and (where the CPU has it) the AVX2 one, as
// the in-run baseline; ns/elem is wall time per latent element,
// cpu-ns/elem the CPU time summed over all worker threads.
func BenchmarkApply(b *testing.B) {
	vector := useAVX2
	defer func() { useAVX2 = vector }()
	for _, kind := range []sampling.Parameterization{sampling.EPS, sampling.VPrediction, sampling.Const} {
		for _, kernel := range []string{"go", "avx2"} {
			if kernel == "avx2" && !vector {
				continue
			}
			b.Run([]string{"eps", "v", "flow"}[kind]+"/"+kernel, func(b *testing.B) {
				useAVX2 = kernel == "avx2"
				benchApply(b, kind)
			})
		}
	}
}

func benchApply(b *testing.B, kind sampling.Parameterization) {
	m := New(kind)
	xc := tensor.New(1, 4, 64, 64)
	for i := range xc.Data {
		xc.Data[i] = float32(i%23)/11 - 1
	}
	dst := tensor.New(xc.Shape...)
	c := Cond(Positive)
	sig := []float32{0.7}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if err := m.Apply(b.Context(), dst, xc, sig, sig, &c); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N * len(xc.Data))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/elem")
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/n, "cpu-ns/elem")
}
