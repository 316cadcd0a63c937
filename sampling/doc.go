// Package sampling is comfyd's numerics core, a faithful float32 port of
// ComfyUI's sampling stack and the Inspire pack's KSampler: model sampling
// (sigma tables, parameterisations, latent formats), classifier-free
// guidance, schedulers, samplers and denoise windows. It knows nothing of
// transport: nodes call it, it calls back per step.
//
// The contract is ../shared/spec/sampling.md; golden vectors are tested from
// testdata/golden/sampling (or $COMFYD_GOLDEN_DIR).
package sampling
