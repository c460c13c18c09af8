package checks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gputop/gputop/model"
)

// loadUtilPercent: the PCIe generation is judged only above this
// utilisation, because idle GPUs lower their link speed to save power.
const loadUtilPercent = 30

func persistenceRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r := gpuResult("persistence", "Persistence mode", g.Info)
		if note, stale := notCurrent(g); stale {
			r.Status, r.Evidence = model.Skip, note
			out = append(out, r)
			continue
		}
		r.Why = "Without persistence the driver tears the GPU down when the last client exits: the next CUDA call or NVML init waits seconds while it initialises again."
		switch {
		case !g.Slow.OK || !g.Slow.V.Persistence.OK:
			r.Status, r.Evidence = model.Skip, "persistence mode not reported by NVML"
		case g.Slow.V.Persistence.V:
			r.Status, r.Evidence = model.Pass, "persistence mode on (NVML)"
		default:
			r.Status, r.Evidence = model.Warn, "persistence mode off (NVML)"
			r.Fix = "Enable the nvidia-persistenced daemon (preferred; R580 deprecates nvidia-smi -pm), or set persistence mode with nvidia-smi (changes a setting only; running work is not affected; lost at reboot)."
			r.Commands = []string{"sudo systemctl enable --now nvidia-persistenced  # keeps the driver initialised; persistent across reboots", "sudo nvidia-smi -pm 1 -i " + strconv.Itoa(g.Info.Index) + "  # persistence on for this GPU until reboot"}
		}
		out = append(out, r)
	}
	return out
}

func computeModeRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r := gpuResult("compute_mode", "Compute mode", g.Info)
		if note, stale := notCurrent(g); stale {
			r.Status, r.Evidence = model.Skip, note
			out = append(out, r)
			continue
		}
		r.Why = "Prohibited mode refuses every CUDA context; exclusive modes allow one process (or thread) only, so a second job fails with \"all CUDA-capable devices are busy or unavailable\"."
		cmd := "sudo nvidia-smi -c DEFAULT -i " + strconv.Itoa(g.Info.Index) + "  # back to shared mode; running work is not affected"
		if !g.Slow.OK || !g.Slow.V.ComputeMode.OK {
			r.Status, r.Evidence = model.Skip, "compute mode not reported by NVML"
			out = append(out, r)
			continue
		}
		m := g.Slow.V.ComputeMode.V
		r.Evidence = "compute mode " + strconv.Itoa(m) + " (NVML)"
		switch m {
		case 0:
			r.Status, r.Evidence = model.Pass, "compute mode DEFAULT (NVML)"
		case 2:
			r.Status, r.Evidence = model.Fail, "compute mode PROHIBITED (NVML): no CUDA context can be created"
			r.Fix, r.Commands = "Set the compute mode back to DEFAULT if this GPU should run work.", []string{cmd}
		case 1, 3:
			r.Status = model.Warn
			r.Evidence = "compute mode EXCLUSIVE_PROCESS (NVML): one process at a time"
			if m == 1 {
				r.Evidence = "compute mode EXCLUSIVE_THREAD (NVML, deprecated): one thread at a time"
			}
			r.Fix, r.Commands = "Intended on shared clusters; otherwise set DEFAULT so several processes can share the GPU.", []string{cmd}
		default:
			r.Status = model.Skip
		}
		out = append(out, r)
	}
	return out
}

func migRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r := gpuResult("mig", "MIG mode", g.Info)
		if note, stale := notCurrent(g); stale {
			r.Status, r.Evidence = model.Skip, note
			out = append(out, r)
			continue
		}
		r.Why = "A MIG mode change waits for a GPU reset; until then the GPU runs in the old mode. With MIG on, CUDA sees MIG instances, not the whole GPU."
		if !g.Slow.OK || !g.Slow.V.MIGCurrent.OK {
			r.Status, r.Evidence = model.Skip, "MIG not supported or not reported (NVML)"
			out = append(out, r)
			continue
		}
		cur, pend := g.Slow.V.MIGCurrent.V, g.Slow.V.MIGPending
		r.Evidence = "MIG current " + onOff(cur == 1)
		if pend.OK {
			r.Evidence += ", pending " + onOff(pend.V == 1)
		}
		r.Evidence += " (NVML)"
		switch {
		case pend.OK && pend.V != cur:
			r.Status = model.Warn
			r.Fix = "Apply the pending MIG mode by resetting the GPU when nothing runs on it, or reboot. A GPU reset stops every process on that GPU and clears its state."
			r.Commands = []string{"nvidia-smi --query-compute-apps=pid,name --format=csv -i " + strconv.Itoa(g.Info.Index) + "  # must be empty first",
				"sudo nvidia-smi -r -i " + strconv.Itoa(g.Info.Index) + "  # GPU reset: kills every context on this GPU"}
		case cur == 1:
			r.Status = model.Pass
			r.Evidence += "; CUDA sees MIG instances (check CUDA_VISIBLE_DEVICES uses MIG UUIDs)"
		default:
			r.Status = model.Pass
		}
		out = append(out, r)
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func powerLimitRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r := gpuResult("power_limit", "Power limit", g.Info)
		if note, stale := notCurrent(g); stale {
			r.Status, r.Evidence = model.Skip, note
			out = append(out, r)
			continue
		}
		r.Why = "A power limit below the default caps clocks under load: the GPU runs slower than it can."
		def := g.Info.PowerLimitDefault
		if !g.Sample.OK || !g.Sample.V.PowerLimit.OK || !def.OK {
			r.Status, r.Evidence = model.Skip, "enforced or default power limit not reported by NVML"
			out = append(out, r)
			continue
		}
		lim := g.Sample.V.PowerLimit.V
		r.Evidence = fmt.Sprintf("enforced limit %d W, default %d W (NVML)", lim/1000, def.V/1000)
		if lim < def.V {
			r.Status = model.Warn
			r.Fix = "If nobody lowered it on purpose (power budget, a cluster policy), restore the default limit. This changes a setting only and is lost at reboot."
			r.Commands = []string{fmt.Sprintf("sudo nvidia-smi -pl %d -i %d  # set the power limit back to the default %d W", def.V/1000, g.Info.Index, def.V/1000)}
		} else {
			r.Status = model.Pass
		}
		out = append(out, r)
	}
	return out
}

// liveGate: a lost or failing GPU's last readings say nothing about now,
// so live rules skip it; stale readings are judged but marked as such.
// liveResult starts a live rule's result for one GPU; ok is false when the
// GPU's readings cannot be judged (the result is then a skip saying why).
func liveResult(kind, title string, g model.GPUFacts) (r model.CheckResult, note string, ok bool) {
	r = gpuResult(kind, title, g.Info)
	r.Live = true
	skip, note := liveGate(g)
	if skip {
		r.Status, r.Evidence = model.Skip, note
		return r, note, false
	}
	return r, note, true
}

func liveGate(g model.GPUFacts) (skip bool, note string) {
	h := g.Health
	switch h.State {
	case model.Lost, model.Failed:
		return true, "GPU " + h.State.String() + ": " + orDash(h.Reason) + " (readings are not current)"
	case model.Stale:
		return false, "; readings are stale (the last reading is overdue)"
	}
	return false, ""
}

