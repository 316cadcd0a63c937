package noise

import "fmt"

// Generator is a torch random generator: each Randn call is one
// torch.randn call filling dst (C order) with standard-normal float32 values.
// Like a torch generator it is a stream: use one from one goroutine at a
// time. Randn does not allocate.
type Generator interface {
	Randn(dst []float32)
}

var (
	_ Generator = (*CPU)(nil)
	_ Generator = (*CUDA)(nil)
)

// Device names the torch generator being imitated.
type Device string

const (
	DeviceCPU  Device = "cpu"
	DeviceCUDA Device = "cuda"
)

// DefaultInternalDevice is comfyd's default device for the sampler's internal
// noise (see the package documentation for why it is CUDA).
const DefaultInternalDevice = DeviceCUDA

// ParseDevice validates a device name.
func ParseDevice(s string) (Device, error) {
	switch Device(s) {
	case DeviceCPU, DeviceCUDA:
		return Device(s), nil
	}
	return "", fmt.Errorf("noise: unknown device %q (want %q or %q)", s, DeviceCPU, DeviceCUDA)
}

// NewGenerator returns a freshly seeded generator for the device, like
// torch.manual_seed / torch.cuda.manual_seed followed by randn calls.
func NewGenerator(d Device, seed uint64) (Generator, error) {
	switch d {
	case DeviceCPU:
		return NewCPU(seed), nil
	case DeviceCUDA:
		return NewCUDA(seed), nil
	}
	return nil, fmt.Errorf("noise: unknown device %q", d)
}

// Internal returns the sampler's internal noise source (ComfyUI's
// default_noise_sampler, spec 7.3): a private CPU generator seeded seed+1, or
// a private CUDA generator seeded seed. On the CPU seed 2^64-1 overflows in
// the reference and is an error here.
func Internal(d Device, seed uint64) (Generator, error) {
	switch d {
	case DeviceCPU:
		if seed == ^uint64(0) {
			return nil, fmt.Errorf("noise: internal CPU noise seed %d + 1 overflows 64 bits", seed)
		}
		return NewCPU(seed + 1), nil
	case DeviceCUDA:
		return NewCUDA(seed), nil
	}
	return nil, fmt.Errorf("noise: unknown device %q", d)
}
