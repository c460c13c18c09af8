package checks

import (
	"strings"
	"testing"

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
	tests := []struct {
		driver, cuda string
		update       model.Opt[int]
		want         model.Status
		evidence     string
	}{
		{"570.26", "12.8", model.None[int](), model.Pass, "570.26, which CUDA 12.8 GA"},
		{"570.26", "12.8", model.Some(1), model.Warn, "570.124.06"},
		{"570.124.06", "12.8.1", model.Some(1), model.Pass, "Update 1"},
		{"570.124.06", "12.8", model.None[int](), model.Pass, "570.26"},
		{"535.104.05", "12.8", model.None[int](), model.Warn, "minor-version compatibility"},
		{"525.60.13", "12.9", model.None[int](), model.Warn, "error 222"},
		{"520.61.05", "12.0", model.None[int](), model.Fail, "minimum for any CUDA 12.x"},
		{"450.80.02", "11.8", model.None[int](), model.Warn, "520.61.05"},
		{"450.51.06", "11.8", model.None[int](), model.Fail, "450.80.02"},
		{"575.57.08", "13.0", model.None[int](), model.Fail, "CUDA 13.x"},
		{"580.65.06", "13.0", model.None[int](), model.Pass, ""},
		{"580.65.06", "13.2", model.None[int](), model.Warn, "595.45.04"},
		{"590.48.01", "13.4", model.None[int](), model.Warn, "UNVERIFIED"},
		{"620.10", "13.4", model.None[int](), model.Pass, "UNVERIFIED"},
		{"580.159.04", "13.9", model.None[int](), model.Warn, "not in the release table"},
		{"580.159.04", "14.0", model.None[int](), model.Skip, "no driver floor"},
		{"580.159.04", "cu130", model.None[int](), model.Skip, "unreadable"},
		{"580.95.05", "13.0", model.None[int](), model.Pass, ""},
		{"450.51.06", "11.0", model.Some(1), model.Pass, "Update 1"}, // 11.0's own driver predates the 11.x floor
		{"450.36.06", "11.0", model.None[int](), model.Fail, "450.80.02"},
		{"580.82.07", "13.0", model.None[int](), model.Pass, "later updates need up to 580.95.05"},
	}
	for _, tt := range tests {
		st, ev := judgeDriverForCUDA(MustVersion(tt.driver), tt.cuda, tt.update)
		if st != tt.want || !strings.Contains(ev, tt.evidence) {
			t.Errorf("driver %s, CUDA %s (update %v): %s %q, want %s containing %q", tt.driver, tt.cuda, tt.update, st, ev, tt.want, tt.evidence)
		}
	}
}

func TestDriverCUDARule(t *testing.T) {
	runRuleCases(t, driverCUDARule, []ruleCase{
		{name: "nvcc", id: "cuda.driver.nvcc", want: model.Pass, evidence: []string{"nvcc 13.0.88", "driver from NVML"}},
		{name: "torch", id: "cuda.driver.torch", want: model.Pass, evidence: []string{"PyTorch 2.11.0+cu130"}},
		{name: "second torch gets its own id", id: "cuda.driver.torch2", want: model.Fail, evidence: []string{"CUDA 13.2"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "575.57.08"
				f.Torch = append(f.Torch, model.TorchInstall{Path: "/venv/torch/version.py", Version: "2.12.0+cu132", CUDA: "13.2"})
			}},
		{name: "torch between floor and full", id: "cuda.driver.torch", want: model.Warn, evidence: []string{"minor-version compatibility"},
			mutate: func(f *model.Facts) { f.Torch[0].CUDA = "13.1"; f.Torch[0].Version = "2.12.0+cu131" }},
		{name: "old driver", id: "cuda.driver.nvcc", want: model.Fail, evidence: []string{"< 580"},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = "570.124.06" }},
		{name: "driver unknown", id: "cuda.driver.nvcc", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = ""; f.KernelModule = model.KernelModuleFacts{} }},
		{name: "nothing uses CUDA", id: "cuda.driver", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVCC = model.NVCCFacts{}; f.CUDALink = model.CUDAInstall{}; f.Torch = nil }},
		{name: "/usr/local/cuda update from version.json", id: "cuda.driver.usr_local_cuda", want: model.Warn, evidence: []string{"Update 2", "580.95.05"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "580.82.07"
				f.CUDALink.Version, f.CUDALink.VersionSource = "13.0.2", "version.json"
			}},
	})
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
