package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gputop/gputop/model"
)

// Hardware-signal rules: InfoROM, NVML's recovery action, the retired-page
// soft limit, ECC off on a data-center GPU, throttle history, NVLink, the
// PCIe replay rate, AER, peer-to-peer and IOMMU/ACS, MIG instances. They
// read the slow sample's Signals (sampler/nvmlbackend/signals.go) and
// f.Environment's AER/IOMMU facts.
//
// Thresholds (read 2026-11-30) are DCGM's, NVIDIA/DCGM
// dcgmlib/src/DcgmGpuHardwareLimits.h: PCIe replays 8 per minute
// (DCGM_LIMIT_MAX_PCIREPLAY_RATE), NVLink CRC errors 100 per second
// (DCGM_LIMIT_MAX_NVLINK_CRC_ERROR), any NVLink replay/recovery error
// (DCGM_LIMIT_MAX_NVLINK_ERROR 1), DBE-retired pages soft limit 15
// (DCGM_LIMIT_MAX_RETIRED_PAGES_SOFT_LIMIT). NCCL's troubleshooting guide
// (docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html)
// for IOMMU and ACS.

const (
	srcDCGMLimits      = "DCGM DcgmGpuHardwareLimits.h"
	srcNCCLTrouble     = "NCCL troubleshooting guide"
	pcieReplayPerMin   = 8.0
	nvlinkCRCPerS      = 100.0
	retiredSoftLimit   = 15
	throttleMinWindowS = 30.0 // judge the throttle history over at least this much
	throttleWarnShare  = 0.10 // of the window, for power/thermal/board causes
)

func init() {
	rules = append(rules,
		rule{"hw.inforom", false, inforomRule, nil},
		rule{"hw.recovery", true, recoveryRule, nil},
		rule{"hw.retired_pages", false, retiredSoftRule, nil},
		rule{"hw.ecc_mode", false, eccModeRule, nil},
		rule{"hw.throttle_history", true, throttleHistoryRule, nil},
		rule{"hw.nvlink", true, nvlinkRule, nil},
		rule{"hw.pcie_replay", true, pcieReplayRule, nil},
		rule{"hw.aer", false, aerRule, nil},
		rule{"hw.p2p", false, p2pRule, nil},
		rule{"hw.mig", false, migInstancesRule, nil},
	)
	AddRootEdges(
		// A GPU waiting for recovery: its link and throttle findings are
		// not worth chasing before the reset or reboot.
		RootEdge{Root: "hw.recovery.gpu#", Order: 52, Followers: []string{"hw.nvlink.gpu#", "hw.throttle_history.gpu#", "hw.pcie_replay.gpu#"}},
		// A link down is why peer traffic is poor.
		RootEdge{Root: "hw.nvlink.gpu#", Order: 54, Followers: []string{"hw.p2p"}},
	)
}

// signalsOf returns a GPU's latest signals, or nil.
func signalsOf(g model.GPUFacts) *model.Signals {
	if !g.Slow.OK {
		return nil
	}
	return g.Slow.V.Signals
}

// perGPU runs judge for every GPU whose signals were read; GPUs without
// them add no row (older snapshots, the stand-in backends).
func perGPU(f *model.Facts, kind, title string, live bool, judge func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool) []model.CheckResult {
	var out []model.CheckResult
	for _, g := range f.NVML.GPUs {
		s := signalsOf(g)
		if s == nil {
			continue
		}
		var r model.CheckResult
		if live {
			var ok bool
			r, _, ok = liveResult(kind, title, g)
			if !ok {
				out = append(out, r)
				continue
			}
		} else {
			r = gpuResult(kind, title, g.Info)
			if skip, note := liveGate(g); skip {
				r.Status, r.Evidence = model.Skip, note
				out = append(out, r)
				continue
			}
		}
		if judge(g, s, &r) {
			out = append(out, r)
		}
	}
	return out
}

func inforomRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.inforom", "InfoROM", false, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		r.Why = "The InfoROM stores the board's configuration and error history (ECC, retired pages); NVML's validation fails when it is corrupted, and the driver may then refuse features or report wrong counters."
		switch {
		case !s.InfoROMValid.OK:
			return false // NVML cannot validate it here (GeForce, older drivers): nothing to show
		case s.InfoROMValid.V:
			r.Status, r.Evidence = model.Pass, "valid (NVML ValidateInforom), image "+orDash(s.InfoROMVersion)
		default:
			r.Status = model.Fail
			r.Evidence = "NVML reports the InfoROM corrupted (ValidateInforom), image " + orDash(s.InfoROMVersion)
			r.Fix = "A corrupted InfoROM needs the vendor: collect a bug report and contact the system vendor or NVIDIA support for an InfoROM reflash or an RMA."
			r.Commands = []string{"nvidia-smi -q -d INFOROM -i " + fmt.Sprint(g.Info.Index), "sudo nvidia-bug-report.sh"}
		}
		return true
	})
}

func recoveryRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.recovery", "GPU recovery action", true, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		r.Why = "After some errors the driver tells, through NVML's recovery action, what the GPU needs before it can be trusted again: nothing, a GPU reset, a node reboot, or draining peer-to-peer traffic."
		if !s.RecoveryAction.OK {
			r.Status, r.Evidence = model.Skip, "NVML does not report a recovery action for this GPU (older driver)"
			return true
		}
		a := s.RecoveryAction.V
		r.Evidence = "recovery action (NVML): " + model.RecoveryActionName(a)
		idx := fmt.Sprint(g.Info.Index)
		switch a {
		case model.RecoveryNone:
			r.Status = model.Pass
		case model.RecoveryGPUReset:
			r.Status = model.Fail
			r.Fix = "Stop the work on this GPU and reset it (or reboot the node); until then its results cannot be trusted."
			r.Commands = []string{"nvidia-smi --query-compute-apps=pid,name --format=csv -i " + idx + "  # who still uses it", "sudo nvidia-smi -r -i " + idx + "  # resets the GPU; every process on it must have exited"}
		case model.RecoveryNodeReboot:
			r.Status = model.Fail
			r.Fix = "Drain the node and reboot it: the driver says a GPU reset is not enough."
			r.Commands = []string{"sudo reboot  # after draining the node's jobs"}
		case model.RecoveryDrainP2P, model.RecoveryDrainAndReset:
			r.Status = model.Fail
			r.Fix = "Stop peer-to-peer (NVLink/NCCL) work that involves this GPU; then reset it if the action says so."
			r.Commands = []string{"sudo nvidia-smi -r -i " + idx + "  # when the action includes a reset, after the work stopped"}
		default:
			r.Status = model.Fail
			r.Fix = "The driver asks for a recovery step gputop does not know (" + fmt.Sprint(a) + "); see nvidia-smi -q."
			r.Commands = []string{"nvidia-smi -q -i " + idx}
		}
		return true
	})
}

func retiredSoftRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.retired_pages", "Retired pages soft limit", false, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		sl := g.Slow.V
		if !sl.RetiredPagesDBE.OK {
			return false // row remapping GPUs (Ampere+) have no page retirement: memory.* judges them
		}
		r.Why = "DCGM treats more than 15 pages retired for double-bit errors as a GPU whose memory is going bad when they keep accumulating (" + srcDCGMLimits + ")."
		r.Evidence = fmt.Sprintf("%d page(s) retired for double-bit errors, %d for single-bit (soft limit %d DBE, %s)", sl.RetiredPagesDBE.V, sl.RetiredPagesSBE.V, retiredSoftLimit, srcDCGMLimits)
		if sl.RetiredPagesDBE.V > retiredSoftLimit {
			r.Status = model.Warn
			r.Fix = "Watch whether more pages retire (DCGM fails the GPU when they keep accumulating past the soft limit); plan a replacement with the vendor."
			r.Commands = []string{"nvidia-smi -q -d PAGE_RETIREMENT -i " + fmt.Sprint(g.Info.Index)}
		} else {
			r.Status = model.Pass
		}
		return true
	})
}

func eccModeRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.ecc_mode", "ECC on a data-center GPU", false, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		sl := g.Slow.V
		if !sl.ECCEnabled.OK || !hbmDataCenter(g.Info.Name) {
			return false // GDDR data-center cards (L40S, A40...) may ship with ECC off: not judged
		}
		r.Why = "HBM data-center GPUs run with ECC on: with it off, memory errors corrupt results silently and the error counters, row remapping and health checks go blind."
		if sl.ECCEnabled.V {
			r.Status, r.Evidence = model.Pass, "ECC enabled (NVML)"
			return true
		}
		r.Status = model.Warn
		r.Evidence = "ECC disabled on " + g.Info.Name + " (NVML)"
		r.Fix = "Unless it was turned off on purpose (a few percent more memory and bandwidth), enable ECC; it takes effect after the next GPU reset or reboot."
		r.Commands = []string{"sudo nvidia-smi -e 1 -i " + fmt.Sprint(g.Info.Index) + "  # pending until the GPU is reset or the node reboots"}
		return true
	})
}

// hbmDataCenter: data-center GPUs with HBM memory, whose ECC is on unless
// someone turned it off.
func hbmDataCenter(name string) bool {
	for _, t := range []string{"V100", "P100", "A100", "A800", "A30", "H100", "H800", "H200", "H20", "GH200", "B100", "B200", "B300", "GB200"} {
		if strings.Contains(name, t) {
			return true
		}
	}
	return false
}

func throttleHistoryRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.throttle_history", "Throttle history", true, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		if len(s.Throttle) == 0 {
			return false
		}
		r.Why = "NVML's violation counters say how long the clocks were held down for each reason: \"is it throttled now\" misses a GPU that throttles 40 s of every minute."
		if s.ThrottleWindowS < throttleMinWindowS {
			r.Status = model.Skip
			r.Evidence = fmt.Sprintf("%.0f s of history so far; judged over at least %.0f s", s.ThrottleWindowS, throttleMinWindowS)
			return true
		}
		win := s.ThrottleWindowS
		var parts, bad []string
		for _, c := range s.Throttle {
			info, ok := model.ThrottleReasonInfo(c.Reason)
			if !ok || !c.Window.OK || c.Window.V == 0 {
				continue
			}
			sec := float64(c.Window.V) / 1e9
			parts = append(parts, fmt.Sprintf("%s %.0f s", info.Name, sec))
			if info.Benign {
				continue
			}
			if (info.Fault && sec >= 1) || sec >= throttleWarnShare*win {
				bad = append(bad, fmt.Sprintf("%s %.0f s of the last %.0f s", info.Name, sec, win))
			}
		}
		r.Evidence = fmt.Sprintf("last %.0f s (NVML violation counters): ", win)
		if len(parts) == 0 {
			r.Evidence += "no throttling"
		} else {
			r.Evidence += strings.Join(parts, ", ")
		}
		if len(bad) == 0 {
			r.Status = model.Pass
			return true
		}
		r.Status = model.Warn
		r.Evidence = "throttled: " + strings.Join(bad, "; ") + "; " + r.Evidence
		r.Fix = "Power cap: the GPU needs more than its limit (check the limit, see power_limit). Thermal/HW slowdown: check airflow and fans, inlet temperature and the heatsink. Power brake: the external power supply asserted a brake (check PSUs/PDUs). Reliability/board limit: board-level protection, ask the vendor."
		r.Commands = []string{"nvidia-smi -q -d PERFORMANCE -i " + fmt.Sprint(g.Info.Index)}
		return true
	})
}

func nvlinkRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.nvlink", "NVLink", true, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		if len(s.NVLinks) == 0 {
			return false
		}
		r.Why = "A GPU's NVLinks carry its peer-to-peer traffic (NCCL); a link down forces traffic onto fewer links or PCIe, and rising CRC/replay/recovery counts mean a marginal link (" + srcDCGMLimits + ")."
		active, total := s.ActiveLinks()
		if active == 0 {
			// A PCIe card with NVLink but no bridge reports every link
			// inactive by design: not an NVLink system, not a fault.
			r.Status = model.Skip
			r.Evidence = fmt.Sprintf("none of the %d NVLinks is connected (a PCIe card without an NVLink bridge; on an NVSwitch system see fabric.manager)", total)
			return true
		}
		var down []string
		for _, l := range s.NVLinks {
			if l.State != "active" {
				down = append(down, fmt.Sprint(l.Link))
			}
		}
		ev := []string{fmt.Sprintf("%d/%d links active", active, total)}
		var peers []string
		for _, p := range s.Peers {
			if strings.HasPrefix(p.Topology, "NV") {
				peers = append(peers, fmt.Sprintf("%s to GPU %d", p.Topology, p.GPU))
			}
		}
		if len(peers) > 0 {
			ev = append(ev, strings.Join(peers, ", "))
		}
		var errs []string
		for _, l := range s.NVLinks {
			if (l.CRC.OK && l.CRC.V > 0) || (l.Replay.OK && l.Replay.V > 0) || (l.Recovery.OK && l.Recovery.V > 0) {
				errs = append(errs, fmt.Sprintf("link %d CRC %d replay %d recovery %d", l.Link, l.CRC.V, l.Replay.V, l.Recovery.V))
			}
		}
		if len(errs) > 0 {
			ev = append(ev, "counters since driver load: "+strings.Join(errs, ", "))
		} else {
			ev = append(ev, "no data-link errors since driver load")
		}
		r.Status = model.Pass
		var fixes []string
		if len(down) > 0 {
			r.Status = model.Fail
			ev = append([]string{"link(s) " + strings.Join(down, ", ") + " down"}, ev...)
			fixes = append(fixes, "A link down on an NVLink system: check the fabric (nvidia-fabricmanager on NVSwitch systems), reset the GPU or reboot the node; if it stays down, the baseboard or the GPU needs the vendor.")
		}
		if s.NVLinkCRCPerS.OK && s.NVLinkCRCPerS.V > nvlinkCRCPerS {
			r.Status = worst(r.Status, model.Warn)
			ev = append(ev, fmt.Sprintf("CRC errors %.0f/s (DCGM threshold %.0f/s)", s.NVLinkCRCPerS.V, nvlinkCRCPerS))
		}
		if (s.NVLinkReplayPerS.OK && s.NVLinkReplayPerS.V > 0) || (s.NVLinkRecoveryPerS.OK && s.NVLinkRecoveryPerS.V > 0) {
			r.Status = worst(r.Status, model.Warn)
			ev = append(ev, fmt.Sprintf("replay %.2f/s, recovery %.2f/s in the last interval (DCGM flags any)", s.NVLinkReplayPerS.V, s.NVLinkRecoveryPerS.V))
		}
		if r.Status == model.Warn && len(fixes) == 0 {
			fixes = append(fixes, "Rising NVLink errors mean a marginal link: note which link and peer, run DCGM's NVLink diagnostic when the node is drained, and involve the vendor if they keep rising.")
		}
		if s.NVLinkTxKBps.OK || s.NVLinkRxKBps.OK {
			ev = append(ev, fmt.Sprintf("throughput TX %s RX %s", kbps(s.NVLinkTxKBps.V), kbps(s.NVLinkRxKBps.V)))
		}
		r.Evidence = strings.Join(ev, "; ")
		r.Fix = strings.Join(fixes, " ")
		if r.Status != model.Pass {
			r.Commands = []string{"nvidia-smi nvlink -s -i " + fmt.Sprint(g.Info.Index), "nvidia-smi nvlink -e -i " + fmt.Sprint(g.Info.Index)}
		}
		return true
	})
}

func kbps(v uint64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1f GB/s", float64(v)/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f MB/s", float64(v)/1e3)
	}
	return fmt.Sprintf("%d kB/s", v)
}

func pcieReplayRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.pcie_replay", "PCIe replay rate", true, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		if !s.PCIeReplayPerMin.OK {
			return false
		}
		r.Why = "PCIe replays are link-level retransmissions; DCGM flags more than 8 a minute (" + srcDCGMLimits + "): a marginal slot, riser or cable."
		r.Evidence = fmt.Sprintf("%.1f replays/min over the last %.0f s (threshold %.0f/min)", s.PCIeReplayPerMin.V, s.ReplayWindowS, pcieReplayPerMin)
		if g.Slow.V.PCIeReplays.OK {
			r.Evidence += fmt.Sprintf("; %d since driver load", g.Slow.V.PCIeReplays.V)
		}
		if s.PCIeReplayPerMin.V > pcieReplayPerMin {
			r.Status = model.Warn
			r.Fix = "Reseat the GPU and any riser/cable, try another slot, and check the link width and speed (pcie); update the motherboard firmware."
			r.Commands = []string{"nvidia-smi -q -d PCIE -i " + fmt.Sprint(g.Info.Index)}
		} else {
			r.Status = model.Pass
		}
		return true
	})
}

func aerRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "hw.aer", Title: "PCIe AER error counters (sysfs)",
		Why: "The kernel's Advanced Error Reporting counts PCIe errors per device: correctable ones are retried (a few are normal), non-fatal and fatal ones lose transactions and often precede Xid 79 (GPU fell off the bus)."}
	if len(f.Environment.AER) == 0 {
		return nil // not readable here (no AER support, a VM, or facts without it)
	}
	var ev, bad []string
	r.Status = model.Pass
	for _, a := range f.Environment.AER {
		ev = append(ev, fmt.Sprintf("%s correctable %d non-fatal %d fatal %d", a.BDF, a.Correctable.V, a.NonFatal.V, a.Fatal.V))
		if a.Fatal.V > 0 || a.NonFatal.V > 0 {
			bad = append(bad, a.BDF)
		}
	}
	r.Evidence = strings.Join(ev, "; ") + " (since boot, /sys/bus/pci/devices/*/aer_dev_*)"
	if len(bad) > 0 {
		r.Status = model.Warn
		r.Fix = "Uncorrectable PCIe errors on " + strings.Join(bad, ", ") + ": reseat the GPU and risers, check the slot's link speed, and read the kernel log around them."
		r.Commands = []string{"sudo dmesg | grep -iE 'AER|pcieport|Xid'"}
	}
	return []model.CheckResult{r}
}

// p2pRule: multi-GPU boxes: can the GPUs reach each other directly, and
// does an IOMMU or ACS push their traffic through the root complex?
func p2pRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "hw.p2p", Title: "Peer-to-peer between GPUs and IOMMU/ACS",
		Why: "NCCL and CUDA copy directly between GPUs when P2P works; with an IOMMU translating DMA or ACS redirecting peer traffic to the root complex, P2P hangs or crawls (" + srcNCCLTrouble + ")."}
	var rows, notOK, geforceOnly []string
	pcieP2P := false // some pair does P2P over PCIe: where IOMMU and ACS matter
	seen := map[[2]int]bool{}
	names := map[int]string{}
	for _, g := range f.NVML.GPUs {
		names[g.Info.Index] = g.Info.Name
	}
	for _, g := range f.NVML.GPUs {
		s := signalsOf(g)
		if s == nil {
			continue
		}
		for _, p := range s.Peers {
			key := [2]int{min(g.Info.Index, p.GPU), max(g.Info.Index, p.GPU)}
			if seen[key] {
				continue
			}
			seen[key] = true
			rows = append(rows, fmt.Sprintf("GPU%d-GPU%d %s P2P %s", key[0], key[1], orDash(p.Topology), orDash(p.P2PRead)))
			pair := fmt.Sprintf("GPU%d-GPU%d: %s", key[0], key[1], p.P2PRead)
			switch {
			case p.P2PRead == "OK" && !strings.HasPrefix(p.Topology, "NV"):
				pcieP2P = true
			case p.P2PRead == "" || p.P2PRead == "OK":
			case gpuClass(names[key[0]]) == "geforce" && gpuClass(names[key[1]]) == "geforce":
				geforceOnly = append(geforceOnly, pair)
			default:
				notOK = append(notOK, pair)
			}
		}
	}
	if len(rows) == 0 {
		return nil // one GPU, or no topology read
	}
	sort.Strings(rows)
	ev := []string{"NVML topology: " + strings.Join(rows, ", ")}
	r.Status = model.Pass
	var fixes, cmds []string
	if len(geforceOnly) > 0 {
		// Nothing to set: NCCL uses host memory between these cards.
		ev = append(ev, "no P2P between GeForce cards (NVML: "+strings.Join(geforceOnly, ", ")+"): NCCL copies through host memory")
	}
	if len(notOK) > 0 {
		r.Status = model.Warn
		ev = append(ev, "P2P not possible: "+strings.Join(notOK, ", "))
		fixes = append(fixes, "Without P2P, NCCL stages copies through host memory (slower, but it works). Check the platform's PCIe topology (GPUs under different root complexes or CPU sockets often cannot do P2P) and the IOMMU/ACS items.")
	}
	m := f.Environment.IOMMU
	if f.Environment.Probed && pcieP2P {
		if m.Groups.OK && m.Groups.V > 0 && !m.Passthrough {
			r.Status = worst(r.Status, model.Warn)
			ev = append(ev, fmt.Sprintf("IOMMU active (%d groups; kernel: %s) without passthrough", m.Groups.V, orDash(m.Cmdline)))
			fixes = append(fixes, "On bare metal, NCCL recommends iommu=pt (or disabling the IOMMU/VT-d) so GPU peer traffic is not translated; in a VM, P2P needs the hypervisor's support (ATS) instead.")
			cmds = append(cmds, "sudo sed -i 's/GRUB_CMDLINE_LINUX_DEFAULT=\"/&iommu=pt /' /etc/default/grub && sudo update-grub  # takes effect at reboot")
		} else if m.Groups.OK {
			ev = append(ev, fmt.Sprintf("IOMMU groups %d, passthrough %s", m.Groups.V, yesNo(m.Passthrough)))
		}
		switch {
		case len(m.ACSRedirects) > 0:
			r.Status = worst(r.Status, model.Warn)
			ev = append(ev, "ACS redirects peer traffic on bridge(s) "+strings.Join(m.ACSRedirects, ", "))
			fixes = append(fixes, "Disable ACS on the PCIe switches between the GPUs (firmware setting, or setpci at boot) so peer traffic stays below the switch.")
			for _, b := range m.ACSRedirects {
				cmds = append(cmds, "sudo setpci -s "+b+" ECAP_ACS+0x6.w=0000  # until reboot")
			}
		case !m.ACSReadable:
			ev = append(ev, "ACS not checked (PCI config space beyond 256 bytes needs root)")
		default:
			ev = append(ev, "no ACS redirection on the bridges above the GPUs")
		}
	}
	r.Evidence = strings.Join(ev, "; ")
	r.Fix = strings.Join(fixes, " ")
	r.Commands = cmds
	return []model.CheckResult{r}
}

