package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

func TestToolkitRule(t *testing.T) {
	runRuleCases(t, toolkitRule, []ruleCase{
		{name: "nvcc is /usr/local/cuda", id: "cuda.toolkit", want: model.Pass,
			evidence: []string{"/usr/local/cuda -> /etc/alternatives/cuda -> /usr/local/cuda-13.0", "release 13.0", "installed: /usr/local/cuda-13.0"}},
		{name: "nvcc from another toolkit", id: "cuda.toolkit", want: model.Warn, evidence: []string{"nvcc 12.8 (/usr/local/cuda-12.8) differs from /usr/local/cuda 13.0"},
			mutate: func(f *model.Facts) {
				f.NVCC = model.NVCCFacts{Found: true, Path: "/usr/local/cuda-12.8/bin/nvcc", ResolvedPath: "/usr/local/cuda-12.8/bin/nvcc", Version: "12.8", Build: "12.8.93"}
				f.Toolkits = append(f.Toolkits, model.CUDAInstall{Path: "/usr/local/cuda-12.8", Exists: true, Version: "12.8"})
			}},
		{name: "dangling /usr/local/cuda", id: "cuda.toolkit", want: model.Fail, evidence: []string{"dangling"},
			mutate: func(f *model.Facts) {
				f.CUDALink = model.CUDAInstall{Path: "/usr/local/cuda", Chain: []string{"/usr/local/cuda-11.8"}, Error: "dangling link: resolve"}
			}},
		{name: "nvcc not on PATH", id: "cuda.toolkit", want: model.Warn, evidence: []string{"nvcc not on PATH"},
			mutate: func(f *model.Facts) { f.NVCC = model.NVCCFacts{Error: "not found"} }},
		{name: "nvcc without /usr/local/cuda", id: "cuda.toolkit", want: model.Pass,
			mutate: func(f *model.Facts) { f.CUDALink = model.CUDAInstall{Path: "/usr/local/cuda"}; f.Toolkits = nil }},
		{name: "nvcc timed out", id: "cuda.toolkit", want: model.Warn, evidence: []string{"timed out"},
			mutate: func(f *model.Facts) {
				f.NVCC = model.NVCCFacts{Found: true, Path: "/usr/bin/nvcc", Error: "nvcc timed out after 2s"}
			}},
		{name: "no toolkit at all", id: "cuda.toolkit", want: model.Skip, evidence: []string{"ship their own CUDA runtime"},
			mutate: func(f *model.Facts) {
				f.NVCC = model.NVCCFacts{}
				f.CUDALink = model.CUDAInstall{Path: "/usr/local/cuda"}
				f.Toolkits = nil
			}},
	})
}

