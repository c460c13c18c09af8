package checks

import (
	"bytes"
	"testing"

	"github.com/gputop/gputop/model"
)

// demoFleet mirrors the simulated fleet's GPUs as the sim helper describes
// them (index: name, cc, memory, BAR1, condition).
func demoFleet(n int) model.NVMLFacts {
	nv := model.NVMLFacts{Source: "demo", Opened: true}
	for i := 0; i < n; i++ {
		var g model.GPUFacts
		switch i {
		case 0, 1, 7:
			g = h100(i)
		case 2, 3:
			g = h100(i)
			g.Info = gpuInfo(i, "NVIDIA A100-SXM4-40GB", 8, 0, 40*gib, 64*gib)
		case 4:
			g = h100(i)
			g.Info = gpuInfo(i, "NVIDIA GeForce RTX 4090", 8, 9, 24*gib, 256*mib)
		case 5:
			g = h100(i)
			g.Info = gpuInfo(i, "NVIDIA GeForce RTX 5090", 12, 0, 32*gib, 32*gib)
		case 6:
			g = h100(i)
			g.Info = gpuInfo(i, "Tesla T4", 7, 5, 16*gib, 256*mib)
		default:
			g = h100(i)
		}
		// The simulation does not model host configuration.
		g.Slow.V.Persistence, g.Slow.V.ComputeMode, g.Slow.V.MIGCurrent, g.Slow.V.MIGPending =
			model.None[bool](), model.None[int](), model.None[int](), model.None[int]()
		switch i {
		case 1: // pinned at the power cap
			g.Sample.V.UtilGPU = model.Some(uint32(100))
			g.Sample.V.ThrottleReasons = model.Some(model.ThrottleSWPowerCap)
		case 2: // hot
			g.Sample.V.UtilGPU = model.Some(uint32(95))
			g.Sample.V.TempGPU = model.Some(int32(91))
			g.Sample.V.ThrottleReasons = model.Some(model.ThrottleHWThermal | model.ThrottleSWThermal)
		case 7: // x8 of x16
			g.Slow.V.PCIeWidth = model.Some(8)
		}
		nv.GPUs = append(nv.GPUs, g)
	}
	return nv
}

func TestDemoFactsShowEveryStatus(t *testing.T) {
	f := DemoFacts(demoFleet(8))
	rs := Evaluate(f)
	want := map[string]model.Status{
		"driver.loaded":     model.Pass,
		"driver.module":     model.Pass,
		"nvml.library":      model.Pass,
		"pci.gpus":          model.Pass,
		"bar1.gpu0":         model.Pass,
		"bar1.gpu4":         model.Warn, // RTX 4090 with ReBAR off
		"bar1.gpu6":         model.Skip, // T4: 256 MiB by design, from public dumps only
		"cuda.toolkit":      model.Warn, // nvcc 12.8 vs /usr/local/cuda 12.4
		"cuda.driver.nvcc":  model.Pass,
		"cuda.driver.torch": model.Pass,
		"cudnn.installs":    model.Warn, // 9.8 vs 9.1
		"cudnn.pip":         model.Fail, // 9.1 has no Blackwell kernels
		"torch.install":     model.Pass, // the driver is above the CUDA 12 floor
		"torch.arch.gpu4":   model.Pass, // 2.5's cu124 list (builder release/2.5) carries sm_86, runs on 8.9
		"torch.arch.gpu5":   model.Fail, // sm_120 missing from that list
		"cc.gpu5":           model.Fail, // /usr/local/cuda 12.4 cannot build for Blackwell
		"cc.gpu0":           model.Pass,
		"persistence.gpu3":  model.Warn,
		"persistence.gpu0":  model.Pass,
		"throttle.gpu1":     model.Pass, // SW power cap under load is normal
		"throttle.gpu2":     model.Fail, // HW thermal
		"pcie.gpu7":         model.Warn, // x8 of x16
		"pcie.gpu0":         model.Pass,
		"mig.gpu4":          model.Skip,
		"fabric.manager":    model.Skip,
		"access.container":  model.Skip,
	}
	for id, st := range want {
		if r := findResult(t, rs, id); r.Status != st {
			t.Errorf("%s = %s, want %s (%s)", id, r.Status, st, r.Evidence)
		}
	}
	checkCommands(t, rs)
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
	}
	s := Summarize(rs)
	if s.Pass == 0 || s.Warn == 0 || s.Fail == 0 || s.Skip == 0 {
		t.Errorf("demo should show every status, got %s", s)
	}
	for _, r := range rs {
		if (r.Status == model.Fail || r.Status == model.Warn) && r.Fix == "" {
			t.Errorf("%s is %s without a fix", r.ID, r.Status)
		}
	}
	if ExitCode(rs) != 1 {
		t.Error("demo has fails: exit code should be 1")
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, f, rs, false); err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		t.Log("\n" + buf.String())
	}
}

func TestDemoFactsMoreGPUs(t *testing.T) {
	f := DemoFacts(demoFleet(12))
	rs := Evaluate(f)
	if r := findResult(t, rs, "pci.gpus"); r.Status != model.Pass {
		t.Errorf("pci.gpus with 12 GPUs = %s: %s", r.Status, r.Evidence)
	}
	if r := findResult(t, rs, "access.devnodes"); r.Status != model.Pass {
		t.Errorf("access.devnodes = %s: %s", r.Status, r.Evidence)
	}
	findResult(t, rs, "bar1.gpu11")
}
