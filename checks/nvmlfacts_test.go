package checks

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func TestNVMLFacts(t *testing.T) {
	sys := model.System{Source: "nvml", DriverVersion: "580.159.04", NVMLVersion: "13.580.159.04", CUDADriverVersion: model.Some(13000)}
	info := gpuInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 80*gib, 128*gib)
	g := GPUFactsOf(info, model.Sample{Time: 5}, true, model.SlowSample{}, model.Health{State: model.Healthy})
	if !g.Sample.OK || g.Slow.OK {
		t.Errorf("GPUFactsOf: sample %v slow %v; a slow sample with zero time never arrived", g.Sample.OK, g.Slow.OK)
	}
	g = GPUFactsOf(info, model.Sample{}, false, model.SlowSample{Time: 7}, model.Health{})
	if g.Sample.OK || !g.Slow.OK {
		t.Errorf("GPUFactsOf: sample %v slow %v", g.Sample.OK, g.Slow.OK)
	}
	n := NVMLFromSystem(sys, []model.GPUFacts{g})
	if !n.Opened || n.DriverVersion != "580.159.04" || n.CUDADriverVersion != model.Some(13000) || len(n.GPUs) != 1 {
		t.Errorf("NVMLFromSystem = %+v", n)
	}
	if n := NVMLFromSystem(sys, nil); n.GPUs == nil {
		t.Error("GPUs must be an empty list, not null")
	}
	e := NVMLFromError("nvml", "DRIVER_NOT_LOADED", "Driver Not Loaded")
	if e.Opened || e.ErrorCode != "DRIVER_NOT_LOADED" {
		t.Errorf("NVMLFromError = %+v", e)
	}
}