func TestJudgeDriverForCUDA(t *testing.T) {
	none := model.None[int]()
	tests := []struct {
		driver  string
		drvCUDA model.Opt[int] // NVML's CUDA version of the driver
		cuda    string
		want    model.Status
		needle  string
		need    string
	}{
		// Below the major's floor: fail, whatever NVML says.
		{"520.61.05", none, "12.0", model.Fail, "minimum for any CUDA 12.x", "525.60.13"},
		{"525.60.12", model.Some(12000), "12.0", model.Fail, "525.60.13", "525.60.13"},
		{"450.80.01", none, "11.8", model.Fail, "450.80.02", "520.61.05"},
		{"575.57.08", model.Some(12090), "13.0", model.Fail, "minimum for any CUDA 13.x", "580.65.06"},
		{"579.99", model.Some(12090), "13.0", model.Fail, "580", "580.65.06"},
		// 11.0's own driver predates the 11.x floor: not a fail.
		{"450.51.05", model.Some(11000), "11.0", model.Pass, "covers CUDA 11.0", "450.51.05"},
		{"450.36.06", none, "11.0", model.Fail, "450.80.02", "450.80.02"},
		// At or above the floor, the driver's own CUDA version decides.
		{"525.60.13", model.Some(12000), "12.0", model.Pass, "reports CUDA 12.0", "525.60.13"},
		{"535.104.05", model.Some(12020), "12.8", model.Warn, "error 222", "570.26"},
		{"570.26", model.Some(12080), "12.8", model.Pass, "covers CUDA 12.8", "570.26"},
		{"570.26", model.Some(12080), "12.8.1", model.Pass, "12.8 Update 1", "570.124.06"},
		{"580.65.06", model.Some(13000), "13.0", model.Pass, "not confirmed by a primary source", "580.65.06"},
		{"580.65.06", model.Some(13000), "13.2", model.Warn, "595.45.04", "595.45.04"},
		{"580.159.04", model.Some(13000), "13.4.1", model.Warn, "13.4 GA", ""},
		{"580.159.04", model.Some(13000), "13.4.2", model.Warn, "13.4 Update 1", ""},
		{"620.10", model.Some(13050), "13.4.2", model.Pass, "covers CUDA 13.4", ""},
		{"580.159.04", model.Some(13000), "13.9", model.Warn, "not in the release table", ""},
		// CUDA 10 has no minor-version compatibility: its own driver.
		{"440.33", none, "10.2", model.Pass, "which CUDA 10.2 needs", "440.33"},
		{"440.32", model.Some(10020), "10.2.89", model.Fail, "no minor-version compatibility", "440.33"},
		{"418.39", none, "10.2", model.Fail, "below 440.33", "440.33"},
		{"580.65.06", none, "9.2", model.Skip, "no minimum driver known for CUDA 9.2", ""},
		// Without NVML's answer an unconfirmed table row cannot pass.
		{"580.95.05", none, "13.0", model.Skip, "cannot be confirmed", "580.65.06"},
		{"570.124.05", none, "12.8.1", model.Warn, "570.124.06", "570.124.06"},
		{"580.159.04", none, "14.0", model.Skip, "no minimum driver known", ""},
		{"580.159.04", none, "cu130", model.Skip, "unreadable", ""},
	}
	for _, tt := range tests {
		j := judgeDriverForCUDA(MustVersion(tt.driver), tt.drvCUDA, tt.cuda)
		if j.status != tt.want || !strings.Contains(j.evidence, tt.needle) || j.need != tt.need {
			t.Errorf("driver %s (NVML %v), CUDA %s: %s need %q %q; want %s need %q containing %q", tt.driver, tt.drvCUDA, tt.cuda, j.status, j.need, j.evidence, tt.want, tt.need, tt.needle)
		}
		for _, bad := range []string{"UNVERIFIED", "compat.md"} {
			if strings.Contains(j.evidence, bad) {
				t.Errorf("evidence mentions %s: %s", bad, j.evidence)
			}
		}
	}
}

func TestDriverCUDARule(t *testing.T) {
	runRuleCases(t, driverCUDARule, []ruleCase{
		{name: "nvcc", id: "cuda.driver.nvcc", want: model.Pass, evidence: []string{"nvcc 13.0.88", "(NVML)", "covers CUDA 13.0"}},
		{name: "torch", id: "cuda.driver.torch", want: model.Pass, evidence: []string{"PyTorch 2.11.0+cu130"}},
		{name: "second torch gets its own id", id: "cuda.driver.torch2", want: model.Fail, evidence: []string{"/venv/torch/version.py", "minimum for any CUDA 13.x"},
			fix: []string{"580.65.06 or newer", "R580"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "575.57.08", model.Some(12090)
				f.Torch = append(f.Torch, model.TorchInstall{Path: "/venv/torch/version.py", Version: "2.11.0+cu130", CUDA: "13.0"})
			}},
		{name: "pip user below the floor gets a wheel for the driver", id: "cuda.driver.torch", want: model.Fail,
			fix: []string{"PyTorch wheel built for CUDA 12.8"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "570.124.06", model.Some(12080)
			}},
		{name: "toolkit user below the floor gets a toolkit for the driver", id: "cuda.driver.nvcc", want: model.Fail, evidence: []string{"below 580"},
			fix:    []string{"build with CUDA 12.8", "580.65.06 or newer"},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "570.124.06", model.Some(12080) }},
		{name: "torch between floor and full", id: "cuda.driver.torch", want: model.Warn, evidence: []string{"minor-version compatibility"},
			mutate: func(f *model.Facts) { f.Torch[0].CUDA = "13.2"; f.Torch[0].Version = "2.12.0+cu132" }},
		{name: "driver unknown", id: "cuda.driver.nvcc", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = ""; f.KernelModule = model.KernelModuleFacts{} }},
		{name: "nothing uses CUDA", id: "cuda.driver", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVCC = model.NVCCFacts{}; f.CUDALink = model.CUDAInstall{}; f.Torch = nil }},
		{name: "/usr/local/cuda update from version.json", id: "cuda.driver.usr_local_cuda", want: model.Pass, evidence: []string{"13.0 Update 2", "580.95.05"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "580.82.07"
				f.CUDALink.Version, f.CUDALink.VersionSource = "13.0.2", "version.json"
			}},
		{name: "data-center GPU below the floor is offered forward compatibility", id: "cuda.driver.nvcc", want: model.Fail,
			fix: []string{"forward-compatibility package"},
			mutate: func(f *model.Facts) {
				// R570 is a supported production branch until February 2026.
				f.Collected = model.TimestampOf(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
				f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "570.195.03", model.Some(12080)
			}},
		{name: "no forward compatibility from an end-of-life branch", id: "cuda.driver.nvcc", want: model.Fail,
			mutate: func(f *model.Facts) {
				f.Collected = model.TimestampOf(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
				f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "570.195.03", model.Some(12080)
			}},
	})
	// GeForce never gets the forward-compatibility package.
	f := healthyFacts()
	f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "570.195.03", model.Some(12080)
	f.NVML.GPUs[0].Info.Name = "NVIDIA GeForce RTX 4090"
	for _, r := range driverCUDARule(&f) {
		if strings.Contains(r.Fix, "forward-compatibility") || strings.Contains(strings.Join(r.Commands, " "), "cuda-compat") {
			t.Errorf("%s offers forward compatibility to a GeForce: %s", r.ID, r.Fix)
		}
	}
	// Each source once per check.
	f = healthyFacts()
	for _, r := range driverCUDARule(&f) {
		seen := map[string]bool{}
		for _, s := range r.Sources {
			if seen[s] {
				t.Errorf("%s cites %q twice", r.ID, s)
			}
			seen[s] = true
		}
		if len(r.Sources) == 0 {
			t.Errorf("%s cites nothing", r.ID)
		}
	}
}