// pcieRule (live): link width below the maximum is suspicious at any time;
// the generation only under load.
func pcieRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r, note, ok := liveResult("pcie", "PCIe link", g)
		if !ok {
			out = append(out, r)
			continue
		}
		r.Why = "A link running narrower or slower than it can cuts host-GPU bandwidth (model loading, data transfer); width below max points at seating, risers or slot wiring."
		var s model.SlowSample
		if g.Slow.OK {
			s = g.Slow.V
		}
		info := g.Info
		if !s.PCIeWidth.OK || !info.MaxPCIeWidth.OK {
			r.Status, r.Evidence = model.Skip, "PCIe link width or its maximum not reported (NVML)"
			out = append(out, r)
			continue
		}
		ev := []string{fmt.Sprintf("width x%d of x%d", s.PCIeWidth.V, info.MaxPCIeWidth.V)}
		genKnown := s.PCIeGen.OK && info.MaxPCIeGen.OK
		if genKnown {
			ev = append(ev, fmt.Sprintf("Gen%d of Gen%d", s.PCIeGen.V, info.MaxPCIeGen.V))
		}
		if info.GPUMaxPCIeGen.OK && info.MaxPCIeGen.OK && info.GPUMaxPCIeGen.V > info.MaxPCIeGen.V {
			ev = append(ev, fmt.Sprintf("the GPU supports Gen%d but the slot/platform caps it at Gen%d", info.GPUMaxPCIeGen.V, info.MaxPCIeGen.V))
		}
		util := model.None[uint32]()
		if g.Sample.OK {
			util = g.Sample.V.UtilGPU
		}
		if util.OK {
			ev = append(ev, fmt.Sprintf("utilisation %d%%", util.V))
		}
		if s.PCIeReplays.OK && s.PCIeReplays.V > 0 {
			ev = append(ev, fmt.Sprintf("%d replays (link errors corrected by retransmission)", s.PCIeReplays.V))
		}
		r.Status = model.Pass
		if s.PCIeWidth.V < info.MaxPCIeWidth.V {
			r.Status = model.Warn
			r.Fix = "Reseat the GPU, check risers and cables, and that the slot is wired x" + strconv.Itoa(info.MaxPCIeWidth.V) + " (some slots share lanes with M.2 or other slots); check the slot's lane settings in firmware setup."
		}
		switch {
		case !genKnown:
		case util.OK && util.V >= loadUtilPercent && s.PCIeGen.V < info.MaxPCIeGen.V:
			r.Status = model.Warn
			r.Fix = strings.TrimSpace(r.Fix + " Under load the link stays below its generation: check firmware PCIe speed settings (Auto/GenN), risers/retimers, and the kernel log for AER errors.")
			r.Commands = []string{"sudo dmesg | grep -iE 'aer|pcie bus error'"}
		case !util.OK || util.V < loadUtilPercent:
			ev = append(ev, fmt.Sprintf("generation not judged below %d%% utilisation (idle GPUs lower the link speed)", loadUtilPercent))
		}
		if r.Status == model.Warn && r.Commands == nil {
			r.Commands = []string{"nvidia-smi -q -d PCIE -i " + strconv.Itoa(info.Index)}
		}
		r.Evidence = strings.Join(ev, ", ") + " (NVML)" + note
		out = append(out, r)
	}
	return out
}

// throttleRule (live): hardware throttle reasons are faults; the SW power
// cap under load is the GPU working at its limit.
func throttleRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r, note, ok := liveResult("throttle", "Clock throttling", g)
		if !ok {
			out = append(out, r)
			continue
		}
		r.Why = "Hardware slowdowns mean the GPU protects itself from heat or a failing power supply: work runs several times slower."
		if !g.Sample.OK || !g.Sample.V.ThrottleReasons.OK {
			r.Status, r.Evidence = model.Skip, "clock event reasons not reported (NVML)"
			out = append(out, r)
			continue
		}
		s := g.Sample.V
		bits := s.ThrottleReasons.V
		var names []string
		for _, tr := range model.ThrottleReasons {
			if bits&tr.Bit != 0 {
				names = append(names, tr.Name)
			}
		}
		ev := []string{fmt.Sprintf("reasons 0x%x", bits)}
		if len(names) > 0 {
			ev[0] += " = " + strings.Join(names, ", ")
		}
		if s.TempGPU.OK {
			ev = append(ev, fmt.Sprintf("%d °C", s.TempGPU.V))
		}
		if s.PowerDraw.OK && s.PowerLimit.OK {
			ev = append(ev, fmt.Sprintf("%d of %d W", s.PowerDraw.V/1000, s.PowerLimit.V/1000))
		}
		r.Status = model.Pass
		var causes, fixes []string
		for _, row := range throttleTable {
			if bits&row.Bit == 0 {
				continue
			}
			r.Status = worst(r.Status, model.Status(row.Status))
			causes = append(causes, row.Cause)
			fixes = append(fixes, row.Fix)
		}
		if bits&model.ThrottleSWPowerCap != 0 && r.Status == model.Pass {
			ev = append(ev, "SW power cap: the GPU is at its power limit, normal under load")
		}
		if len(causes) > 0 {
			ev = append(ev, strings.Join(causes, "; "))
			r.Fix = strings.Join(fixes, " ")
			r.Commands = []string{"nvidia-smi -q -d PERFORMANCE,TEMPERATURE,POWER -i " + strconv.Itoa(g.Info.Index), "sudo dmesg | grep -i xid"}
		}
		r.Evidence = strings.Join(ev, "; ") + " (NVML)" + note
		out = append(out, r)
	}
	return out
}

