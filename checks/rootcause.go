package checks

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gputop/gputop/model"
)

// The root-cause graph. One cause often fails many checks: with no NVIDIA
// GPU on the PCI bus the driver, NVML, libcuda and every CUDA check fail
// too. Users need the cause first; the others stay visible, marked
// "follows from <root>", and count once (with their root) in the summary
// and the exit status.
//
// The graph is a table of edges. An edge names a root check (by id, and
// optionally the Cause its result gives) and the checks that follow from it
// when the root FAILS. Patterns:
//
//	"driver.loaded"                      one check id
//	"driver.loaded:module-not-loaded"    (root only) that id with that Cause
//	"driver.*"                           ids starting with "driver."
//	"health.gpu#"                        (root) any per-GPU health result;
//	"*.gpu#"                             (follower) per-GPU results of the SAME GPU
//
// Edges are applied in Order (lower first: closer to the hardware); a root
// that itself follows an earlier root passes its followers on to that root,
// so every follower names the first cause to fix.
//
// Other files add their edges from init with AddRootEdges (rules_env.go:
// container capabilities, Slurm, WSL2).

// RootEdge is one edge of the root-cause graph.
type RootEdge struct {
	Root      string   // "id" or "id:cause"; "#" in a per-GPU id stands for any GPU index
	Followers []string // id patterns; "*" any text, "#" the root's GPU index
	// Order: 10 PCI bus / container, 20 driver vs card, 30 kernel module,
	// 40 user-space libraries, 50 per-GPU health, 60 the CUDA stack.
	Order int
	// OnWarn: the root links its followers when it warns too (a summary
	// check that repeats a warning).
	OnWarn bool
}

// driverSide are the checks that cannot succeed without a GPU the driver
// drives.
var driverSide = append([]string{"driver.loaded", "driver.module", "driver.branch", "driver.libcuda", "nvml.*", "access.devnodes", "cuda.driver*", "cuda.versions",
	"torch.install", "torch.arch*", "cc.*", "bar1.*", "fabric.manager", "xid*", "health.*"}, cudnnBuilds...)

// cudnnBuilds are the per-install cuDNN results (cudnn.pip, cudnn.system,
// cudnn.toolkit, cudnn.conda, with a suffix when one origin repeats), not
// cudnn.installs, which compares versions and holds without a GPU.
var cudnnBuilds = []string{"cudnn.pip*", "cudnn.system*", "cudnn.toolkit*", "cudnn.conda*"}

// stack are the CUDA-side checks a driver problem drags down.
var stack = append([]string{"cuda.driver*", "cuda.versions", "torch.install"}, cudnnBuilds...)

var rootEdges = []RootEdge{
	// Nothing NVIDIA on the bus (a host without a GPU, a VM without
	// passthrough, a container given none): every driver-side check follows.
	{Root: "pci.gpus:no-gpu-on-bus", Order: 10, Followers: append([]string{"env.container", "env.libraries", "env.forward_compat", "hw.*"}, driverSide...)},
	// In a container given no GPU, the environment checks (rules_env.go:
	// capabilities, libraries, forward compatibility) repeat the cause.
	{Root: "pci.gpus:container-no-gpu", Order: 10, Followers: append([]string{"access.container", "access.visible_devices", "env.*", "hw.*"}, driverSide...)},
	// A GPU whose BAR the firmware could not place is why NVML misses it.
	{Root: "bar1.pci-*", Order: 15, Followers: []string{"pci.gpus"}},
	// nouveau holds the GPU: the nvidia module cannot take it.
	{Root: "pci.gpus:nouveau", Order: 25, Followers: append([]string{"driver.loaded", "nvml.library", "driver.libcuda", "access.devnodes"}, stack...)},
	// The installed branch cannot drive the card, or the card needs the
	// open module: the GPU does not initialise.
	{Root: "driver.branch:cannot-drive", Order: 20, Followers: append([]string{"pci.gpus", "access.devnodes", "nvml.library"}, stack...)},
	{Root: "driver.module:needs-open", Order: 20, Followers: append([]string{"pci.gpus", "access.devnodes", "nvml.library"}, stack...)},
	// The kernel module is not loaded: NVML, libcuda and CUDA follow.
	{Root: "driver.loaded:module-not-loaded", Order: 30, Followers: append([]string{"nvml.library", "driver.libcuda", "access.devnodes", "bar1.gpu*"}, stack...)},
	// Library and module from different driver versions.
	{Root: "nvml.library:version-mismatch", Order: 40, Followers: append([]string{"driver.libcuda", "pci.gpus"}, stack...)},
	// A lost or erroring GPU: its other per-GPU findings are consequences.
	{Root: "health.gpu#", Order: 50, Followers: []string{"*.gpu#"}},
	// A wheel without kernels for this GPU's architecture: its cuDNN and
	// torch findings follow.
	// Only the wheel's own cuDNN (pip) follows; a system or toolkit cuDNN
	// is judged on its own.
	// A driver too old for the wheel's CUDA: the wheel's own checks and
	// the CUDA summary repeat it.
	{Root: "cuda.driver.torch", Order: 55, Followers: []string{"torch.install", "cudnn.pip*", "cuda.versions"}},
	// cuda.versions summarises the cuda.driver.* verdicts.
	{Root: "cuda.driver.*", Order: 58, OnWarn: true, Followers: []string{"cuda.versions"}},
	{Root: "torch.arch.gpu#", Order: 60, Followers: []string{"torch.install", "torch.arch.*", "cudnn.pip*"}},
	// The wheel's cuDNN without kernels for the GPU, while the torch row is
	// not confirmed (warn): one cause (a wheel older than the GPU), one fix
	// (a newer wheel), so the torch findings follow.
	{Root: "cudnn.pip*", Order: 62, Followers: []string{"torch.arch.*", "torch.install"}},
}

