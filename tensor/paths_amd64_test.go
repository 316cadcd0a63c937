package tensor

import "testing"

// TestPortablePaths reruns the kernel tests with the AVX-512 kernel and
// then every assembly kernel disabled, so the AVX2 and gonum fallbacks are
// checked on machines that have the faster paths.
func TestPortablePaths(t *testing.T) {
	saved512, savedAVX2 := haveAVX512Kernel, haveSgemmKernel
	defer func() { haveAVX512Kernel, haveSgemmKernel = saved512, savedAVX2 }()
	tests := []func(*testing.T){
		TestGemmAllLayouts, TestLinearMatchesNaive, TestLinearPackedMatchesLinear,
		TestConv2DMatchesNaive, TestConv2DRowTiles, TestAttentionMatchesReference,
		TestSoftmaxAndActivations, TestExpShift, TestMaxAndScale, TestGELUInPlace,
		TestFusedLinearEpilogue, TestAttentionLDFusedQKV, TestExpOverflow, TestQuickGELUVectorMatchesSteps, TestPartialRowBlocksStayInBounds,
	}
	for _, mode := range []struct {
		name         string
		avx512, avx2 bool
	}{{"avx2", false, true}, {"generic", false, false}} {
		if mode.avx2 && !savedAVX2 {
			continue
		}
		haveAVX512Kernel, haveSgemmKernel = mode.avx512, mode.avx2
		for _, f := range tests {
			t.Run(mode.name, f)
		}
	}
}
