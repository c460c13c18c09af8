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
	Fix      string   `json:"fix,omitempty"`                 // steps, in words
	Commands []string `json:"commands,omitempty" safe:"cmd"` // exact commands; the user runs them (one line each: see model/safe)
	GPU      Opt[int] `json:"gpu"`                           // the GPU it concerns, if one
	Live     bool     `json:"live,omitempty"`                // re-evaluated as samples arrive
}
