package noise

import "testing"

// The benchmarks seed and draw once per iteration (torch.manual_seed +
// torch.randn, the unit torch was timed with) into a preallocated dst.
// Baseline on this machine, torch 1.13 CPU: [1,4,64,64] 0.093 ms
// (177 M normals/s), [4,4,128,128] 1.02 ms (256 M normals/s).

func benchRandn(b *testing.B, seed func(uint64) Generator, n int) {
	dst := make([]float32, n)
	g := seed(0)
	b.ReportAllocs()
	b.SetBytes(int64(4 * n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g = seed(uint64(i))
		g.Randn(dst)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mnormals/s")
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
