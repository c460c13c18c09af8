package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/gputop/gputop/model"
)

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Bad input gives one clear line on stderr and exit 2, never a stack trace
// or a usage dump.
func TestBadInputExits2WithOneLine(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "notjson.json")
	os.WriteFile(notJSON, []byte("hello"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "1ms"}, "minimum is 10ms"},
		{[]string{"--interval", "banana"}, "invalid argument"},
		{[]string{"--demo", "--gpus", "0"}, "1 to 16"},
		{[]string{"--demo", "--gpus", "17"}, "1 to 16"},
		{[]string{"--demo", "--gpus", "abc"}, "want a whole number of GPUs from 1 to 16"},
		{[]string{"--gpus", "4"}, "use it with --demo"},
		{[]string{"snapshot", "--gpus", "4"}, "use it with --demo"},
		{[]string{"--theme", "purple"}, "purple"},
		{[]string{"--nope"}, "unknown flag"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"--replay", filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"--replay", notJSON}, "notjson.json"},
		{[]string{"check", "--from", notJSON}, "notjson.json"},
		{[]string{"snapshot", "--demo", "--format", "xml"}, "want json or md"},
		{[]string{"--demo", "--replay", notJSON}, "cannot be used together"},
	}
	for _, c := range cases {
		code, _, stderr := runArgs(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, stderr)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, stderr, c.want)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 0 || strings.Contains(stderr, "goroutine") {
			t.Errorf("%v: want one line, got:\n%s", c.args, stderr)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runArgs(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "gputop ") {
		t.Fatalf("--version: %d %q", code, out)
	}
	code, out, _ = runArgs(t, "--help")
	for _, want := range []string{"--interval", "--demo", "--replay", "--theme", "--log", "check", "snapshot"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
}

// The demo fleet has failing checks: exit 1, fails listed first, JSON parses.
func TestCheckDemoExitCodeAndJSON(t *testing.T) {
	code, out, stderr := runArgs(t, "check", "--demo", "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	var rep struct {
		Summary map[string]int `json:"summary"`
		Checks  []model.CheckResult
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out[:min(len(out), 500)])
	}
	if len(rep.Checks) == 0 || rep.Checks[0].Status != model.Fail {
		t.Fatalf("first check is not a fail: %+v", rep.Checks[:1])
	}
	seen := map[model.Status]bool{}
	for _, c := range rep.Checks {
		seen[c.Status] = true
	}
	for _, s := range []model.Status{model.Pass, model.Warn, model.Fail, model.Skip} {
		if !seen[s] {
			t.Errorf("demo checklist has no %s", s)
		}
	}
}

