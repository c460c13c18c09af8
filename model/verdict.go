package model

import (
	"strconv"
	"strings"
	"time"
)

// VerdictLevel is how a GPU is doing, worst first in VerdictLevels: the
// badge every view draws on it (card, table, zoom, snapshot, report).
type VerdictLevel string

const (
	VerdictLost  VerdictLevel = "lost"  // the driver reports it gone
	VerdictError VerdictLevel = "error" // readings fail (RESET_REQUIRED, ...)
	VerdictFail  VerdictLevel = "fail"  // a failing check or a critical event
	VerdictStale VerdictLevel = "stale" // a reading is overdue
	VerdictWarn  VerdictLevel = "warn"  // a warning check or event
	VerdictOK    VerdictLevel = "ok"    // reachable, nothing failing or warning
)

// rank orders levels, worst (0) first.
func (l VerdictLevel) rank() int {
	switch l {
	case VerdictLost:
		return 0
	case VerdictError:
		return 1
	case VerdictFail:
		return 2
	case VerdictStale:
		return 3
	case VerdictWarn:
		return 4
	}
	return 5
}

// Worse reports whether l is more severe than o.
func (l VerdictLevel) Worse(o VerdictLevel) bool { return l.rank() < o.rank() }

// Glyph is the level's shape, readable without colour.
func (l VerdictLevel) Glyph() string {
	switch l {
	case VerdictLost, VerdictError, VerdictFail:
		return "✖"
	case VerdictStale:
		return "◌"
	case VerdictWarn:
		return "▲"
	}
	return "●"
}

// Word is the level's word; the severe ones shout, as the checklist does.
func (l VerdictLevel) Word() string {
	switch l {
	case VerdictLost:
		return "LOST"
	case VerdictError:
		return "ERROR"
	case VerdictFail:
		return "FAIL"
	case VerdictStale:
		return "STALE"
	case VerdictWarn:
		return "warn"
	}
	return "ok"
}

// Verdict is a GPU's badge: the worst of its reachability, its failing or
// warning checks (live and static) and its recent critical events, with the
// short reason of the worst finding ("thermal", "PCIe x8", "Xid 79") and how
// many other findings there are.
type Verdict struct {
	Level  VerdictLevel `json:"level"`
	Reason string       `json:"reason,omitempty"`
	// More counts the findings beyond the one named by Reason.
	More int `json:"more,omitempty"`
	// Causes are the check IDs ("throttle.gpu2") and events ("xid 79") the
	// verdict comes from, worst first.
	Causes []string `json:"causes,omitempty"`
}

// Text is the badge as plain text: "✖ FAIL thermal +1", "● ok".
func (v Verdict) Text() string {
	lvl := v.Level
	if lvl == "" {
		lvl = VerdictOK
	}
	s := lvl.Glyph() + " " + lvl.Word()
	if v.Reason != "" {
		s += " " + v.Reason
	}
	if v.More > 0 {
		s += " +" + strconv.Itoa(v.More)
	}
	return s
}

// RecentEvents is how long a critical event keeps marking its GPU's badge.
const RecentEvents = 10 * time.Minute

// VerdictInput is what a GPU's verdict is judged from.
type VerdictInput struct {
	Info   GPUInfo
	Health Health
	Fast   Sample     // the newest fast reading (for the reason's words)
	Slow   SlowSample // the newest slow reading
	Checks []CheckResult
	Events []Event
	// Now bounds "recent" for events (events after Now are ignored too, so a
	// replay's cursor sees only its past).
	Now Timestamp
}

// finding is one reason a GPU is not fine.
type finding struct {
	level  VerdictLevel
	reason string
	cause  string
	at     Timestamp // events: newer first among equals
}

