package checks

import (
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

func TestHealthRule(t *testing.T) {
	runRuleCases(t, healthRule, []ruleCase{
		{name: "healthy", id: "health.gpu0", want: model.Pass, evidence: []string{"on time"}},
		{name: "lost", id: "health.gpu0", want: model.Fail, evidence: []string{"GPU lost", "GPU_IS_LOST", "fell off the bus"}, fix: []string{"reboot", "reseat", "power"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"}
			}},
		{name: "reset required", id: "health.gpu0", want: model.Fail, evidence: []string{"RESET_REQUIRED", "needs a reset"}, fix: []string{"reset it, or reboot"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Health = model.Health{State: model.Failed, Reason: "RESET_REQUIRED: GPU requires reset"}
			}},
		{name: "insufficient power", id: "health.gpu0", want: model.Fail, evidence: []string{"INSUFFICIENT_POWER"}, fix: []string{"PCIe power connector"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Health = model.Health{State: model.Failed, Reason: "ERROR_INSUFFICIENT_POWER: insufficient external power"}
			}},
		{name: "unknown code", id: "health.gpu0", want: model.Fail, evidence: []string{"NOT_A_CODE"}, fix: []string{"kernel log"},
			mutate: func(f *model.Facts) {
				f.NVML.GPUs[0].Health = model.Health{State: model.Failed, Reason: "NOT_A_CODE: something"}
			}},
		{name: "stale", id: "health.gpu0", want: model.Warn, evidence: []string{"overdue"},
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Health = model.Health{State: model.Stale} }},
		{name: "no reading yet", id: "health.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Sample = model.None[model.Sample]() }},
	})
}

// A lost GPU's static checks say their readings are not current (skip),
// never pass, and everything about that GPU follows from its health.
func TestLostGPUStaticChecksSkip(t *testing.T) {
	f := healthyFacts()
	f.NVML.GPUs = append(f.NVML.GPUs, h100(1))
	f.PCI.Devices = append(f.PCI.Devices, pciFor(f.NVML.GPUs[1].Info, 0x2330))
	f.NVML.GPUs[1].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"}
	f.Events = []model.Event{model.XidEvent(model.Timestamp(1), 1, 79)}
	rs := Evaluate(f)
	for _, id := range []string{"bar1.gpu1", "persistence.gpu1", "compute_mode.gpu1", "mig.gpu1", "power_limit.gpu1", "pcie.gpu1", "throttle.gpu1", "memory.gpu1"} {
		r := findResult(t, rs, id)
		if r.Status != model.Skip || !strings.Contains(r.Evidence, "not current") {
			t.Errorf("%s = %s (%s), want skip: readings not current", id, r.Status, r.Evidence)
		}
	}
	if r := findResult(t, rs, "persistence.gpu0"); r.Status != model.Pass {
		t.Errorf("the healthy GPU's check changed: %s", r.Status)
	}
	h := findResult(t, rs, "health.gpu1")
	x := findResult(t, rs, "xid.gpu1")
	if h.Status != model.Fail || !h.Root || x.Status != model.Fail || x.FollowsFrom != "health.gpu1" {
		t.Errorf("health %s root=%v; xid %s follows %q", h.Status, h.Root, x.Status, x.FollowsFrom)
	}
	if ExitCode(rs) != 1 || Summarize(rs).Fail != 1 {
		t.Errorf("exit %d, summary %s: want 1 and one counted fail", ExitCode(rs), Summarize(rs))
	}
}

// Any rule's pass about a lost GPU becomes a skip (the gate after the rules).
func TestGateLostGPUs(t *testing.T) {
	f := healthyFacts()
	f.NVML.GPUs[0].Health = model.Health{State: model.Failed, Reason: "RESET_REQUIRED: GPU requires reset"}
	out := gateLostGPUs(&f, []model.CheckResult{
		{ID: "hw.nvlink.gpu0", GPU: model.Some(0), Status: model.Pass, Evidence: "links up"},
		{ID: "hw.nvlink.gpu1", GPU: model.Some(1), Status: model.Pass, Evidence: "links up"},
		{ID: "health.gpu0", GPU: model.Some(0), Status: model.Fail},
		{ID: "pci.gpus", Status: model.Pass},
	})
	if out[0].Status != model.Skip || !strings.Contains(out[0].Evidence, "not current") || !strings.Contains(out[0].Evidence, "links up") {
		t.Errorf("lost GPU's pass: %+v", out[0])
	}
	if out[1].Status != model.Pass || out[2].Status != model.Fail || out[3].Status != model.Pass {
		t.Errorf("others changed: %+v", out[1:])
	}
}
