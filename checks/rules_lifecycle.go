package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/gputop/gputop/checks/knowledge"
	"github.com/gputop/gputop/model"
)

func init() {
	rules = append(rules, rule{name: "driver.lifecycle", eval: driverLifecycleRule})
}

func monthText(ym string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	return t.Format("January 2006")
}

// driverLifecycleRule: is the driver's branch still supported by NVIDIA
// (security and bug fixes)?
func driverLifecycleRule(f *model.Facts) []model.CheckResult {
	r := model.CheckResult{ID: "driver.lifecycle", Title: "Driver branch lifecycle",
		Why: "NVIDIA supports each data-center driver branch until its end of life (long-term support branches for three years, production branches for one); after that it gets no security or bug fixes."}
	drv, src, ok := driverVersion(f)
	if !ok {
		r.Status, r.Evidence = model.Skip, "driver version unknown"
		return []model.CheckResult{r}
	}
	b, ok := knowledge.Branch(drv)
	if !ok {
		r.Status = model.Skip
		r.Evidence = fmt.Sprintf("driver %s (%s): branch R%d is not in NVIDIA's lifecycle table as read (new feature branches are short-lived and carry no end-of-life date)", drv, src, drv.Major())
		return []model.CheckResult{r}
	}
	cite(&r, b.Provenance)
	now := nowOf(f)
	ev := fmt.Sprintf("driver %s (%s) is on R%d", drv, src, b.Branch)
	if b.Type != knowledge.Unknown {
		ev += ", a " + strings.ToLower(string(b.Type))
	} else if b.Ended {
		ev += ", which NVIDIA lists as end of life"
	}
	if b.EndOfLife != "" {
		ev += " with end of life " + monthText(b.EndOfLife)
	}
	ev += unconfirmedNote(b.Provenance)
	ended, known := b.EndedBy(now)
	switch {
	case !known:
		r.Status = model.Skip
		r.Evidence = ev + "; NVIDIA names no end of life for it"
		return []model.CheckResult{r}
	case !ended:
		r.Status = model.Pass
		if !b.Confirmed() {
			r.Status = model.Skip
		}
		r.Evidence = ev + "; supported on " + now.Format("2006-01-02")
		return []model.CheckResult{r}
	}
	r.Status = model.Warn
	r.Evidence = ev + "; past its end of life on " + now.Format("2006-01-02") + ": no more security or bug fixes"
	// The newest supported branch every GPU still runs on.
	lastAllowed := 0
	for _, g := range f.NVML.GPUs {
		if cc, ok := ccOf(g.Info); ok {
			if a, ok := knowledge.ArchOfCC(cc); ok && a.LastBranch != 0 && (lastAllowed == 0 || a.LastBranch < lastAllowed) {
				lastAllowed = a.LastBranch
			}
		}
	}
	for _, s := range knowledge.SupportedBranches(now) {
		if s.Branch <= b.Branch || (lastAllowed != 0 && s.Branch > lastAllowed) {
			continue
		}
		flavour := ""
		if allTuringOrNewer(f) {
			flavour = "-open"
		}
		r.Fix = fmt.Sprintf("Move to R%d, a %s supported until %s.", s.Branch, strings.ToLower(string(s.Type)), monthText(s.EndOfLife))
		r.Commands = []string{driverInstallCommand(f, s.Branch, flavour == "-open")}
		cite(&r, s.Provenance)
		return []model.CheckResult{r}
	}
	if lastAllowed != 0 {
		r.Fix = fmt.Sprintf("These GPUs' last driver branch is R%d and no supported branch still drives them: plan to replace them, and keep the host isolated meanwhile.", lastAllowed)
	} else {
		r.Fix = "Move to a supported branch from NVIDIA's data-center driver lifecycle page."
	}
	return []model.CheckResult{r}
}
