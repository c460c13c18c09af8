package checks

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func TestHealthyFactsPass(t *testing.T) {
	// The measured H100 machine: nothing may warn or fail. Skips are only
	// the checks that do not apply there.
	// driver.branch: Hopper's R520 floor is not confirmed by a primary
	// source, so it may skip but never pass. cudnn.system: the measured
	// machine's cuDNN 9.14 has no support-matrix row read from NVIDIA.
	allowedSkips := map[string]bool{"access.container": true, "fabric.manager": true, "driver.branch": true, "cudnn.system": true,
		// Absent is not a fault: the measured machine has none of these.
		"tensorrt": true, "nccl": true, "nccl.env": true, "jax": true, "tensorflow": true, "ext": true, "image.cuda": true}
	for _, r := range Evaluate(healthyFacts()) {
		switch r.Status {
		case model.Pass:
		case model.Skip:
			if !allowedSkips[r.ID] {
				t.Errorf("%s skipped on the healthy machine: %s", r.ID, r.Evidence)
			}
		default:
			t.Errorf("%s = %s on the healthy machine: %s", r.ID, r.Status, r.Evidence)
		}
	}
}

func blackwell(index int) model.GPUFacts {
	g := h100(index)
	g.Info = gpuInfo(index, "NVIDIA B200", 10, 0, 180*gib, 256*gib)
	return g
}

func TestDriverLoadedRule(t *testing.T) {
	runRuleCases(t, driverLoadedRule, []ruleCase{
		{name: "open module", id: "driver.loaded", want: model.Pass, evidence: []string{"580.159.04", "open kernel module", "/proc/driver/nvidia/version"}},
		{name: "proprietary module", id: "driver.loaded", want: model.Pass, evidence: []string{"proprietary kernel module"},
			mutate: func(f *model.Facts) { f.KernelModule.Open = model.Some(false) }},
		{name: "not loaded", id: "driver.loaded", want: model.Fail, evidence: []string{"/proc/driver/nvidia/version absent", "DRIVER_NOT_LOADED", "1 NVIDIA GPU(s) on the PCI bus"},
			mutate: func(f *model.Facts) {
				f.KernelModule = model.KernelModuleFacts{Error: "no such file"}
				f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "DRIVER_NOT_LOADED"}
			}},
		{name: "not loaded, nouveau", id: "driver.loaded", want: model.Fail, evidence: []string{"nouveau, the open-source driver, is loaded"}, fix: []string{"Blacklist nouveau"},
			mutate: func(f *model.Facts) {
				f.KernelModule = model.KernelModuleFacts{NouveauLoaded: true}
				f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "DRIVER_NOT_LOADED"}
			}},
		{name: "proc hidden but NVML answers", id: "driver.loaded", want: model.Pass, evidence: []string{"answers through NVML", "not readable here"},
			mutate: func(f *model.Facts) {
				f.KernelModule = model.KernelModuleFacts{Error: "open /proc/driver/nvidia/version: no such file or directory"}
			}},
		{name: "version unreadable", id: "driver.loaded", want: model.Warn, evidence: []string{"no version"},
			mutate: func(f *model.Facts) { f.KernelModule.Version = "" }},
	})
	f := healthyFacts()
	f.KernelModule = model.KernelModuleFacts{NouveauLoaded: true}
	f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "DRIVER_NOT_LOADED"}
	r := driverLoadedRule(&f)[0]
	if !contains(r.Fix, "Blacklist") || len(r.Commands) < 2 {
		t.Errorf("nouveau case should say how to blacklist it: %q %v", r.Fix, r.Commands)
	}
}