// GPUVerdict judges one GPU. Checks about other GPUs and stack-wide checks
// are ignored: a GPU's badge is about that GPU.
func GPUVerdict(in VerdictInput) Verdict {
	gpu := in.Info.Index
	var fs []finding
	switch in.Health.State {
	case Lost:
		fs = append(fs, finding{level: VerdictLost, cause: "health"})
	case Failed:
		fs = append(fs, finding{level: VerdictError, cause: "health"})
	case Stale:
		fs = append(fs, finding{level: VerdictStale, cause: "health"})
	}
	xidEvents := false // an Xid of this GPU in the window: the Xid check repeats it
	for i := range in.Events {
		ev := &in.Events[i]
		if ev.Kind == EventXid && ev.GPU.OK && ev.GPU.V == gpu && (in.Now == 0 || (ev.Time <= in.Now && in.Now.Sub(ev.Time) <= RecentEvents)) {
			xidEvents = true
		}
	}
	for i := range in.Checks {
		c := &in.Checks[i]
		if !c.GPU.OK || c.GPU.V != gpu {
			continue
		}
		switch checkFamily(c.ID) {
		case "health":
			if in.Health.State != Healthy {
				continue // the reachability finding already says it
			}
		case "xid":
			if xidEvents {
				continue // the events say which Xid
			}
		}
		lvl := VerdictOK
		switch c.Status {
		case Fail:
			lvl = VerdictFail
		case Warn:
			lvl = VerdictWarn
		}
		if lvl == VerdictOK {
			continue
		}
		fs = append(fs, finding{level: lvl, reason: CheckBadgeReason(*c, in.Info, in.Fast, in.Slow), cause: c.ID})
	}
	for i := range in.Events {
		ev := &in.Events[i]
		if !ev.GPU.OK || ev.GPU.V != gpu || (in.Now != 0 && (ev.Time > in.Now || in.Now.Sub(ev.Time) > RecentEvents)) {
			continue
		}
		if ev.Kind != EventXid && ev.Severity != SevError {
			continue // memory milestones and process starts are not findings
		}
		if ev.Kind == EventHealth && in.Health.State != Healthy {
			continue // the reachability finding already says it
		}
		lvl := VerdictWarn
		if ev.Severity == SevError {
			lvl = VerdictFail
		}
		reason, cause := string(ev.Kind), string(ev.Kind)
		if x, ok := ev.Xid.Get(); ok {
			reason, cause = "Xid "+strconv.Itoa(x), "xid "+strconv.Itoa(x)
		}
		fs = append(fs, finding{level: lvl, reason: reason, cause: cause, at: ev.Time})
	}
	if len(fs) == 0 {
		return Verdict{Level: VerdictOK}
	}
	// Worst first; among equals checks before events, newer events first.
	best := 0
	for i := range fs {
		if fs[i].level.Worse(fs[best].level) {
			best = i
		}
	}
	v := Verdict{Level: fs[best].level, Reason: fs[best].reason}
	ordered := append([]finding{fs[best]}, append(append([]finding(nil), fs[:best]...), fs[best+1:]...)...)
	seen := map[string]bool{}
	for _, f := range ordered {
		if seen[f.cause] {
			continue // one Xid that repeats is one finding
		}
		seen[f.cause] = true
		v.Causes = append(v.Causes, f.cause)
	}
	v.More = len(v.Causes) - 1
	return v
}

// checkFamily is a per-GPU check's ID without its GPU suffix
// ("throttle.gpu2" -> "throttle").
func checkFamily(id string) string {
	if i := strings.LastIndex(id, ".gpu"); i > 0 {
		return id[:i]
	}
	return id
}

// CheckBadgeReason is the one or two words a badge shows for a failing or
// warning check, from the GPU's readings where they say more than the
// check's name ("PCIe x8" rather than "PCIe link").
func CheckBadgeReason(c CheckResult, info GPUInfo, fast Sample, slow SlowSample) string {
	switch fam := checkFamily(c.ID); fam {
	case "throttle":
		r, _ := fast.ThrottleReasons.Get()
		switch {
		case r&(ThrottleHWThermal|ThrottleSWThermal) != 0:
			return "thermal"
		case r&ThrottleHWPowerBrake != 0:
			return "power brake"
		case r&ThrottleHWSlowdown != 0:
			return "HW slowdown"
		}
		return "throttle"
	case "pcie":
		w, wok := slow.PCIeWidth.Get()
		maxW, mok := info.MaxPCIeWidth.Get()
		if wok && mok && w < maxW {
			return "PCIe x" + strconv.Itoa(w)
		}
		g, gok := slow.PCIeGen.Get()
		maxG, mgok := info.MaxPCIeGen.Get()
		if gok && mgok && g < maxG {
			return "PCIe Gen" + strconv.Itoa(g)
		}
		return "PCIe"
	case "memory":
		return "memory errors"
	case "bar1":
		return "BAR1"
	case "persistence":
		return "persistence"
	case "compute_mode":
		return "compute mode"
	case "mig":
		return "MIG"
	case "power_limit":
		return "power limit"
	case "torch.arch":
		return "PyTorch arch"
	case "cc":
		return "CUDA arch"
	case "hw.nvlink":
		return "NVLink"
	case "hw.pcie_replay":
		return "PCIe replays"
	case "hw.inforom":
		return "InfoROM"
	case "hw.ecc_mode":
		return "ECC mode"
	case "hw.mig":
		return "MIG"
	case "xid":
		return "Xid"
	default:
		if i := strings.LastIndexByte(fam, '.'); i >= 0 {
			fam = fam[i+1:]
		}
		return strings.ReplaceAll(fam, "_", " ") // "throttle_history" -> "throttle history"
	}
}
