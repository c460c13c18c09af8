package checks

import (
	"strconv"
	"strings"
	"time"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
)

// cite records the sources a result rests on, each once, in
// CheckResult.Sources (the evidence then need not repeat them).
func cite(r *model.CheckResult, ps ...knowledge.Provenance) {
	for _, p := range ps {
		citeText(r, p.Source)
	}
}

func citeText(r *model.CheckResult, srcs ...string) {
	for _, s := range srcs {
		for _, part := range strings.Split(s, "; ") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			dup := false
			for _, have := range r.Sources {
				if have == part {
					dup = true
					break
				}
			}
			if !dup {
				r.Sources = append(r.Sources, part)
			}
		}
	}
}

// unconfirmedNote says, in the evidence, that a row no primary source
// confirms is what the verdict leans on.
func unconfirmedNote(p knowledge.Provenance) string {
	if p.Confirmed() {
		return ""
	}
	return unverified(p.Note)
}

// nowOf is the time the facts were collected (a recording's own time), or
// now when they carry none.
func nowOf(f *model.Facts) time.Time {
	if !f.Collected.IsZero() {
		return f.Collected.Time()
	}
	return time.Now().UTC()
}

// isDataCenterName: NVIDIA's forward-compatibility package supports
// data-center GPUs (and select RTX server SKUs); never GeForce. A name is
// data-center when it is neither GeForce/TITAN nor an RTX/Quadro
// workstation card.
func isDataCenterName(name string) bool {
	if name == "" || knowledge.IsGeForce(name) {
		return false
	}
	n := strings.ToLower(name)
	return !strings.Contains(n, "rtx") && !strings.Contains(n, "quadro")
}

// allDataCenter: every GPU NVML lists is a data-center GPU (false with none).
func allDataCenter(f *model.Facts) bool {
	if len(f.NVML.GPUs) == 0 {
		return false
	}
	for _, g := range f.NVML.GPUs {
		if !isDataCenterName(g.Info.Name) {
			return false
		}
	}
	return true
}

// allTuringOrNewer: the open kernel module flavour drives every GPU with a
// known compute capability (unknown counts as no).
func allTuringOrNewer(f *model.Facts) bool {
	if len(f.NVML.GPUs) == 0 {
		return false
	}
	for _, g := range f.NVML.GPUs {
		cc, ok := ccOf(g.Info)
		if !ok || cc < 75 {
			return false
		}
	}
	return true
}

// driverBranchFor picks the driver branch to recommend when the driver must
// be at least minDriver: the supported (not end-of-life) branch at or above
// it, long-term support first. ok is false when none is known.
func driverBranchFor(f *model.Facts, minDriver knowledge.Version) (knowledge.DriverBranch, bool) {
	for _, b := range knowledge.SupportedBranches(nowOf(f)) {
		if b.Branch >= minDriver.Major() {
			return b, true
		}
	}
	return knowledge.DriverBranch{}, false
}

// driverUpgradeText names the driver to install for at least minDriver, with
// the package for the GPUs at hand.
func driverUpgradeText(f *model.Facts, minDriver string) (string, []string) {
	min := MustVersion(minDriver)
	text := "Upgrade the driver to " + minDriver + " or newer"
	var cmds []string
	if b, ok := driverBranchFor(f, min); ok {
		text += " (R" + strconv.Itoa(b.Branch) + ", a " + strings.ToLower(string(b.Type)) + " supported until " + b.EndOfLife + ")"
		flavour := ""
		if allTuringOrNewer(f) {
			flavour = "-open"
		}
		cmds = append(cmds, "sudo apt install nvidia-driver-"+strconv.Itoa(b.Branch)+flavour+"  # Ubuntu's package of the R"+strconv.Itoa(b.Branch)+" driver; reboot afterwards")
	}
	return text + ".", cmds
}

// uniqStrings drops repeats, keeping the first occurrence: several GPUs or
// installs often need the same fix, which is said once.
func uniqStrings(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
