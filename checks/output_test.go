package checks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

func sampleResults() []model.CheckResult {
	return []model.CheckResult{
		{ID: "a.pass", Title: "A passes", Status: model.Pass, Evidence: "fine"},
		{ID: "b.fail", Title: "B fails", Status: model.Fail, Evidence: "broken", Why: "because", Fix: "do this", Commands: []string{"fix-it  # explained"}},
		{ID: "c.skip", Title: "C skips", Status: model.Skip, Evidence: "no data"},
		{ID: "d.warn", Title: "D warns", Status: model.Warn, Evidence: "odd", Fix: "look"},
		{ID: "e.fail", Title: "E fails", Status: model.Fail, Evidence: "broken too", Fix: "do that"},
	}
}

func TestWriteTextOrderAndContent(t *testing.T) {
	f := healthyFacts()
	var buf strings.Builder
	if err := WriteText(&buf, f, sampleResults(), false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	order := []string{"[FAIL] B fails", "[FAIL] E fails", "[WARN] D warns", "[SKIP] C skips", "[PASS] A passes"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in:\n%s", s, out)
		}
		last = i
	}
	for _, s := range []string{"fix: do this", "$ fix-it  # explained", "why: because", "5 checks: 2 fail, 1 warn, 1 skip, 1 pass",
		"CUDA versions: driver supports 13.0 · nvcc 13.0 · /usr/local/cuda 13.0 · torch 2.11.0+cu130 runtime 13.0", "gputop check: h100"} {
		if !strings.Contains(out, s) {
			t.Errorf("text lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape codes without color")
	}
	// A pass shows no fix text even if one is set: passes need no action.
	if strings.Contains(out, "why: fine") {
		t.Error("pass printed a why")
	}
	buf.Reset()
	if err := WriteText(&buf, f, sampleResults(), true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[31mFAIL\x1b[0m") {
		t.Errorf("color output lacks a red FAIL:\n%q", buf.String())
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	if w.n > 2 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteTextReportsWriteError(t *testing.T) {
	w := &failingWriter{}
	err := WriteText(w, healthyFacts(), sampleResults(), false)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v", err)
	}
	if w.n != 3 {
		t.Errorf("kept writing after the error: %d writes", w.n)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		statuses []model.Status
		want     int
	}{
		{nil, 0},
		{[]model.Status{model.Pass, model.Skip}, 0},
		{[]model.Status{model.Pass, model.Warn}, 0},
		{[]model.Status{model.Warn, model.Fail}, 1},
		{[]model.Status{model.Fail}, 1},
	}
	for _, tt := range tests {
		var rs []model.CheckResult
		for _, s := range tt.statuses {
			rs = append(rs, model.CheckResult{Status: s})
		}
		if got := ExitCode(rs); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.statuses, got, tt.want)
		}
	}
}

func TestReportJSON(t *testing.T) {
	rs := sampleResults()
	rep := NewReport(healthyFacts(), rs)
	if rep.Summary != (Summary{Pass: 1, Warn: 1, Fail: 2, Skip: 1, Total: 5}) {
		t.Errorf("summary = %+v", rep.Summary)
	}
	if rep.Checks[0].Status != model.Fail || rs[0].ID != "a.pass" {
		t.Error("report must sort its own copy, fails first")
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "summary", "cuda_versions", "checks", "facts"} {
		if _, ok := back[k]; !ok {
			t.Errorf("report JSON lacks %q", k)
		}
	}
	if back["schema"] != ReportSchema {
		t.Errorf("schema = %v", back["schema"])
	}
	c := back["checks"].([]any)[0].(map[string]any)
	if c["status"] != "fail" || c["gpu"] != nil {
		t.Errorf("first check = %v (want status fail, gpu null)", c)
	}
}

// The JSON report lists the root causes and puts each first.
func TestReportRoots(t *testing.T) {
	rs := Link([]model.CheckResult{
		{ID: "cuda.toolkit", Title: "t", Status: model.Warn, Evidence: "e", Fix: "f"},
		{ID: "nvml.library", Title: "n", Status: model.Fail, Evidence: "e", Fix: "f"},
		{ID: "pci.gpus", Title: "p", Status: model.Fail, Evidence: "e", Fix: "f", Cause: "no-gpu-on-bus"},
	})
	rep := NewReport(healthyFacts(), rs)
	if len(rep.Roots) != 1 || rep.Roots[0] != "pci.gpus" || rep.Checks[0].ID != "pci.gpus" || rep.Checks[1].FollowsFrom != "pci.gpus" {
		t.Fatalf("roots %v, checks %s %s", rep.Roots, rep.Checks[0].ID, rep.Checks[1].ID)
	}
	if rep.Summary.Fail != 1 || rep.Summary.Follows != 1 || rep.Summary.Warn != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	b, _ := json.Marshal(rep)
	for _, k := range []string{`"roots":["pci.gpus"]`, `"follows_from":"pci.gpus"`, `"root":true`, `"follows":1`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}
