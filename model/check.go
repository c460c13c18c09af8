package model

import "sort"

// Status is a check's verdict. A check that cannot decide says Skip with the
// reason; it never says Pass.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Rank orders statuses for display: fails first.
func (s Status) Rank() int {
	switch s {
	case Fail:
		return 0
	case Warn:
		return 1
	case Skip:
		return 2
	case Pass:
		return 3
	}
	return 4
}

// CheckResult is one finding of the checklist.
type CheckResult struct {
	ID       string   `json:"id"` // stable, e.g. "driver.loaded", "bar1.gpu0"
	Title    string   `json:"title"`
	Status   Status   `json:"status"`
	Evidence string   `json:"evidence"` // the values found and where they came from
	Why      string   `json:"why,omitempty"`
	Fix      string   `json:"fix,omitempty"`                 // steps, in words
	Commands []string `json:"commands,omitempty" safe:"cmd"` // exact commands; the user runs them (one line each: see model/safe)
	GPU      Opt[int] `json:"gpu"`                           // the GPU it concerns, if one
	Live     bool     `json:"live,omitempty"`                // re-evaluated as samples arrive

	// Cause is a short machine-readable reason for a fail or warn
	// ("no-gpu-on-bus", "container-no-gpu", "module-not-loaded", "lost"):
	// the root-cause graph (checks/rootcause.go) keys its edges on it.
	Cause string `json:"cause,omitempty"`
	// FollowsFrom is the id of the root-cause check this fail or warn is a
	// consequence of; such a result is shown under its root and counted
	// once, with it, in the summary and the exit status.
	FollowsFrom string `json:"follows_from,omitempty"`
	// Root: other results follow from this one; fix it first.
	Root bool `json:"root,omitempty"`
	// Recorded is the verdict a snapshot recorded for this check when
	// `check --from` judges the recording again ("" when not recorded).
	Recorded Status `json:"recorded,omitempty"`
	// Sources are the documents (or measurements) the verdict rests on,
	// each named once, so that the evidence need not repeat them.
	Sources []string `json:"sources,omitempty"`
}

// Counted reports whether the result counts on its own in a summary and
// the exit status: a result that follows from a root cause does not.
func (r CheckResult) Counted() bool { return r.FollowsFrom == "" }

// RecordedMark is a replayed result's relation to the recording, for the
// views to draw beside the title (never inside it, where it was cut off):
// "[recorded warn, now fail]" when today's rules judge the recorded facts
// differently, "[new rule]" when the recording has no verdict for it, ""
// otherwise. Only meaningful for results judged from a recording.
func (r CheckResult) RecordedMark() string {
	switch {
	case r.Recorded == "":
		return "[new rule]"
	case r.Recorded != r.Status:
		return "[recorded " + string(r.Recorded) + ", now " + string(r.Status) + "]"
	}
	return ""
}

// SortChecks returns a copy of rs ordered fails, warns, skips, passes,
// keeping the given order inside each group; inside a group root causes
// come first, and every result that follows from a root comes right after
// it, whatever its own status. The checklist (text, JSON, the dashboard's
// pane and the no-GPU screen) lists results in this order, so the root
// cause is the first line.
func SortChecks(rs []CheckResult) []CheckResult {
	primary := make([]CheckResult, 0, len(rs))
	followers := map[string][]CheckResult{}
	ids := make(map[string]bool, len(rs))
	for _, r := range rs {
		ids[r.ID] = true
	}
	for _, r := range rs {
		if r.FollowsFrom != "" && ids[r.FollowsFrom] && r.FollowsFrom != r.ID {
			followers[r.FollowsFrom] = append(followers[r.FollowsFrom], r)
			continue
		}
		primary = append(primary, r)
	}
	sort.SliceStable(primary, func(i, j int) bool {
		a, b := primary[i], primary[j]
		if a.Status.Rank() != b.Status.Rank() {
			return a.Status.Rank() < b.Status.Rank()
		}
		return a.Root && !b.Root
	})
	out := make([]CheckResult, 0, len(rs))
	for _, r := range primary {
		out = append(out, r)
		out = append(out, followers[r.ID]...)
	}
	return out
}
