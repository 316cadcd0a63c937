package tensor

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// cpuTime is the process's user+system CPU time: on a shared machine it
// measures work done independently of how long other processes held the
// cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGemm reports GFLOP/s (wall) and GFLOP per CPU-second of
// Linear-shaped products typical of SD1, for comfyd's kernel and gonum's
// Sgemm as the baseline measured in the same run.
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{4096, 320, 320}, {1024, 640, 5760}, {320, 4096, 2880}} {
		m, n, k := s[0], s[1], s[2]
		a, w, c := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
		impls := map[string]func(){
			"comfyd": func() { Gemm(false, true, m, n, k, 1, a, k, w, k, 0, c, n) },
			"gonum": func() {
				blas32.Implementation().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, w, k, 0, c, n)
			},
		}
		for _, name := range []string{"comfyd", "gonum"} {
			f := impls[name]
			b.Run(fmt.Sprintf("%s/%dx%dx%d", name, m, n, k), func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					f()
				}
				flop := 2 * float64(m*n*k) * float64(b.N)
				b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(flop/(cpuTime()-c0).Seconds()/1e9, "GFLOP/cpu-s")
			})
		}
	}
}
