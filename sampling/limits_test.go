package sampling

import (
	"strings"
	"testing"

	"comfyd/tensor"
)

func TestCheckWorkingSet(t *testing.T) {
	if err := checkWorkingSet(tensor.New(4, 4, 256, 256)); err != nil {
		t.Fatalf("a 2048x2048 batch of 4 refused: %v", err)
	}
	// EmptyLatentImage 16384x16384, batch 8: 512 MiB per latent-sized tensor.
	big := &tensor.Tensor{Shape: []int{8, 4, 2048, 2048}, Data: make([]float32, 8*4*2048*2048)}
	err := checkWorkingSet(big)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("want a clear refusal, got %v", err)
	}
	if _, err := KSampler(t.Context(), NodeInputs{Model: &Model{}, Latent: big, Steps: 1}, 1); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("KSampler did not refuse before sampling: %v", err)
	}
}
