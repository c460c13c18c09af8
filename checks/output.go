package checks

import (
	"fmt"
	"io"
	"strings"

	"github.com/gputop/gputop/model"
)

// Summary counts results by status. A result that follows from a root
// cause is counted once, with its root, in Follows and not in its status.
type Summary struct {
	Pass    int `json:"pass"`
	Warn    int `json:"warn"`
	Fail    int `json:"fail"`
	Skip    int `json:"skip"`
	Follows int `json:"follows"`
	Total   int `json:"total"`
}

// Summarize counts rs.
func Summarize(rs []model.CheckResult) Summary {
	var s Summary
	for _, r := range rs {
		if !r.Counted() {
			s.Follows++
			continue
		}
		switch r.Status {
		case model.Pass:
			s.Pass++
		case model.Warn:
			s.Warn++
		case model.Fail:
			s.Fail++
		case model.Skip:
			s.Skip++
		}
	}
	s.Total = len(rs)
	return s
}

func (s Summary) String() string {
	out := fmt.Sprintf("%d checks: %d fail, %d warn, %d skip, %d pass", s.Total, s.Fail, s.Warn, s.Skip, s.Pass)
	switch {
	case s.Follows == 1:
		out += "; 1 more follows from a root cause"
	case s.Follows > 1:
		out += fmt.Sprintf("; %d more follow from a root cause", s.Follows)
	}
	return out
}

// ReportSchema names the layout of Report.
const ReportSchema = "gputop.check/v1"

// Report is what `gputop check --json` prints.
type Report struct {
	Schema  string  `json:"schema"`
	Summary Summary `json:"summary"`
	// Recording is set by `check --from`: the facts are a snapshot's, and
	// Changed counts the verdicts that differ from the recorded ones.
	// Roots are the root causes, in the order shown: fix these first.
	Roots        []string            `json:"roots,omitempty"`
	Recording    *Recording          `json:"recording,omitempty"`
	Changed      int                 `json:"changed,omitempty"`
	CUDAVersions CUDAVersionsView    `json:"cuda_versions"`
	Checks       []model.CheckResult `json:"checks"`
	Facts        model.Facts         `json:"facts"`
}

// NewReport bundles facts and results, results sorted fails first.
func NewReport(f model.Facts, rs []model.CheckResult) Report {
	sorted := Sorted(rs)
	var roots []string
	for _, r := range sorted {
		if r.Root {
			roots = append(roots, r.ID)
		}
	}
	return Report{Schema: ReportSchema, Summary: Summarize(rs), Roots: roots, CUDAVersions: CUDAVersions(f), Checks: sorted, Facts: f}
}

// ExitCode is the exit status of `gputop check`: 1 if any check failed
// (a failing follower's root fails too, so it is counted once).
func ExitCode(rs []model.CheckResult) int {
	for _, r := range rs {
		if r.Status == model.Fail {
			return 1
		}
	}
	return 0
}

// Sorted returns a copy of rs ordered fails, warns, skips, passes, keeping
// the rules' order inside each group; inside a group root causes come
// first, and every result that follows from a root comes right after it.
func Sorted(rs []model.CheckResult) []model.CheckResult { return model.SortChecks(rs) }

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var statusStyle = map[model.Status]struct{ tag, color string }{
	model.Fail: {"FAIL", "\x1b[31m"},
	model.Warn: {"WARN", "\x1b[33m"},
	model.Skip: {"SKIP", "\x1b[2m"},
	model.Pass: {"PASS", "\x1b[32m"},
}

// TextOptions shape WriteReport's text.
type TextOptions struct {
	Color bool
	// Summary, when set, is printed instead of the summary of the results
	// shown (`--problems` shows a subset but counts every check).
	Summary *Summary
	// Recording is set when the facts were read from a snapshot (`check
	// --from`): the header then names the recorded host and time instead of
	// "this machine", and each changed verdict is shown beside today's.
	Recording *Recording
}

// Recording describes the snapshot a `check --from` judges.
type Recording struct {
	File    string          `json:"file"`
	Host    string          `json:"host"`
	Created model.Timestamp `json:"created"`
	// HasChecks: the snapshot recorded its own verdicts (results then carry
	// Recorded).
	HasChecks bool `json:"has_checks"`
	// Missing: fact sections the recording lacks (checks needing them skip).
	Missing []string `json:"missing,omitempty"`
}

// WriteText prints the checklist for a terminal or a log (see WriteReport).
func WriteText(w io.Writer, f model.Facts, rs []model.CheckResult, color bool) error {
	return WriteReport(w, f, rs, TextOptions{Color: color})
}

