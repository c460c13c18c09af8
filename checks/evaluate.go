package checks

import "github.com/gputop/gputop/model"

// rule is one check: a pure function of the facts.
type rule struct {
	name string
	live bool // depends on readings that change while gputop runs
	eval func(*model.Facts) []model.CheckResult
}

// rules in display order within a status group.
var rules = []rule{
	{"driver.loaded", false, driverLoadedRule},
	{"driver.module", false, driverModuleRule},
	{"driver.branch", false, driverBranchRule},
	{"nvml.library", false, nvmlLibraryRule},
	{"driver.libcuda", false, cudaLibraryRule},
	{"pci.gpus", false, pciGPUsRule},
	{"bar1", false, bar1Rule},
	{"cuda.toolkit", false, toolkitRule},
	{"cuda.driver", false, driverCUDARule},
	{"cuda.versions", false, cudaVersionsRule},
	{"cudnn.installs", false, cudnnInstallsRule},
	{"cudnn", false, cudnnCompatRule},
	{"torch.install", false, torchInstallRule},
	{"torch.arch", false, torchArchRule},
	{"cc", false, ccToolkitRule},
	{"persistence", false, persistenceRule},
	{"compute_mode", false, computeModeRule},
	{"mig", false, migRule},
	{"power_limit", false, powerLimitRule},
	{"pcie", true, pcieRule},
	{"throttle", true, throttleRule},
	{"memory", true, memoryErrorsRule},
	{"access.devnodes", false, devNodesRule},
	{"access.container", false, containerRule},
	{"access.visible_devices", false, visibleDevicesRule},
	{"access.profiler_env", false, profilerEnvRule},
	{"fabric.manager", false, fabricRule},
}

// Evaluate runs every rule. It reads nothing but f, so the UI may call it
// as often as it likes.
func Evaluate(f model.Facts) []model.CheckResult {
	out := make([]model.CheckResult, 0, 64)
	for _, r := range rules {
		out = append(out, r.eval(&f)...)
	}
	return applyEnvironment(&f, out) // judge in the environment's terms (rules_env.go)
}

// EvaluateLive runs only the rules that depend on live readings (PCIe link,
// throttling, memory errors): what the UI re-evaluates on each new sample.
func EvaluateLive(f model.Facts) []model.CheckResult {
	out := make([]model.CheckResult, 0, 3*len(f.NVML.GPUs))
	for _, r := range rules {
		if r.live {
			out = append(out, r.eval(&f)...)
		}
	}
	return out
}

// MergeLive returns a copy of results in which every live result is
// replaced by the one with the same id from live (EvaluateLive's output);
// live results with new ids are appended. The UI keeps the full checklist
// and refreshes only its live rows on each sample.
func MergeLive(results, live []model.CheckResult) []model.CheckResult {
	byID := make(map[string]int, len(live))
	for i, r := range live {
		byID[r.ID] = i
	}
	used := make([]bool, len(live))
	out := make([]model.CheckResult, 0, len(results)+len(live))
	for _, r := range results {
		if i, ok := byID[r.ID]; ok {
			out = append(out, live[i])
			used[i] = true
			continue
		}
		if r.Live {
			continue // a live row whose GPU no longer reports
		}
		out = append(out, r)
	}
	for i, r := range live {
		if !used[i] {
			out = append(out, r)
		}
	}
	return out
}
