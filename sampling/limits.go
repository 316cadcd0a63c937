package sampling

import (
	"fmt"

	"comfyd/tensor"
)

// MaxWorkingSetBytes bounds the memory one sampling run may claim before it
// starts. A run holds about workingSetCopies latent-sized float32 tensors
// (input, noise, state, scratch buffers, predictions, output): checking up
// front turns an oversized request into a clear error instead of gigabytes
// allocated before a model refuses the size, or an out-of-memory kill.
var MaxWorkingSetBytes int64 = 4 << 30

const workingSetCopies = 12

// checkWorkingSet refuses a latent whose sampling working set exceeds
// MaxWorkingSetBytes.
func checkWorkingSet(latent *tensor.Tensor) error {
	need := int64(latent.Numel()) * 4 * workingSetCopies
	if need > MaxWorkingSetBytes {
		return fmt.Errorf("sampling: a latent of shape %v needs about %d MiB to sample, over the %d MiB limit: use a smaller size or batch", latent.Shape, need>>20, MaxWorkingSetBytes>>20)
	}
	return nil
}