// WriteReport prints the checklist: grouped fails, warns, skips, passes,
// each root cause followed by what follows from it; fixes and commands
// under fails and warns that are not consequences of a root; the three CUDA
// versions and a summary line. Without color it uses plain tags only, so
// the text carries the same information.
func WriteReport(w io.Writer, f model.Facts, rs []model.CheckResult, o TextOptions) error {
	ew := &errWriter{w: w}
	paint := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + ansiReset
	}
	if rec := o.Recording; rec != nil {
		host := clean(rec.Host)
		if host == "" {
			host = "an unnamed host"
		}
		when := "at an unrecorded time"
		if !rec.Created.IsZero() {
			when = "on " + rec.Created.Time().Format("2006-01-02 15:04:05 UTC")
		}
		ew.printf("%s\n", paint(ansiBold, "gputop check: the recording of "+host+" made "+when))
		ew.printf("Judged with today's rules from %s; nothing below describes the machine running this command.\n", clean(rec.File))
		if changed := ChangedVerdicts(rs); rec.HasChecks {
			ew.printf("Verdicts changed against the recording: %d\n", changed)
		} else {
			ew.printf("The recording holds no verdicts to compare with.\n")
		}
		if len(f.Missing) > 0 {
			ew.printf("Not recorded (checks that need them skip): %s\n", strings.Join(f.Missing, ", "))
		}
	} else {
		host := clean(f.Host)
		if host == "" {
			host = "this machine"
		}
		ew.printf("%s\n", paint(ansiBold, "gputop check: "+host))
	}
	ew.printf("CUDA versions: %s\n\n", CUDAVersions(f).String())
	for _, r := range Sorted(rs) {
		st := statusStyle[r.Status]
		tag := st.tag
		if tag == "" {
			tag = strings.ToUpper(string(r.Status))
		}
		indent := "       "
		lead := ""
		if r.FollowsFrom != "" {
			lead, indent = "  -> ", "            "
		}
		title := r.Title
		if r.Root {
			title += " (root cause: fix this first)"
		}
		ew.printf("%s[%s] %s  %s\n", lead, paint(st.color, tag), clean(title), paint(ansiDim, clean(r.ID)))
		if r.FollowsFrom != "" {
			ew.printf("%sfollows from %s\n", indent, clean(r.FollowsFrom))
		}
		if r.Recorded != "" && r.Recorded != r.Status {
			ew.printf("%srecorded: %s, today: %s (changed)\n", indent, clean(string(r.Recorded)), r.Status)
		}
		if r.Evidence != "" {
			ew.printf("%s%s\n", indent, cleanLines(r.Evidence, indent))
		}
		if (r.Status == model.Fail || r.Status == model.Warn) && r.FollowsFrom == "" {
			if r.Why != "" {
				ew.printf("%swhy: %s\n", indent, clean(r.Why))
			}
			if r.Fix != "" {
				ew.printf("%sfix: %s\n", indent, clean(r.Fix))
			}
			for _, c := range r.Commands {
				ew.printf("%s  $ %s\n", indent, clean(c))
			}
			if len(r.Sources) > 0 {
				ew.printf("%ssource: %s\n", indent, clean(strings.Join(r.Sources, "; ")))
			}
		}
	}
	sum := Summarize(rs)
	if o.Summary != nil {
		sum = *o.Summary
	}
	ew.printf("\n%s\n", paint(ansiBold, sum.String()))
	return ew.err
}

// ChangedVerdicts counts results whose recorded verdict differs from today's.
func ChangedVerdicts(rs []model.CheckResult) int {
	n := 0
	for _, r := range rs {
		if r.Recorded != "" && r.Recorded != r.Status {
			n++
		}
	}
	return n
}

// errWriter keeps the first write error so WriteText can report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	if _, err := fmt.Fprintf(e.w, format, args...); err != nil {
		e.err = fmt.Errorf("write check report: %w", err)
	}
}

// clean makes text from the machine (host names, file contents, kernel log
// lines) safe for a terminal: control characters, escape sequences
// included, become U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// cleanLines cleans each line and indents the continuation lines.
func cleanLines(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n"+indent)
}

// CompareRecorded sets Recorded on each of today's results from the
// verdicts a snapshot recorded, so `check --from` shows both and which
// changed. A recorded result today's rules no longer produce is kept as
// recorded (its finding was real on that machine), titled "[recorded only]".
func CompareRecorded(now, recorded []model.CheckResult) []model.CheckResult {
	byID := make(map[string]model.CheckResult, len(recorded))
	for _, r := range recorded {
		byID[r.ID] = r
	}
	out := make([]model.CheckResult, 0, len(now)+len(recorded))
	seen := make(map[string]bool, len(now))
	for _, r := range now {
		seen[r.ID] = true
		if old, ok := byID[r.ID]; ok {
			r.Recorded = old.Status
		}
		out = append(out, r)
	}
	for _, r := range recorded {
		if !seen[r.ID] && r.ID != "" {
			r.Recorded = r.Status
			r.FollowsFrom, r.Root = "", false
			r.Title += " [recorded only]"
			r.Evidence += "\nToday's rules no longer produce this check; shown as recorded."
			out = append(out, r)
		}
	}
	return Link(out)
}

// Problems keeps the fails and warns, and whatever follows from them
// (`check --problems`).
func Problems(rs []model.CheckResult) []model.CheckResult {
	out := make([]model.CheckResult, 0, len(rs))
	for _, r := range rs {
		if r.Status == model.Fail || r.Status == model.Warn {
			out = append(out, r)
		}
	}
	return out
}

// FromSnapshot returns the facts a snapshot recorded, with its event
// timeline, ready for Evaluate.
func FromSnapshot(snap *model.Snapshot) model.Facts {
	f := snap.Facts
	if snap.Events != nil {
		f.Events = snap.Events
	}
	// The facts were taken when the checks last ran; a GPU the recording
	// saw fail later carries that in its record: judge the worse state.
	if len(snap.GPUs) > 0 && len(f.NVML.GPUs) > 0 {
		gpus := append([]model.GPUFacts(nil), f.NVML.GPUs...)
		for _, rec := range snap.GPUs {
			for i := range gpus {
				if gpus[i].Info.Index == rec.Index && worseHealth(rec.Health, gpus[i].Health) {
					gpus[i].Health = rec.Health
				}
			}
		}
		f.NVML.GPUs = gpus
	}
	if f.Host == "" {
		f.Host = snap.Host
	}
	return f
}

// worseHealth: a lost or failing state beats a healthy or stale one.
func worseHealth(a, b model.Health) bool {
	bad := func(h model.Health) bool { return h.State == model.Lost || h.State == model.Failed }
	return bad(a) && !bad(b)
}
