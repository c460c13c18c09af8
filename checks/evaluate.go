package checks

import (
	"strings"

	"github.com/gputop/gputop/model"
)

// rule is one check: a pure function of the facts.
type rule struct {
	name string
	live bool // depends on readings that change while gputop runs
	eval func(*model.Facts) []model.CheckResult
	// needs are the fact sections (JSON keys of model.Facts) the rule
	// reads; when a recording lacks one, the rule skips: not recorded is
	// unknown, not absent.
	needs []string
}

// run evaluates the rule and marks a live rule's results live.
func (r rule) run(f *model.Facts) []model.CheckResult {
	var missing []string
	for _, n := range r.needs {
		if !f.Recorded(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return []model.CheckResult{{ID: r.name, Title: r.name, Status: model.Skip, Live: r.live,
			Evidence: "not judged: the recording holds no " + strings.Join(missing, ", ") + " facts (unknown, not absent)"}}
	}
	rs := r.eval(f)
	if r.live {
		for i := range rs {
			rs[i].Live = true
		}
	}
	return rs
}

// rules in display order within a status group.
var rules = []rule{
	{"driver.loaded", false, driverLoadedRule, []string{"kernel_module"}},
	{"driver.module", false, driverModuleRule, []string{"kernel_module"}},
	{"driver.branch", false, driverBranchRule, nil},
	{"nvml.library", false, nvmlLibraryRule, []string{"nvml_library", "kernel_module"}},
	{"driver.libcuda", false, cudaLibraryRule, []string{"cuda_library", "kernel_module"}},
	{"pci.gpus", false, pciGPUsRule, []string{"pci"}},
	{"bar1", false, bar1Rule, []string{"pci"}},
	{"cuda.toolkit", false, toolkitRule, []string{"nvcc", "cuda_link", "toolkits"}},
	{"cuda.driver", false, driverCUDARule, nil},
	{"cuda.versions", false, cudaVersionsRule, nil},
	{"cudnn.installs", false, cudnnInstallsRule, []string{"cudnn"}},
	{"cudnn", false, cudnnCompatRule, []string{"cudnn"}},
	{"torch.install", false, torchInstallRule, []string{"torch"}},
	{"torch.arch", false, torchArchRule, []string{"torch"}},
	{"cc", false, ccToolkitRule, nil},
	{"persistence", false, persistenceRule, nil},
	{"compute_mode", false, computeModeRule, nil},
	{"mig", false, migRule, nil},
	{"power_limit", false, powerLimitRule, nil},
	{"health", true, healthRule, nil},
	{"xid", true, xidRule, nil},
	{"pcie", true, pcieRule, nil},
	{"throttle", true, throttleRule, nil},
	{"memory", true, memoryErrorsRule, nil},
	{"access.devnodes", false, devNodesRule, []string{"dev_nodes"}},
	{"access.container", false, containerRule, []string{"container"}},
	{"access.visible_devices", false, visibleDevicesRule, []string{"env"}},
	{"access.profiler_env", false, profilerEnvRule, []string{"env"}},
	{"fabric.manager", false, fabricRule, nil},
}

// Evaluate runs every rule. It reads nothing but f, so the UI may call it
// as often as it likes.
func Evaluate(f model.Facts) []model.CheckResult {
	out := make([]model.CheckResult, 0, 64)
	for _, r := range rules {
		out = append(out, r.run(&f)...)
	}
	out = gateLostGPUs(&f, applyEnvironment(&f, out)) // judge in the environment's terms (rules_env.go)
	return Link(out)
}

// gateLostGPUs: no per-GPU check passes for a GPU that is lost or failing;
// its readings are the last ones that arrived. The rules skip such GPUs
// themselves; this catches any rule (present or future) that does not.
func gateLostGPUs(f *model.Facts, out []model.CheckResult) []model.CheckResult {
	bad := map[int]model.GPUFacts{}
	for _, g := range f.NVML.GPUs {
		if g.Health.State == model.Lost || g.Health.State == model.Failed {
			bad[g.Info.Index] = g
		}
	}
	if len(bad) == 0 {
		return out
	}
	for i := range out {
		r := &out[i]
		g, ok := bad[r.GPU.V]
		if !r.GPU.OK || !ok || r.Status != model.Pass || strings.HasPrefix(r.ID, "health.") {
			continue
		}
		note, _ := notCurrent(g)
		r.Status, r.Evidence = model.Skip, note+"; "+r.Evidence
	}
	return out
}

// EvaluateLive runs only the rules that depend on live readings (health,
// Xids, PCIe link, throttling, memory errors): what the UI re-evaluates on each new sample.
func EvaluateLive(f model.Facts) []model.CheckResult {
	out := make([]model.CheckResult, 0, 3*len(f.NVML.GPUs))
	for _, r := range rules {
		if r.live {
			out = append(out, r.run(&f)...)
		}
	}
	return gateLostGPUs(&f, out)
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
	return Link(out)
}
