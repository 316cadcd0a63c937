package sampling

// SamplerNames is ComfyUI's KSampler.SAMPLERS at the reference commit, in
// its order (spec section 8); node option lists are built from it.
var SamplerNames = []string{
	"euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp",
	"heun", "heunpp2", "exp_heun_2_x0", "exp_heun_2_x0_sde",
	"dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive",
	"dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp",
	"dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp",
	"dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu",
	"dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis",
	"res_multistep", "res_multistep_cfg_pp", "res_multistep_ancestral",
	"res_multistep_ancestral_cfg_pp", "gradient_estimation", "gradient_estimation_cfg_pp",
	"er_sde", "seeds_2", "seeds_3", "sa_solver", "sa_solver_pece",
	"ddim", "uni_pc", "uni_pc_bh2",
}

// SchedulerNames is ComfyUI's KSampler.SCHEDULERS, in order (spec 4.2).
var SchedulerNames = []string{
	"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform",
	"beta", "normal", "linear_quadratic", "kl_optimal",
}

// InspireExtraSchedulers are the table-driven schedulers the Inspire pack
// adds (spec 4.3), in the order its KSampler lists them.
var InspireExtraSchedulers = []string{
	"AYS SDXL", "AYS SD1", "AYS SVD", "GITS[coeff=1.2]",
	"OSS FLUX", "OSS Wan", "OSS Chroma",
}

// InspireSchedulerNames is the scheduler list of KSampler (inspire):
// ComfyUI's followed by the Inspire extras.
var InspireSchedulerNames = append(append([]string(nil), SchedulerNames...), InspireExtraSchedulers...)

// DiscardPenultimateSamplers compute steps+1 sigmas and drop the
// second-to-last one (spec 4.4).
var DiscardPenultimateSamplers = []string{"dpm_2", "dpm_2_ancestral", "uni_pc", "uni_pc_bh2"}

// DiscardsPenultimate reports whether sampler is one of
// DiscardPenultimateSamplers.
func DiscardsPenultimate(sampler string) bool {
	return contains(DiscardPenultimateSamplers, sampler)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