func TestDriverModuleRule(t *testing.T) {
	runRuleCases(t, driverModuleRule, []ruleCase{
		{name: "hopper on open", id: "driver.module", want: model.Pass, evidence: []string{"Hopper", "open module"}},
		{name: "hopper on proprietary", id: "driver.module", want: model.Pass,
			mutate: func(f *model.Facts) { f.KernelModule.Open = model.Some(false) }},
		{name: "blackwell by cc on proprietary (row unconfirmed: warn)", id: "driver.module", want: model.Warn, evidence: []string{"needs the open module", "cc 10.0", "not confirmed by a primary source"}, fix: []string{"open kernel module"},
			mutate: func(f *model.Facts) {
				f.KernelModule.Open = model.Some(false)
				f.NVML.GPUs = []model.GPUFacts{blackwell(0)}
			}},
		{name: "blackwell by PCI id, NVML blind", id: "driver.module", want: model.Warn, evidence: []string{"10de:2b85", "classified by PCI id", "not the driver README"},
			mutate: func(f *model.Facts) {
				f.KernelModule.Open = model.Some(false)
				f.NVML = model.NVMLFacts{Source: "nvml", Opened: true}
				f.PCI.Devices[0].Device = 0x2b85
			}},
		{name: "pascal on open", id: "driver.module", want: model.Fail, evidence: []string{"not supported by the open module", "Pascal"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla P100-PCIE-16GB", 6, 0, 16*gib, 16*gib)
			}},
		{name: "module not loaded", id: "driver.module", want: model.Skip,
			mutate: func(f *model.Facts) { f.KernelModule = model.KernelModuleFacts{} }},
		{name: "no gpu known", id: "driver.module", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs = nil; f.PCI.Devices = nil }},
	})
}

func TestDriverBranchRule(t *testing.T) {
	runRuleCases(t, driverBranchRule, []ruleCase{
		{name: "hopper on 580 (R520 floor unconfirmed: skip, never pass)", id: "driver.branch", want: model.Skip, evidence: []string{"580.159.04 (NVML)", "R520+", "not confirmed"}},
		{name: "blackwell on 565", id: "driver.branch", want: model.Warn, evidence: []string{"needs driver R570+"}, fix: []string{"R570 or newer"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "565.57.01"
				f.NVML.GPUs = []model.GPUFacts{blackwell(0)}
			}},
		{name: "b300 on 575", id: "driver.branch", want: model.Warn, evidence: []string{"R580+"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "575.57.08"
				g := blackwell(0)
				g.Info.CCMinor = model.Some(3)
				f.NVML.GPUs = []model.GPUFacts{g}
			}},
		{name: "volta beyond R580", id: "driver.branch", want: model.Warn, evidence: []string{"only up to R580"}, fix: []string{"R580 branch or older"},
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = "590.44.01"
				f.NVML.GPUs[0].Info = gpuInfo(0, "Tesla V100-SXM2-32GB", 7, 0, 32*gib, 32*gib)
			}},
		{name: "kepler by PCI id beyond R470", id: "driver.branch", want: model.Warn, evidence: []string{"only up to R470", "classified by PCI id"},
			mutate: func(f *model.Facts) {
				f.NVML = model.NVMLFacts{Source: "nvml", Opened: true}
				f.PCI.Devices[0].Device = 0x102d
			}},
		{name: "ada row is unverified: never a pass", id: "driver.branch", want: model.Skip, evidence: []string{"not confirmed by a primary source"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Info = gpuInfo(0, "NVIDIA L40S", 8, 9, 48*gib, 64*gib)
			}},
		{name: "driver from kernel module when NVML is down", id: "driver.branch", want: model.Skip, evidence: []string{"/proc/driver/nvidia/version"},
			mutate: func(f *model.Facts) { f.NVML.DriverVersion = "" }},
		{name: "driver unknown", id: "driver.branch", want: model.Skip,
			mutate: func(f *model.Facts) {
				f.NVML.DriverVersion = ""
				f.KernelModule = model.KernelModuleFacts{}
				f.NVMLLibrary.Version, f.CUDALibrary.Version = "", ""
			}},
		{name: "module not loaded: the installed library's version is judged", id: "driver.branch", want: model.Warn,
			evidence: []string{"driver 550.144.03 (file name /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.144.03, installed; its kernel module is not loaded)", "needs driver R570+", "classified by PCI id"},
			fix:      []string{"R570 or newer"},
			mutate: func(f *model.Facts) {
				f.KernelModule = model.KernelModuleFacts{Error: "no such file", Install: "deb"}
				f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "DRIVER_NOT_LOADED", GPUs: []model.GPUFacts{}}
				f.NVMLLibrary.Version, f.NVMLLibrary.RealPath = "550.144.03", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.144.03"
				f.PCI.Devices[0].Device = 0x2b85 // RTX 5090
			}},
		{name: "no gpus", id: "driver.branch", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs = nil; f.PCI.Devices = nil }},
	})
}