// AddRootEdges adds edges to the graph. Call it from init only (the graph
// is read without locks).
func AddRootEdges(es ...RootEdge) { rootEdges = append(rootEdges, es...) }

// RootEdges returns a copy of the graph in the order it is applied.
func RootEdges() []RootEdge {
	out := append([]RootEdge(nil), rootEdges...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}

// patternRE turns an id pattern into a regular expression; gpu replaces "#"
// ("" for any index).
func patternRE(pat, gpu string) *regexp.Regexp {
	if gpu == "" {
		gpu = `\d+`
	}
	q := regexp.QuoteMeta(pat)
	q = strings.ReplaceAll(q, `\*`, `.*`)
	q = strings.ReplaceAll(q, `#`, gpu)
	return regexp.MustCompile("^" + q + "$")
}

// patternCache holds compiled patterns: the UI links results on every
// sample, possibly from several goroutines.
var patternCache sync.Map

func matchPattern(pat, gpu, id string) bool {
	key := pat + "\x00" + gpu
	if re, ok := patternCache.Load(key); ok {
		return re.(*regexp.Regexp).MatchString(id)
	}
	re := patternRE(pat, gpu)
	patternCache.Store(key, re)
	return re.MatchString(id)
}

// Link applies the root-cause graph to results: it sets FollowsFrom on
// every fail or warn that follows from a failing root, and Root on the
// roots that have followers. It returns a new slice; rs is not changed.
func Link(rs []model.CheckResult) []model.CheckResult {
	out := make([]model.CheckResult, len(rs))
	copy(out, rs)
	for i := range out {
		out[i].FollowsFrom, out[i].Root = "", false
	}
	byID := make(map[string]int, len(out))
	for i, r := range out {
		byID[r.ID] = i
	}
	for _, e := range RootEdges() {
		rootPat, cause, _ := strings.Cut(e.Root, ":")
		for i := range out {
			root := out[i]
			active := root.Status == model.Fail || (e.OnWarn && root.Status == model.Warn)
			if !active || (cause != "" && root.Cause != cause) || !matchPattern(rootPat, "", root.ID) {
				continue
			}
			gpu := ""
			if strings.Contains(rootPat, "#") && root.GPU.OK {
				gpu = strconv.Itoa(root.GPU.V)
			}
			top := topOf(out, byID, i)
			for j := range out {
				r := &out[j]
				if j == i || r.FollowsFrom != "" || (r.Status != model.Fail && r.Status != model.Warn) {
					continue
				}
				if r.Status.Rank() < root.Status.Rank() {
					continue // a fail never hides under a warning
				}
				if topOf(out, byID, j) == top {
					continue // would close a cycle
				}
				for _, fp := range e.Followers {
					if strings.Contains(fp, "#") && gpu == "" {
						continue
					}
					if matchPattern(fp, gpu, r.ID) {
						r.FollowsFrom = out[top].ID
						break
					}
				}
			}
		}
	}
	// A root that became a follower hands its followers to its own root.
	for i := range out {
		if out[i].FollowsFrom != "" {
			out[i].FollowsFrom = out[topOf(out, byID, i)].ID
		}
	}
	for _, r := range out {
		if r.FollowsFrom != "" {
			out[byID[r.FollowsFrom]].Root = true
		}
	}
	return out
}

// topOf follows FollowsFrom links from result i to the first result that
// follows nothing (bounded, so a malformed chain cannot loop).
func topOf(rs []model.CheckResult, byID map[string]int, i int) int {
	for n := 0; n < len(rs) && rs[i].FollowsFrom != ""; n++ {
		j, ok := byID[rs[i].FollowsFrom]
		if !ok {
			break
		}
		i = j
	}
	return i
}
