package checks

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gputop/gputop/model"
)

// Summary counts results by status.
type Summary struct {
	Pass  int `json:"pass"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
	Total int `json:"total"`
}

// Summarize counts rs.
func Summarize(rs []model.CheckResult) Summary {
	var s Summary
	for _, r := range rs {
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
	return fmt.Sprintf("%d checks: %d fail, %d warn, %d skip, %d pass", s.Total, s.Fail, s.Warn, s.Skip, s.Pass)
}

// ReportSchema names the layout of Report.
const ReportSchema = "gputop.check/v1"

// Report is what `gputop check --json` prints.
type Report struct {
	Schema       string              `json:"schema"`
	Summary      Summary             `json:"summary"`
	CUDAVersions CUDAVersionsView    `json:"cuda_versions"`
	Checks       []model.CheckResult `json:"checks"`
	Facts        model.Facts         `json:"facts"`
}

// NewReport bundles facts and results, results sorted fails first.
func NewReport(f model.Facts, rs []model.CheckResult) Report {
	return Report{Schema: ReportSchema, Summary: Summarize(rs), CUDAVersions: CUDAVersions(f), Checks: Sorted(rs), Facts: f}
}

// ExitCode is the exit status of `gputop check`: 1 if any check failed.
func ExitCode(rs []model.CheckResult) int {
	for _, r := range rs {
		if r.Status == model.Fail {
			return 1
		}
	}
	return 0
}

// Sorted returns a copy of rs ordered fails, warns, skips, passes, keeping
// the rules' order inside each group.
func Sorted(rs []model.CheckResult) []model.CheckResult {
	out := append([]model.CheckResult(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Status.Rank() < out[j].Status.Rank() })
	return out
}

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

// WriteText prints the checklist for a terminal or a log: grouped fails,
// warns, skips, passes; fixes and commands under fails and warns; the three
// CUDA versions and a summary line. Without color it uses plain tags only,
// so the text carries the same information.
func WriteText(w io.Writer, f model.Facts, rs []model.CheckResult, color bool) error {
	ew := &errWriter{w: w}
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	host := f.Host
	if host == "" {
		host = "this machine"
	}
	ew.printf("%s\n", paint(ansiBold, "gputop check: "+host))
	ew.printf("CUDA versions: %s\n\n", CUDAVersions(f).String())
	for _, r := range Sorted(rs) {
		st := statusStyle[r.Status]
		tag := st.tag
		if tag == "" {
			tag = strings.ToUpper(string(r.Status))
		}
		ew.printf("[%s] %s  %s\n", paint(st.color, tag), r.Title, paint(ansiDim, r.ID))
		if r.Evidence != "" {
			ew.printf("       %s\n", r.Evidence)
		}
		if r.Status == model.Fail || r.Status == model.Warn {
			if r.Why != "" {
				ew.printf("       why: %s\n", r.Why)
			}
			if r.Fix != "" {
				ew.printf("       fix: %s\n", r.Fix)
			}
			for _, c := range r.Commands {
				ew.printf("         $ %s\n", c)
			}
		}
	}
	ew.printf("\n%s\n", paint(ansiBold, Summarize(rs).String()))
	return ew.err
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