func TestNVMLLibraryRule(t *testing.T) {
	runRuleCases(t, nvmlLibraryRule, []ruleCase{
		{name: "matching and open", id: "nvml.library", want: model.Pass, evidence: []string{"libnvidia-ml.so.580.159.04", "kernel module 580.159.04"}},
		{name: "mismatch from NVML", id: "nvml.library", want: model.Fail, evidence: []string{"LIB_RM_VERSION_MISMATCH"}, fix: []string{"Reboot", "hold the driver package"},
			mutate: func(f *model.Facts) { f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "LIB_RM_VERSION_MISMATCH"} }},
		{name: "mismatch from file name", id: "nvml.library", want: model.Fail, evidence: []string{"version 580.95.05 from the file name", "kernel module 580.159.04"},
			mutate: func(f *model.Facts) {
				f.NVMLLibrary.Version = "580.95.05"
				f.NVMLLibrary.RealPath = "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.95.05"
				f.NVML = model.NVMLFacts{}
			}},
		{name: "library not found", id: "nvml.library", want: model.Fail, evidence: []string{"not found"},
			mutate: func(f *model.Facts) {
				f.NVMLLibrary = model.LibraryFacts{Error: "libnvidia-ml.so.1 not found in /usr/lib"}
				f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "LIBRARY_NOT_FOUND"}
			}},
		{name: "library not found in a container", id: "nvml.library", want: model.Fail, evidence: []string{"LIBRARY_NOT_FOUND"}, fix: []string{"--gpus all"},
			mutate: func(f *model.Facts) {
				f.NVMLLibrary = model.LibraryFacts{Error: "libnvidia-ml.so.1 not found in /usr/lib"}
				f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "LIBRARY_NOT_FOUND"}
				f.Container = model.ContainerFacts{Detected: true, Kind: "docker"}
			}},
		{name: "no permission", id: "nvml.library", want: model.Fail, evidence: []string{"NO_PERMISSION", "/dev/nvidia"},
			mutate: func(f *model.Facts) { f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "NO_PERMISSION"} }},
		{name: "unknown error code", id: "nvml.library", want: model.Fail, evidence: []string{"WEIRD"},
			mutate: func(f *model.Facts) {
				f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "WEIRD", ErrorMessage: "WEIRD"}
			}},
		{name: "not queried but file name matches", id: "nvml.library", want: model.Pass,
			mutate: func(f *model.Facts) { f.NVML = model.NVMLFacts{} }},
		{name: "cannot compare", id: "nvml.library", want: model.Skip, evidence: []string{"cannot compare"},
			mutate: func(f *model.Facts) { f.NVML = model.NVMLFacts{}; f.KernelModule = model.KernelModuleFacts{} }},
	})
	f := healthyFacts()
	f.NVML = model.NVMLFacts{Source: "nvml", ErrorCode: "LIB_RM_VERSION_MISMATCH"}
	r := nvmlLibraryRule(&f)[0]
	if len(r.Commands) == 0 || !contains(r.Fix, "Reboot") {
		t.Errorf("mismatch fix: %q %v", r.Fix, r.Commands)
	}
}

func TestCUDALibraryRule(t *testing.T) {
	runRuleCases(t, cudaLibraryRule, []ruleCase{
		{name: "present", id: "driver.libcuda", want: model.Pass, evidence: []string{"libcuda.so.580.159.04"}},
		{name: "missing", id: "driver.libcuda", want: model.Warn, evidence: []string{"not found"},
			mutate: func(f *model.Facts) { f.CUDALibrary = model.LibraryFacts{Error: "libcuda.so.1 not found"} }},
		{name: "other version", id: "driver.libcuda", want: model.Fail, evidence: []string{"library 570.124.06 vs kernel module 580.159.04"},
			mutate: func(f *model.Facts) { f.CUDALibrary.Version = "570.124.06" }},
	})
}