func TestCUDAVersions(t *testing.T) {
	f := healthyFacts()
	v := CUDAVersions(f)
	if v.Driver != "13.0" || v.NVCC != "13.0" || v.CUDALink != "13.0" || len(v.Framework) != 1 || v.Framework[0].Runtime != "13.0" {
		t.Errorf("CUDAVersions = %+v", v)
	}
	f.Torch[0].CUDA = ""
	if s := CUDAVersions(f).String(); !strings.Contains(s, "runtime CPU-only") {
		t.Errorf("CPU-only torch rendered as %q", s)
	}
	runRuleCases(t, cudaVersionsRule, []ruleCase{
		{name: "all at or below the driver", id: "cuda.versions", want: model.Pass, evidence: []string{"driver supports 13.0", "nvcc 13.0", "torch 2.11.0+cu130 runtime 13.0"}},
		{name: "torch newer than the driver", id: "cuda.versions", want: model.Warn, evidence: []string{"newer than the driver's CUDA 12.8: torch 2.11.0+cu130 13.0"},
			mutate: func(f *model.Facts) {
				f.NVML.CUDADriverVersion = model.Some(12080)
				f.NVCC.Version, f.CUDALink.Version = "12.8", "12.8"
			}},
		{name: "driver's CUDA unknown", id: "cuda.versions", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML = model.NVMLFacts{ErrorCode: "DRIVER_NOT_LOADED"} }},
	})
}

func TestDriverCUDAWithForwardCompat(t *testing.T) {
	compat := func(active bool) func(*model.Facts) {
		return func(f *model.Facts) {
			f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "575.57.08", model.Some(12090)
			f.Environment.Probed = true
			f.Environment.ForwardCompat = []model.ForwardCompat{{Dir: "/usr/local/cuda-13.0/compat", LibCUDAVersion: "580.95.05",
				CUDAVersion: "13.0", Active: active, ActiveVia: "LD_LIBRARY_PATH"}}
		}
	}
	runRuleCases(t, driverCUDARule, []ruleCase{
		{name: "active cuda-compat runs CUDA 13 on R575", id: "cuda.driver.torch", want: model.Pass,
			evidence: []string{"forward-compatibility package for CUDA 13.0 is active", "LD_LIBRARY_PATH"}, mutate: compat(true)},
		{name: "installed but not on the loader's path", id: "cuda.driver.torch", want: model.Fail, mutate: compat(false)},
		{name: "GeForce: forward compatibility does not apply", id: "cuda.driver.torch", want: model.Fail,
			mutate: func(f *model.Facts) {
				compat(true)(f)
				f.NVML.GPUs[0].Info.Name = "NVIDIA GeForce RTX 4090"
			}},
	})
}

func TestCUDAVersionsWithForwardCompat(t *testing.T) {
	runRuleCases(t, cudaVersionsRule, []ruleCase{
		{name: "cuda-compat 13.0 on a 12.9 driver", id: "cuda.versions", want: model.Pass, evidence: []string{"raises it to CUDA 13.0"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion, f.NVML.CUDADriverVersion = "575.57.08", model.Some(12090)
				f.Environment.Probed = true
				f.Environment.ForwardCompat = []model.ForwardCompat{{Dir: "/usr/local/cuda-13.0/compat", LibCUDAVersion: "580.95.05", CUDAVersion: "13.0", Active: true}}
			}},
	})
}
