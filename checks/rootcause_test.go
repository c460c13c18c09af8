package checks

import (
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

func res(id string, st model.Status, cause string) model.CheckResult {
	return model.CheckResult{ID: id, Title: id, Status: st, Evidence: "e", Cause: cause}
}

func gres(id string, gpu int, st model.Status) model.CheckResult {
	r := res(id, st, "")
	r.GPU = model.Some(gpu)
	return r
}

func byID(rs []model.CheckResult) map[string]model.CheckResult {
	m := map[string]model.CheckResult{}
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

func TestLinkNoGPUOnBus(t *testing.T) {
	rs := Link([]model.CheckResult{
		res("driver.loaded", model.Fail, "module-not-loaded"),
		res("nvml.library", model.Fail, ""),
		res("pci.gpus", model.Fail, "no-gpu-on-bus"),
		res("driver.libcuda", model.Warn, ""),
		res("cuda.toolkit", model.Warn, ""), // independent of the GPU
		res("access.profiler_env", model.Pass, ""),
	})
	m := byID(rs)
	for _, id := range []string{"driver.loaded", "nvml.library", "driver.libcuda"} {
		if m[id].FollowsFrom != "pci.gpus" {
			t.Errorf("%s follows %q, want pci.gpus (transitively through driver.loaded)", id, m[id].FollowsFrom)
		}
	}
	if !m["pci.gpus"].Root || m["pci.gpus"].FollowsFrom != "" {
		t.Errorf("pci.gpus: root %v follows %q", m["pci.gpus"].Root, m["pci.gpus"].FollowsFrom)
	}
	if m["driver.loaded"].Root {
		t.Error("driver.loaded handed its followers on but is still a root")
	}
	if m["cuda.toolkit"].FollowsFrom != "" || m["access.profiler_env"].FollowsFrom != "" {
		t.Error("an unrelated result or a pass was linked")
	}
	s := Summarize(rs)
	if s.Fail != 1 || s.Warn != 1 || s.Follows != 3 || s.Pass != 1 || s.Total != 6 {
		t.Errorf("summary %+v: want 1 fail (the root), 1 warn (cuda.toolkit), 3 following", s)
	}
	if !strings.Contains(s.String(), "3 more follow from a root cause") {
		t.Errorf("summary text %q", s.String())
	}
	sorted := Sorted(rs)
	want := []string{"pci.gpus", "driver.loaded", "nvml.library", "driver.libcuda", "cuda.toolkit", "access.profiler_env"}
	for i, id := range want {
		if sorted[i].ID != want[i] {
			t.Fatalf("sorted[%d] = %s, want %s (root first, its followers under it)", i, sorted[i].ID, id)
		}
	}
}

func TestLinkRootNeedsFailAndCause(t *testing.T) {
	// pci.gpus failing for another reason (GPUs unseen) is no root of the
	// driver checks; a passing root links nothing.
	rs := Link([]model.CheckResult{res("pci.gpus", model.Fail, "unseen"), res("nvml.library", model.Fail, "")})
	if byID(rs)["nvml.library"].FollowsFrom != "" {
		t.Error("a root with another cause linked a follower")
	}
	rs = Link([]model.CheckResult{res("driver.loaded", model.Pass, "module-not-loaded"), res("nvml.library", model.Fail, "")})
	if byID(rs)["nvml.library"].FollowsFrom != "" {
		t.Error("a passing root linked a follower")
	}
	if ExitCode(rs) != 1 {
		t.Error("an unlinked fail must still exit 1")
	}
}

func TestLinkPerGPU(t *testing.T) {
	rs := Link([]model.CheckResult{
		gres("health.gpu1", 1, model.Fail),
		gres("xid.gpu1", 1, model.Fail),
		gres("xid.gpu0", 0, model.Fail),
		gres("memory.gpu1", 1, model.Warn),
		gres("memory.gpu10", 10, model.Warn),
	})
	m := byID(rs)
	if m["xid.gpu1"].FollowsFrom != "health.gpu1" || m["memory.gpu1"].FollowsFrom != "health.gpu1" {
		t.Errorf("GPU 1's results do not follow its health: %+v", rs)
	}
	if m["xid.gpu0"].FollowsFrom != "" || m["memory.gpu10"].FollowsFrom != "" {
		t.Error("another GPU's results were linked to GPU 1's health")
	}
	if Summarize(rs).Fail != 2 || ExitCode(rs) != 1 {
		t.Errorf("summary %+v", Summarize(rs))
	}
}

func TestLinkIsIdempotentAndCycleFree(t *testing.T) {
	AddRootEdgesForTest(t, RootEdge{Root: "a", Followers: []string{"b"}, Order: 1}, RootEdge{Root: "b", Followers: []string{"a"}, Order: 2})
	in := []model.CheckResult{res("a", model.Fail, ""), res("b", model.Fail, "")}
	once := Link(in)
	twice := Link(once)
	m := byID(twice)
	if m["b"].FollowsFrom != "a" || m["a"].FollowsFrom != "" {
		t.Errorf("cycle not broken by order: a follows %q, b follows %q", m["a"].FollowsFrom, m["b"].FollowsFrom)
	}
	if in[1].FollowsFrom != "" {
		t.Error("Link changed its input")
	}
}

// AddRootEdgesForTest adds edges for one test.
func AddRootEdgesForTest(t *testing.T, es ...RootEdge) {
	saved := rootEdges
	rootEdges = append(append([]RootEdge(nil), rootEdges...), es...)
	t.Cleanup(func() { rootEdges = saved })
}

func TestThisMachineContainerLeadsWithTheContainer(t *testing.T) {
	f := model.Facts{Source: "probe", Host: "vm",
		KernelModule: model.KernelModuleFacts{Error: "open /proc/driver/nvidia/version: no such file or directory"},
		NVMLLibrary:  model.LibraryFacts{Error: "libnvidia-ml.so.1 not found"},
		CUDALibrary:  model.LibraryFacts{Error: "libcuda.so.1 not found"},
		PCI:          model.PCIFacts{Readable: true, Devices: []model.PCIDevice{}},
		DevNodes:     model.DevNodeFacts{Nodes: []model.DevNode{}},
		Container:    model.ContainerFacts{Detected: true, Kind: "docker", Evidence: "/.dockerenv exists"},
		Env:          map[string]string{},
		NVML:         model.NVMLFacts{Source: "nvml", ErrorCode: "LIBRARY_NOT_FOUND", ErrorMessage: "nvml.Init: ERROR_LIBRARY_NOT_FOUND", GPUs: []model.GPUFacts{}},
	}
	rs := Sorted(Evaluate(f))
	first := rs[0]
	if first.ID != "pci.gpus" || first.Status != model.Fail || !first.Root || !strings.Contains(first.Title, "in this container") {
		t.Fatalf("first result %s %s %q root=%v", first.ID, first.Status, first.Title, first.Root)
	}
	for _, c := range []string{"--gpus all", "--runtime=nvidia", "--device nvidia.com/gpu=all", "nvidia.com/gpu: 1"} {
		if !strings.Contains(strings.Join(first.Commands, "\n"), c) {
			t.Errorf("container fix lacks %q", c)
		}
	}
	s := Summarize(rs)
	if s.Fail != 1 {
		t.Errorf("%d counted fails, want the one root: %+v", s.Fail, s)
	}
	var text strings.Builder
	if err := WriteText(&text, f, rs, false); err != nil {
		t.Fatal(err)
	}
	// No modprobe inside a container, in any text that is not a follower's
	// hidden fix.
	for _, r := range rs {
		if r.FollowsFrom != "" {
			continue
		}
		if strings.Contains(r.Fix+strings.Join(r.Commands, " "), "modprobe") && !strings.Contains(r.Fix, "Do not install a driver or run modprobe") {
			t.Errorf("%s suggests modprobe inside a container", r.ID)
		}
	}
	if strings.Contains(text.String(), "$ sudo modprobe") {
		t.Errorf("text suggests modprobe inside a container:\n%s", text.String())
	}
}
