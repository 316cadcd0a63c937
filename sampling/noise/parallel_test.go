package noise

import (
	"math"
	"testing"
)

// The split over helper goroutines must not change a bit: compare against
// single-goroutine reference computations for sizes around the split points.
func TestParallelMatchesSequential(t *testing.T) {
	for _, n := range []int{minParallelPhilox - 1, minParallelPhilox, minParallelPhilox + 5,
		minParallelBoxMuller - 1, minParallelBoxMuller, minParallelBoxMuller + 5, 100003, 4 * 4 * 128 * 128} {
		for _, seed := range []uint64{0, 1234567890123, maxSeed} {
			got := make([]float32, n)
			g := NewCPU(seed)
			g.Randn(got)
			g.Randn(got) // second call: stream position carries over

			want := make([]float32, n)
			h := NewCPU(seed)
			for call := 0; call < 2; call++ {
				h.mt.fillUniform32(want)
				var tail [16]float32
				if n%16 != 0 {
					h.mt.fillUniform32(tail[:])
				}
				transformBlocksGo(want[:n-n%16])
				if n%16 != 0 {
					copy(want[n-16:], tail[:])
					transformBlocksGo(want[n-16:])
				}
			}
			compareBits(t, "cpu", n, seed, got, want)

			c := NewCUDA(seed)
			c.Randn(got)
			c.Randn(got)
			philoxNormalsGo(want, 0, 1, uint32(seed), uint32(seed>>32))
			compareBits(t, "cuda", n, seed, got, want)
		}
	}
}

func compareBits(t *testing.T, what string, n int, seed uint64, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s n=%d seed=%d: value %d parallel %v sequential %v", what, n, seed, i, got[i], want[i])
		}
	}
}

// Generators used from several goroutines at once share the helper pool;
// each must still get its own exact stream.
func TestConcurrentGenerators(t *testing.T) {
	const n = 3*minParallelBoxMuller + 7
	want := map[Device][]float32{DeviceCPU: make([]float32, n), DeviceCUDA: make([]float32, n)}
	for d, w := range want {
		g, _ := NewGenerator(d, 77)
		g.Randn(w)
	}
	errs := make(chan string, 8)
	done := make(chan struct{})
	for k := 0; k < 8; k++ {
		d := DeviceCPU
		if k%2 == 1 {
			d = DeviceCUDA
		}
		go func() {
			defer func() { done <- struct{}{} }()
			got := make([]float32, n)
			for rep := 0; rep < 5; rep++ {
				g, _ := NewGenerator(d, 77)
				g.Randn(got)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[d][i]) {
						errs <- string(d)
						return
					}
				}
			}
		}()
	}
	for k := 0; k < 8; k++ {
		<-done
	}
	close(errs)
	for d := range errs {
		t.Errorf("%s generator gave different values under concurrency", d)
	}
}
