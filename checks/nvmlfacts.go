package checks

import "github.com/gputop/gputop/model"

// NVMLFromSystem builds the NVML section of the facts from what an opened
// backend reported (model.System from Backend.Open) and the GPUs' latest
// readings.
func NVMLFromSystem(sys model.System, gpus []model.GPUFacts) model.NVMLFacts {
	if gpus == nil {
		gpus = []model.GPUFacts{}
	}
	return model.NVMLFacts{
		Source:            sys.Source,
		Opened:            true,
		DriverVersion:     sys.DriverVersion,
		NVMLVersion:       sys.NVMLVersion,
		CUDADriverVersion: sys.CUDADriverVersion,
		GPUs:              gpus,
	}
}

// NVMLFromError records a backend that could not open: code is NVML's
// return name (sampler.OpenError.Code), message its text.
func NVMLFromError(source, code, message string) model.NVMLFacts {
	return model.NVMLFacts{Source: source, ErrorCode: code, ErrorMessage: message, GPUs: []model.GPUFacts{}}
}

// GPUFactsOf joins one GPU's identity with its latest readings, in the shape
// sampler.GPU.Latest returns them. A slow sample that never arrived (zero
// time) is unavailable.
func GPUFactsOf(info model.GPUInfo, fast model.Sample, fastOK bool, slow model.SlowSample, health model.Health) model.GPUFacts {
	g := model.GPUFacts{Info: info, Health: health}
	if fastOK {
		g.Sample = model.Some(fast)
	}
	if !slow.Time.IsZero() {
		g.Slow = model.Some(slow)
	}
	return g
}
