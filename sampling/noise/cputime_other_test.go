//go:build !unix

package noise

import "time"

// processCPUTime is not measured on this system; the metric reads 0.
func processCPUTime() time.Duration { return 0 }
