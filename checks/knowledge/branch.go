package knowledge

import "time"

// BranchType is NVIDIA's data-center driver branch designation.
type BranchType string

const (
	LTSB       BranchType = "Long Term Support Branch"
	Production BranchType = "Production Branch"
	NewFeature BranchType = "New Feature Branch"
	Developer  BranchType = "Evaluation/Developer Branch"
	Unknown    BranchType = ""
)

// DriverBranch is one driver branch (R580) and its lifecycle.
type DriverBranch struct {
	Branch int        `json:"branch"`
	Type   BranchType `json:"type,omitempty"`
	// EndOfLife is the month support ends, "2028-06"; "" when NVIDIA gives
	// none (new feature branches) or only says it has ended.
	EndOfLife string `json:"end_of_life,omitempty"`
	// Ended: NVIDIA lists the branch as end of life (with or without a date).
	Ended bool `json:"ended,omitempty"`
	// MaxCUDA is the newest CUDA major it runs without the forward
	// compatibility package (0 unknown).
	MaxCUDA int `json:"max_cuda,omitempty"`
	Provenance
}

var eolList = "listed as end of life on " + SrcLifecycle580

func br(branch int, typ BranchType, eol string, ended bool, maxCUDA int, p Provenance) DriverBranch {
	return DriverBranch{Branch: branch, Type: typ, EndOfLife: eol, Ended: ended, MaxCUDA: maxCUDA, Provenance: p}
}

var branches = []DriverBranch{
	br(410, Unknown, "", true, 10, verified(eolList)),
	br(418, LTSB, "2022-03", true, 10, verified(SrcLifecycle2021+"; "+eolList)),
	br(440, NewFeature, "2020-11", true, 10, verified(SrcLifecycle2021+"; "+eolList)),
	br(450, LTSB, "2023-07", true, 11, verified(SrcLifecycle2021+"; "+eolList)),
	br(455, Developer, "", true, 11, verified(SrcLifecycle2021+"; "+eolList)),
	br(460, Production, "2022-01", true, 11, verified(SrcLifecycle2021+"; "+eolList)),
	br(465, Unknown, "", true, 11, verified(eolList)),
	br(470, LTSB, "2024-07", true, 11, unconfirmed(SrcLifecycle580, "R470's designation and end of life are not in the pages read")),
	br(495, Unknown, "", true, 11, verified(eolList)),
	br(510, Unknown, "", true, 11, verified(eolList)),
	br(515, Unknown, "", true, 11, verified(eolList)),
	br(525, Unknown, "", true, 12, verified(eolList)),
	br(535, LTSB, "2026-06", false, 12, verified(SrcLifecycle615+"; "+SrcLifecycle580)),
	br(550, Unknown, "", true, 12, verified(eolList)),
	br(560, Unknown, "", true, 12, verified(eolList)),
	br(565, Unknown, "", true, 12, verified(eolList)),
	br(570, Production, "2026-02", false, 12, verified(SrcLifecycle580)),
	br(575, Unknown, "", true, 12, verified(eolList)),
	br(580, LTSB, "2028-06", false, 13, Provenance{Source: SrcLifecycle620 + "; " + SrcLifecycle615, Read: ReadOn, Verified: true,
		Note: "an earlier edition of the page gave August 2028"}),
	br(595, Production, "2027-03", false, 13, verified(SrcLifecycle620+"; "+SrcLifecycle615)),
	br(610, NewFeature, "2026-08", false, 13, verified(SrcLifecycle615)),
	br(620, LTSB, "2029-09", false, 13, verified(SrcLifecycle620)),
}

// Branches returns every known branch, ascending.
func Branches() []DriverBranch { return append([]DriverBranch(nil), branches...) }

// Branch finds the branch of a driver version (580.95.05 -> R580).
func Branch(driver Version) (DriverBranch, bool) {
	for _, b := range branches {
		if b.Branch == driver.Major() {
			return b, true
		}
	}
	return DriverBranch{}, false
}

// EndedBy reports whether the branch's support has ended at now: listed as
// ended, or its end-of-life month is over. known is false when neither the
// list nor a date says.
func (b DriverBranch) EndedBy(now time.Time) (ended, known bool) {
	if b.Ended {
		return true, true
	}
	if b.EndOfLife == "" {
		return false, false
	}
	eol, err := time.Parse("2006-01", b.EndOfLife)
	if err != nil {
		return false, false
	}
	// Support runs through the end of the named month.
	return !now.Before(eol.AddDate(0, 1, 0)), true
}

// SupportedBranches lists the branches with a future end of life at now,
// long-term support branches first: what a fix may recommend.
func SupportedBranches(now time.Time) []DriverBranch {
	var lts, other []DriverBranch
	for _, b := range branches {
		if ended, known := b.EndedBy(now); ended || !known {
			continue
		}
		if b.Type == LTSB {
			lts = append(lts, b)
		} else {
			other = append(other, b)
		}
	}
	return append(lts, other...)
}