// memoryErrorsRule (live): ECC, row remapping and retired pages.
func memoryErrorsRule(f *model.Facts) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		r, note, ok := liveResult("memory", "Memory errors", g)
		if !ok {
			out = append(out, r)
			continue
		}
		r.Why = "Uncorrectable memory errors corrupt results and kill jobs; pending remaps need a GPU reset to take effect; many retired pages mean failing memory."
		if !g.Slow.OK {
			r.Status, r.Evidence = model.Skip, "no slow-tier reading yet"
			out = append(out, r)
			continue
		}
		s := g.Slow.V
		var ev []string
		reported := false
		add := func(ok bool, text string) {
			if ok {
				reported = true
				ev = append(ev, text)
			}
		}
		add(s.ECCEnabled.OK, "ECC "+onOff(s.ECCEnabled.V))
		add(s.ECCVolatileUncorrected.OK, fmt.Sprintf("uncorrectable ECC since boot %d", s.ECCVolatileUncorrected.V))
		add(s.ECCVolatileCorrected.OK, fmt.Sprintf("correctable ECC since boot %d", s.ECCVolatileCorrected.V))
		add(s.ECCAggregateUncorrected.OK, fmt.Sprintf("uncorrectable ECC lifetime %d", s.ECCAggregateUncorrected.V))
		add(s.RowRemapPending.OK, "row remap pending "+yesNo(s.RowRemapPending.V))
		add(s.RowRemapFailure.OK, "row remap failure "+yesNo(s.RowRemapFailure.V))
		add(s.RowRemapUncorrectable.OK, fmt.Sprintf("rows remapped for uncorrectable errors %d", s.RowRemapUncorrectable.V))
		retired := 0
		if s.RetiredPagesSBE.OK || s.RetiredPagesDBE.OK {
			retired = s.RetiredPagesSBE.V + s.RetiredPagesDBE.V
			add(true, fmt.Sprintf("retired pages %d (SBE %d, DBE %d; DCGM fails at %d)", retired, s.RetiredPagesSBE.V, s.RetiredPagesDBE.V, retiredPagesFail))
		}
		add(s.RetiredPagesPending.OK, "page retirement pending "+yesNo(s.RetiredPagesPending.V))
		if !reported {
			r.Status, r.Evidence = model.Skip, "no ECC, row remap or page retirement counters reported (consumer GPU or ECC unsupported)"
			out = append(out, r)
			continue
		}
		r.Evidence = strings.Join(ev, ", ") + " (NVML; threshold: " + srcDCGM + ")" + note
		reset := "sudo nvidia-smi -r -i " + strconv.Itoa(g.Info.Index) + "  # GPU reset: kills every context on this GPU, then applies pending remaps"
		switch {
		case s.RowRemapFailure.OK && s.RowRemapFailure.V:
			r.Status = model.Fail
			r.Fix = "Row remapping failed (Xid 64): the GPU ran out of spare rows. Drain it and contact the vendor (RMA)."
		case retired >= retiredPagesFail:
			r.Status = model.Fail
			r.Fix = "The GPU has retired as many pages as DCGM tolerates: drain it and contact the vendor (RMA)."
		case s.ECCVolatileUncorrected.OK && s.ECCVolatileUncorrected.V > 0:
			r.Status = model.Fail
			r.Fix = "Uncorrectable errors since boot (Xid 48/94/95): stop the jobs on this GPU, reset it (or reboot) so the driver remaps/retires the memory, and watch whether they return; repeated errors mean RMA."
			r.Commands = []string{reset}
		case (s.RowRemapPending.OK && s.RowRemapPending.V) || (s.RetiredPagesPending.OK && s.RetiredPagesPending.V):
			r.Status = model.Warn
			r.Fix = "A remap/retirement is recorded (Xid 63) but applies only after a GPU reset: reset the GPU when idle, or reboot."
			r.Commands = []string{reset}
		case (s.ECCAggregateUncorrected.OK && s.ECCAggregateUncorrected.V > 0) || retired > 0:
			r.Status = model.Warn
			r.Fix = "The GPU had uncorrectable errors in the past; watch the counters and the kernel log for new Xid 48/63/64/94/95."
			r.Commands = []string{"sudo dmesg | grep -i xid"}
		default:
			r.Status = model.Pass
		}
		out = append(out, r)
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
