package model

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
	Fix      string   `json:"fix,omitempty"`      // steps, in words
	Commands []string `json:"commands,omitempty"` // exact commands; the user runs them
	GPU      Opt[int] `json:"gpu"`                // the GPU it concerns, if one
	Live     bool     `json:"live,omitempty"`     // re-evaluated as samples arrive
	// Replay is set only when a replay judged recorded facts again.
	Replay *ReplayMark `json:"replay,omitempty"`
}

// ReplayMarkKind says how a replayed result relates to the recording.
type ReplayMarkKind string

const (
	// ReplayChanged: today's rules judge the recorded facts differently
	// from the verdict recorded.
	ReplayChanged ReplayMarkKind = "changed"
	// ReplayNewRule: the rule is newer than the gputop that recorded.
	ReplayNewRule ReplayMarkKind = "new_rule"
	// ReplayRecordedOnly: today's rules no longer produce this result.
	ReplayRecordedOnly ReplayMarkKind = "recorded_only"
)

// ReplayMark is a replayed result's relation to the recording, kept apart
// from the title so that no view can cut it off or has to parse it back.
type ReplayMark struct {
	Kind     ReplayMarkKind `json:"kind"`
	Recorded Status         `json:"recorded,omitempty"` // the recorded verdict (ReplayChanged)
	Now      Status         `json:"now,omitempty"`      // today's verdict (ReplayChanged)
}

// Text is the mark as the views show it: "[recorded warn, now fail]".
func (m ReplayMark) Text() string {
	switch m.Kind {
	case ReplayChanged:
		return "[recorded " + string(m.Recorded) + ", now " + string(m.Now) + "]"
	case ReplayNewRule:
		return "[new rule]"
	case ReplayRecordedOnly:
		return "[recorded only]"
	}
	return ""
}
