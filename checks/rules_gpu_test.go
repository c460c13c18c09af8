package checks

import (
	"testing"

	"github.com/gputop/gputop/model"
)

func slow(f *model.Facts) *model.SlowSample { return &f.NVML.GPUs[0].Slow.V }
func fast(f *model.Facts) *model.Sample     { return &f.NVML.GPUs[0].Sample.V }
func noSlow(f *model.Facts)                 { f.NVML.GPUs[0].Slow = model.None[model.SlowSample]() }
func noFast(f *model.Facts)                 { f.NVML.GPUs[0].Sample = model.None[model.Sample]() }

func TestPersistenceRule(t *testing.T) {
	runRuleCases(t, persistenceRule, []ruleCase{
		{name: "on", id: "persistence.gpu0", want: model.Pass},
		{name: "off", id: "persistence.gpu0", want: model.Warn, evidence: []string{"off"},
			mutate: func(f *model.Facts) { slow(f).Persistence = model.Some(false) }},
		{name: "unknown", id: "persistence.gpu0", want: model.Skip, mutate: noSlow},
	})
}

func TestComputeModeRule(t *testing.T) {
	runRuleCases(t, computeModeRule, []ruleCase{
		{name: "default", id: "compute_mode.gpu0", want: model.Pass},
		{name: "exclusive process", id: "compute_mode.gpu0", want: model.Warn, evidence: []string{"EXCLUSIVE_PROCESS"},
			mutate: func(f *model.Facts) { slow(f).ComputeMode = model.Some(3) }},
		{name: "exclusive thread", id: "compute_mode.gpu0", want: model.Warn, evidence: []string{"EXCLUSIVE_THREAD"},
			mutate: func(f *model.Facts) { slow(f).ComputeMode = model.Some(1) }},
		{name: "prohibited", id: "compute_mode.gpu0", want: model.Fail, evidence: []string{"PROHIBITED"},
			mutate: func(f *model.Facts) { slow(f).ComputeMode = model.Some(2) }},
		{name: "unknown", id: "compute_mode.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { slow(f).ComputeMode = model.None[int]() }},
	})
}

func TestMIGRule(t *testing.T) {
	runRuleCases(t, migRule, []ruleCase{
		{name: "off", id: "mig.gpu0", want: model.Pass, evidence: []string{"current disabled, pending disabled"}},
		{name: "on", id: "mig.gpu0", want: model.Pass, evidence: []string{"MIG instances"},
			mutate: func(f *model.Facts) { slow(f).MIGCurrent, slow(f).MIGPending = model.Some(1), model.Some(1) }},
		{name: "pending change", id: "mig.gpu0", want: model.Warn, evidence: []string{"current disabled, pending enabled"},
			mutate: func(f *model.Facts) { slow(f).MIGPending = model.Some(1) }},
		{name: "not supported", id: "mig.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { slow(f).MIGCurrent = model.None[int]() }},
	})
	f := healthyFacts()
	slow(&f).MIGPending = model.Some(1)
	r := migRule(&f)[0]
	for _, c := range r.Commands {
		if contains(c, "nvidia-smi -r") && !contains(c, "kills every context") {
			t.Errorf("a reset command must say what it does: %q", c)
		}
	}
}

func TestPowerLimitRule(t *testing.T) {
	runRuleCases(t, powerLimitRule, []ruleCase{
		{name: "at default", id: "power_limit.gpu0", want: model.Pass, evidence: []string{"700 W, default 700 W"}},
		{name: "lowered", id: "power_limit.gpu0", want: model.Warn, evidence: []string{"enforced limit 400 W"},
			mutate: func(f *model.Facts) { fast(f).PowerLimit = model.Some(uint32(400000)) }},
		{name: "unknown default", id: "power_limit.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info.PowerLimitDefault = model.None[uint32]() }},
		{name: "no sample", id: "power_limit.gpu0", want: model.Skip, mutate: noFast},
	})
}

func TestPCIeRule(t *testing.T) {
	load := func(f *model.Facts) { fast(f).UtilGPU = model.Some(uint32(90)) }
	runRuleCases(t, pcieRule, []ruleCase{
		{name: "full link idle", id: "pcie.gpu0", want: model.Pass, evidence: []string{"x16 of x16", "Gen5 of Gen5"}},
		{name: "idle at Gen1 is normal", id: "pcie.gpu0", want: model.Pass, evidence: []string{"Gen1 of Gen5", "not judged"},
			mutate: func(f *model.Facts) { slow(f).PCIeGen = model.Some(1) }},
		{name: "Gen3 under load", id: "pcie.gpu0", want: model.Warn, evidence: []string{"Gen3 of Gen5", "utilisation 90%"},
			mutate: func(f *model.Facts) { load(f); slow(f).PCIeGen = model.Some(3) }},
		{name: "Gen5 under load", id: "pcie.gpu0", want: model.Pass,
			mutate: load},
		{name: "x8 idle", id: "pcie.gpu0", want: model.Warn, evidence: []string{"x8 of x16"},
			mutate: func(f *model.Facts) { slow(f).PCIeWidth = model.Some(8) }},
		{name: "utilisation unknown: generation not judged", id: "pcie.gpu0", want: model.Pass, evidence: []string{"not judged"},
			mutate: func(f *model.Facts) { slow(f).PCIeGen = model.Some(2); fast(f).UtilGPU = model.None[uint32]() }},
		{name: "slot caps the GPU", id: "pcie.gpu0", want: model.Pass, evidence: []string{"supports Gen5 but the slot/platform caps it at Gen4"},
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Info.MaxPCIeGen = model.Some(4); slow(f).PCIeGen = model.Some(4) }},
		{name: "replays noted", id: "pcie.gpu0", want: model.Pass, evidence: []string{"12 replays"},
			mutate: func(f *model.Facts) { slow(f).PCIeReplays = model.Some(uint64(12)) }},
		{name: "no link data", id: "pcie.gpu0", want: model.Skip, mutate: noSlow},
	})
	f := healthyFacts()
	if r := pcieRule(&f)[0]; !r.Live {
		t.Error("pcie results must be marked live")
	}
}

func TestThrottleRule(t *testing.T) {
	set := func(bits uint64, util uint32) func(*model.Facts) {
		return func(f *model.Facts) {
			fast(f).ThrottleReasons = model.Some(bits)
			fast(f).UtilGPU = model.Some(util)
		}
	}
	runRuleCases(t, throttleRule, []ruleCase{
		{name: "idle", id: "throttle.gpu0", want: model.Pass, evidence: []string{"0x1 = idle"}},
		{name: "none", id: "throttle.gpu0", want: model.Pass, evidence: []string{"reasons 0x0"}, mutate: set(0, 50)},
		{name: "SW power cap under load", id: "throttle.gpu0", want: model.Pass, evidence: []string{"normal under load"}, mutate: set(model.ThrottleSWPowerCap, 100)},
		{name: "HW slowdown", id: "throttle.gpu0", want: model.Fail, evidence: []string{"HW slowdown"}, mutate: set(model.ThrottleHWSlowdown, 100)},
		{name: "HW thermal", id: "throttle.gpu0", want: model.Fail, evidence: []string{"HW thermal"}, mutate: set(model.ThrottleHWThermal, 100)},
		{name: "HW power brake", id: "throttle.gpu0", want: model.Fail, evidence: []string{"external power supply"}, mutate: set(model.ThrottleHWPowerBrake, 10)},
		{name: "SW thermal", id: "throttle.gpu0", want: model.Warn, evidence: []string{"SW thermal"}, mutate: set(model.ThrottleSWThermal, 100)},
		{name: "power cap plus HW thermal", id: "throttle.gpu0", want: model.Fail, mutate: set(model.ThrottleSWPowerCap|model.ThrottleHWThermal, 100)},
		{name: "not reported", id: "throttle.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { fast(f).ThrottleReasons = model.None[uint64]() }},
		{name: "no sample", id: "throttle.gpu0", want: model.Skip, mutate: noFast},
	})
}

func TestMemoryErrorsRule(t *testing.T) {
	runRuleCases(t, memoryErrorsRule, []ruleCase{
		{name: "clean", id: "memory.gpu0", want: model.Pass, evidence: []string{"uncorrectable ECC since boot 0", "row remap pending no"}},
		{name: "uncorrectable since boot", id: "memory.gpu0", want: model.Fail, evidence: []string{"uncorrectable ECC since boot 2"},
			mutate: func(f *model.Facts) { slow(f).ECCVolatileUncorrected = model.Some(uint64(2)) }},
		{name: "row remap failure", id: "memory.gpu0", want: model.Fail, evidence: []string{"row remap failure yes"},
			mutate: func(f *model.Facts) { slow(f).RowRemapFailure = model.Some(true) }},
		{name: "row remap pending", id: "memory.gpu0", want: model.Warn, evidence: []string{"row remap pending yes"},
			mutate: func(f *model.Facts) { slow(f).RowRemapPending = model.Some(true) }},
		{name: "historic uncorrectable", id: "memory.gpu0", want: model.Warn, evidence: []string{"lifetime 1"},
			mutate: func(f *model.Facts) { slow(f).ECCAggregateUncorrected = model.Some(uint64(1)) }},
		{name: "62 retired pages", id: "memory.gpu0", want: model.Warn, evidence: []string{"retired pages 62", "DCGM fails at 63"},
			mutate: func(f *model.Facts) { slow(f).RetiredPagesSBE, slow(f).RetiredPagesDBE = model.Some(60), model.Some(2) }},
		{name: "63 retired pages", id: "memory.gpu0", want: model.Fail, evidence: []string{"retired pages 63"},
			mutate: func(f *model.Facts) { slow(f).RetiredPagesSBE, slow(f).RetiredPagesDBE = model.Some(60), model.Some(3) }},
		{name: "retirement pending", id: "memory.gpu0", want: model.Warn,
			mutate: func(f *model.Facts) { slow(f).RetiredPagesPending = model.Some(true) }},
		{name: "no counters (consumer card)", id: "memory.gpu0", want: model.Skip,
			mutate: func(f *model.Facts) { f.NVML.GPUs[0].Slow = model.Some(model.SlowSample{}) }},
		{name: "no slow reading", id: "memory.gpu0", want: model.Skip, mutate: noSlow},
	})
}

func TestLiveRulesSkipLostGPUs(t *testing.T) {
	for _, rule := range []func(*model.Facts) []model.CheckResult{pcieRule, throttleRule, memoryErrorsRule} {
		f := healthyFacts()
		fast(&f).ThrottleReasons = model.Some(model.ThrottleHWSlowdown)
		f.NVML.GPUs[0].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST"}
		r := rule(&f)[0]
		if r.Status != model.Skip || !contains(r.Evidence, "GPU_IS_LOST") || !r.Live {
			t.Errorf("%s on a lost GPU = %s %q", r.ID, r.Status, r.Evidence)
		}
		f.NVML.GPUs[0].Health = model.Health{State: model.Stale}
		r = rule(&f)[0]
		if r.Status == model.Skip || !contains(r.Evidence, "stale") {
			t.Errorf("%s on a stale GPU = %s %q", r.ID, r.Status, r.Evidence)
		}
	}
}