// A snapshot taken headless from the demo re-checks to the same verdicts,
// and its Markdown twin is a report.
func TestSnapshotDemoRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.json")
	if code, _, stderr := runArgs(t, "snapshot", "--demo", "--gpus", "3", "-o", file); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, stderr)
	}
	snap, err := model.LoadSnapshot(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.GPUs) != 3 || len(snap.GPUs[0].Samples) < 500 {
		t.Fatalf("want 3 GPUs with >= 60 s at 100 ms, got %d GPUs, %d samples", len(snap.GPUs), len(snap.GPUs[0].Samples))
	}
	_, out, _ := runArgs(t, "check", "--from", file, "--json")
	var rep struct{ Checks []model.CheckResult }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]model.Status{}
	for _, c := range snap.Checks {
		recorded[c.ID] = c.Status
	}
	if len(rep.Checks) != len(snap.Checks) {
		t.Fatalf("check --from gave %d results, snapshot recorded %d", len(rep.Checks), len(snap.Checks))
	}
	for _, c := range rep.Checks {
		if recorded[c.ID] != c.Status {
			t.Errorf("%s: recorded %s, re-checked %s", c.ID, recorded[c.ID], c.Status)
		}
	}
	md := filepath.Join(dir, "demo.md")
	if code, _, stderr := runArgs(t, "snapshot", "--demo", "--format", "md", "-o", md); code != 0 {
		t.Fatalf("md exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(md)
	if !strings.Contains(string(b), "| ") || !strings.Contains(string(b), "fail") {
		t.Fatalf("markdown report looks empty:\n%s", b)
	}
}

// Without a driver (this machine, CI) check fails on the driver quickly and
// a headless snapshot records the diagnosis: facts, checks, the NVML error.
func TestNoDriverCheckAndSnapshot(t *testing.T) {
	if _, err := os.Stat("/proc/driver/nvidia/version"); err == nil {
		t.Skip("this machine has an NVIDIA driver")
	}
	code, out, _ := runArgs(t, "check")
	if code != 1 || !strings.Contains(out, "driver.loaded") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "x.json")
	code, _, stderr := runArgs(t, "snapshot", "-o", file)
	if code != 0 || !strings.Contains(stderr, "LIBRARY_NOT_FOUND") {
		t.Fatalf("snapshot: exit %d, %q", code, stderr)
	}
	snap, err := model.LoadSnapshot(file)
	if err != nil {
		t.Fatal(err)
	}
	if snap.NVMLError == nil || snap.NVMLError.Code != "LIBRARY_NOT_FOUND" || len(snap.Checks) == 0 || len(snap.GPUs) != 0 {
		t.Errorf("snapshot without a GPU: error %+v, %d checks, %d GPUs", snap.NVMLError, len(snap.Checks), len(snap.GPUs))
	}
}

func TestTuneRuntime(t *testing.T) {
	procs, gc := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	defer func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc) }()

	tuneRuntime(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != min(runtime.NumCPU(), maxProcs) {
		t.Errorf("GOMAXPROCS %d, want %d", got, min(runtime.NumCPU(), maxProcs))
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GC percent %d, want %d", got, gcPercent)
	}
	// The environment wins.
	runtime.GOMAXPROCS(7)
	tuneRuntime(func(k string) string { return map[string]string{"GOMAXPROCS": "7", "GOGC": "100"}[k] })
	if got := runtime.GOMAXPROCS(0); got != 7 {
		t.Errorf("GOMAXPROCS %d with GOMAXPROCS=7 set", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d with GOGC=100 set", got)
	}
}

// The demo's badges are in its snapshot and its report, word for word as
// the dashboard draws them: every GPU whose checks fail or warn says so.
func TestDemoSnapshotRecordsTheBadges(t *testing.T) {
	dir := t.TempDir()
	file, md := filepath.Join(dir, "demo.json"), filepath.Join(dir, "demo.md")
	if code, _, stderr := runArgs(t, "snapshot", "--demo", "-o", file); code != 0 {
		t.Fatalf("snapshot exit %d: %s", code, stderr)
	}
	if code, _, stderr := runArgs(t, "snapshot", "--demo", "--format", "md", "-o", md); code != 0 {
		t.Fatalf("md exit %d: %s", code, stderr)
	}
	snap, err := model.LoadSnapshot(file)
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{2: "✖ FAIL thermal", 4: "▲ warn BAR1", 7: "✖ FAIL recovery"}
	for gpu, badge := range want {
		if got := snap.GPUs[gpu].Verdict.Text(); !strings.HasPrefix(got, badge) {
			t.Errorf("GPU %d: snapshot verdict %q, want %q", gpu, got, badge)
		}
		if !strings.Contains(string(report), badge) {
			t.Errorf("the report lacks GPU %d's badge %q", gpu, badge)
		}
	}
	for _, c := range snap.Checks {
		if g, ok := c.GPU.Get(); ok && c.Counted() && (c.Status == model.Fail || c.Status == model.Warn) &&
			snap.GPUs[g].Verdict.Level == model.VerdictOK {
			t.Errorf("GPU %d reads ok although %s is %s", g, c.ID, c.Status)
		}
	}
}
