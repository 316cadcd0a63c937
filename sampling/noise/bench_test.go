package noise

import "testing"

// The Randn benchmarks seed and draw once per iteration (torch.manual_seed +
// torch.randn, the unit torch was timed with) into a preallocated dst.
// Baseline on this machine, torch 1.13 CPU: [1,4,64,64] 0.093 ms
// (177 M normals/s), [4,4,128,128] 1.02 ms (256 M normals/s).

func benchRandn(b *testing.B, seed func(uint64) Generator, n int) {
	dst := make([]float32, n)
	g := seed(0)
	g.Randn(dst) // start the helper pool
	b.ReportAllocs()
	b.SetBytes(int64(4 * n))
	b.ResetTimer()
	cpu0 := processCPUTime()
	for i := 0; i < b.N; i++ {
		g = seed(uint64(i))
		g.Randn(dst)
	}
	b.StopTimer()
	cpu := processCPUTime() - cpu0
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mnormals/s")
	// CPU time (all threads) per call: on a machine shared with other jobs
	// wall-clock numbers swing, CPU time much less.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuSeeder() func(uint64) Generator {
	g := NewCPU(0)
	return func(s uint64) Generator { g.Seed(s); return g }
}

func cudaSeeder() func(uint64) Generator {
	g := NewCUDA(0)
	return func(s uint64) Generator { g.Seed(s); return g }
}

func BenchmarkRandnCPU_1x4x64x64(b *testing.B)    { benchRandn(b, cpuSeeder(), 1*4*64*64) }
func BenchmarkRandnCPU_4x4x128x128(b *testing.B)  { benchRandn(b, cpuSeeder(), 4*4*128*128) }
func BenchmarkRandnCUDA_1x4x64x64(b *testing.B)   { benchRandn(b, cudaSeeder(), 1*4*64*64) }
func BenchmarkRandnCUDA_4x4x128x128(b *testing.B) { benchRandn(b, cudaSeeder(), 4*4*128*128) }

// Single-goroutine kernel benchmarks: the stages of Randn without the split
// over helpers, useful on a loaded machine where wall-clock parallel numbers
// vary.

func benchKernel(b *testing.B, n int, run func(d []float32)) {
	d := make([]float32, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(d)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/float64(b.N), "ns/normal")
}

func BenchmarkKernelMTUniform(b *testing.B) {
	g := NewCPU(1)
	benchKernel(b, 1<<16, func(d []float32) { g.mt.fillUniform32(d) })
}

func BenchmarkKernelBoxMuller16(b *testing.B) {
	benchKernel(b, 1<<16, func(d []float32) {
		for i := range d {
			d[i] = 0.25 // the transform runs in place; keep the input fixed
		}
		transformBlocks(d)
	})
}

func BenchmarkKernelPhilox(b *testing.B) {
	benchKernel(b, 1<<16, func(d []float32) { philoxNormals(d, 0, 0, 1, 2) })
}
