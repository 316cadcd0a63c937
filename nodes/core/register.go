package core

import "comfyd/nodes"

// Register adds the core node classes to r.
func Register(r *nodes.Registry) {
	r.Register(withSearchAliases(
		checkpointLoaderSimple(),
		clipTextEncode(),
		clipSetLastLayer(),
		emptyLatentImage(),
		vaeDecode(),
		vaeEncode(),
		saveImage(),
		previewImage(),
		loadImage(),
		loadImageMask(),
		saveLatent(),
		loadLatent(),
		latentUpscale(),
		latentUpscaleBy(),
		latentComposite(),
		latentBlend(),
		latentFromBatch(),
		repeatLatentBatch(),
		setLatentNoiseMask(),
		conditioningCombine(),
		conditioningSetArea(),
		conditioningAverage(),
		ksampler(),
		ksamplerAdvanced(),
		samplerCustomAdvanced(),
		randomNoise(),
		basicGuider(),
		cfgGuider(),
		ksamplerSelect(),
		basicScheduler(),
	)...)
}