func migInstancesRule(f *model.Facts) []model.CheckResult {
	return perGPU(f, "hw.mig", "MIG instances", false, func(g model.GPUFacts, s *model.Signals, r *model.CheckResult) bool {
		sl := g.Slow.V
		if !sl.MIGCurrent.OK || sl.MIGCurrent.V != 1 {
			return false
		}
		r.Why = "With MIG on, CUDA programs run only inside MIG instances: a GPU in MIG mode without instances offers CUDA nothing."
		if len(s.MIG) == 0 {
			r.Status = model.Warn
			r.Evidence = "MIG enabled but no MIG instance exists: CUDA sees no device on this GPU"
			r.Fix = "Create GPU and compute instances (an administrator's choice of profiles), or turn MIG off if it is not wanted."
			r.Commands = []string{"nvidia-smi mig -lgip -i " + fmt.Sprint(g.Info.Index) + "  # the profiles this GPU offers", "sudo nvidia-smi mig -cgi 1g.10gb -C -i " + fmt.Sprint(g.Info.Index) + "  # example: one small instance"}
			return true
		}
		var parts []string
		for _, m := range s.MIG {
			p := fmt.Sprintf("GI %d/CI %d %s", m.GI.V, m.CI.V, strings.TrimPrefix(m.Name, g.Info.Name+" MIG "))
			if m.MemUsed.OK && m.MemTotal.OK {
				p += fmt.Sprintf(" %s/%s", bytesString(m.MemUsed.V), bytesString(m.MemTotal.V))
			}
			if len(m.PIDs) > 0 {
				p += fmt.Sprintf(" %d process(es)", len(m.PIDs))
			}
			if m.UtilGPU.OK {
				p += fmt.Sprintf(" busy %d%% (GPM)", m.UtilGPU.V)
			}
			parts = append(parts, p)
		}
		r.Status = model.Pass
		r.Evidence = fmt.Sprintf("%d instance(s): %s", len(s.MIG), strings.Join(parts, "; "))
		if s.MIGUtilNote != "" {
			r.Evidence += "; utilisation " + s.MIGUtilNote
		}
		return true
	})
}
