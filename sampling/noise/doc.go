// Package noise reproduces the random numbers ComfyUI and the Inspire pack
// feed into sampling: torch's CPU generator (MT19937 plus torch's AVX2
// Box-Muller kernel, bit for bit), a model of torch's CUDA generator
// (Philox4x32-10 as AUTOMATIC1111's rng_philox reproduces it), ComfyUI's
// prepare_noise, Inspire's prepare_noise with its batch seed modes and
// variation seeds, and the sampler's internal noise source.
//
// # Device choice
//
// "Device" here only names which torch generator is imitated; everything runs
// on the CPU in Go. Two places choose a device:
//
//   - The initial noise of KSampler (inspire) follows its noise_mode widget
//     ("CPU" / "GPU(=A1111)"), passed in Params.Device.
//   - The sampler's internal noise (ancestral and SDE samplers, spec 7.3)
//     depends in ComfyUI on where the latent lives: a CPU run uses a CPU
//     generator seeded seed+1, a GPU run a CUDA generator seeded seed.
//     comfyd has no GPU, so it must pick which one to imitate. Its default
//     is DeviceCUDA: most ComfyUI users run on a GPU, so their workflows'
//     ancestral samplers draw CUDA noise, and A1111-compatible (GPU) noise is
//     the point of KSampler (inspire). A server setting chooses DeviceCPU to
//     match a ComfyUI started with --cpu. See DefaultInternalDevice.
//
// # Exactness
//
// CPU noise is bit-exact with torch 1.13's AVX2 kernel (the float32
// Cephes-style log/sincos polynomials with fused multiply-adds, emulated with
// correctly rounded float32 FMAs). CUDA noise is bit-exact with the
// A1111 model; real GPUs differ from that model by about 1e-6 (their float32
// hardware log/sin), which no CPU implementation can reproduce. The model is
// only defined for tensors up to the GPU's thread count (about 43k-197k
// elements); comfyd applies it to every size.
//
// # Speed
//
// On amd64 CPUs with AVX2 and FMA the hot loops run in assembly that
// performs exactly the operations of the Go description (kernel_amd64.s:
// torch's 16-block transform, equal to the Go version for all 2^24 possible
// inputs; mt_amd64.s: the MT19937 twist and tempering; philox_amd64.s:
// Philox and the float64 Box-Muller, equal to the Go twins bit for bit, in
// AVX2 and, where the CPU has it, AVX-512 forms).
// MT19937 is sequential; the normal transforms are split over a small
// helper pool (parallel.go) without changing a bit. Build with -tags purego
// to run the portable Go code everywhere. Randn does not allocate.
package noise
