package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The dashboard a user launches: panes appear, values move, ? shows help,
// q exits 0 and the shell is usable afterwards.
func TestE2EDemoDashboard(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	bin := gputopBinary(t)
	for _, size := range []struct {
		w, h int
		want []string // names visible at this width: the model numbers survive 80 columns
	}{
		{200, 50, []string{"8 GPUs", "driver 580.159.04 (CUDA ≤ 13.0)", "DEMO", "A100", "RTX 4090", "RTX 5090", " T4 "}},
		{80, 24, []string{"8 GPUs", "driver 580.159.04", "DEMO", "A100", "RTX 4090", "RTX 5090"}},
	} {
		t.Run(sizeName(size.w, size.h), func(t *testing.T) {
			s := newTmux(t, size.w, size.h)
			s.typeLine(bin + " --demo --interval 50ms; echo EXIT=$?")
			first := s.waitFor("H100 80GB", 20*time.Second)
			s.waitFor("CHECKS", 10*time.Second)
			for _, want := range size.want {
				s.waitFor(want, 5*time.Second)
			}
			// Values change between two captures (the header clock alone
			// would too, so compare the pane rows only).
			deadline := time.Now().Add(15 * time.Second)
			for time.Now().Before(deadline) && rows(s.screen()) == rows(first) {
				time.Sleep(200 * time.Millisecond)
			}
			if rows(s.screen()) == rows(first) {
				t.Fatalf("GPU values did not change in 15 s:\n%s", s.screen())
			}
			s.send("?")
			s.waitFor("shift+tab", 5*time.Second) // only the help overlay lists it
			// Escape then q at once would reach the program as alt+q.
			s.send("Escape")
			s.waitForNo("shift+tab", 5*time.Second)
			// Who holds the memory: the process table, with the demo's
			// training job on GPU 0.
			s.send("P")
			s.waitFor("41000", 5*time.Second)
			s.waitFor("sort: memory", time.Second)
			s.send("Escape")
			s.waitForNo("sort: memory", 5*time.Second)
			s.send("q")
			s.waitFor("EXIT=0", 10*time.Second)
			// The terminal is restored: the shell echoes and evaluates.
			s.typeLine("echo $((6*7))")
			s.waitFor("42", 5*time.Second)
		})
	}
}

// rows is the screen without its first line (the header with the clock).
func rows(screen string) string {
	_, rest, _ := strings.Cut(screen, "\n")
	return rest
}

func sizeName(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }

// On a machine without a driver (this one, and CI's), the dashboard opens
// and says why there is no GPU, and suggests --demo.
func TestE2ENoGPUExplains(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	if _, err := os.Stat("/proc/driver/nvidia/version"); err == nil {
		t.Skip("this machine has an NVIDIA driver")
	}
	bin := gputopBinary(t)
	s := newTmux(t, 80, 24)
	s.typeLine(bin + "; echo EXIT=$?")
	scr := s.waitFor("No GPU", 15*time.Second)
	for _, want := range []string{"LIBRARY_NOT_FOUND", "--demo"} {
		if !strings.Contains(strings.ReplaceAll(scr, "\n", " "), want) {
			t.Errorf("no-GPU screen lacks %q:\n%s", want, scr)
		}
	}
	// The diagnosis: the checklist under the explanation, fails first, and
	// enter opens the fix with its commands.
	s.waitFor("NVIDIA kernel driver", 10*time.Second)
	s.send("Enter")
	// The fix: on a host, load the module; inside a container (this
	// machine), never modprobe: the module and the GPU come from the host.
	fix := s.waitFor("Commands", 5*time.Second)
	flat := strings.ReplaceAll(fix, "\n", " ")
	if !strings.Contains(flat, "modprobe nvidia") && !strings.Contains(flat, "host") {
		t.Errorf("the fix screen names neither loading the module nor the host:\n%s", fix)
	}
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
}

// Export from the running dashboard: s writes a snapshot the footer names,
// and that snapshot replays and re-checks.
func TestE2EExportThenReplay(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	bin := gputopBinary(t)
	dir := t.TempDir()
	s := newTmux(t, 200, 50)
	s.typeLine("cd " + dir + " && " + bin + " --demo --gpus 4; echo EXIT=$?")
	s.waitFor("CHECKS", 20*time.Second)
	s.waitFor("took", 10*time.Second) // the checks finished
	s.send("s")
	scr := s.waitFor("snapshot exported to", 10*time.Second) // not ".json": check titles name version.json
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
	files, _ := filepath.Glob(filepath.Join(dir, "gputop-*.json"))
	if len(files) != 1 {
		t.Fatalf("want one snapshot in %s, got %v; screen:\n%s", dir, files, scr)
	}
	st, err := os.Stat(files[0])
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot mode %v, err %v; want 0600", st.Mode().Perm(), err)
	}
	s.typeLine(bin + " --replay " + files[0] + "; echo EXIT=$?")
	s.waitFor("REPLAY", 15*time.Second)
	s.waitFor("GPU 3", 5*time.Second)
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)

	out, err := exec.Command(bin, "check", "--from", files[0]).CombinedOutput()
	code := exitCode(err)
	if code != 1 { // the demo fleet has failing checks
		t.Fatalf("check --from exit %d, want 1:\n%s", code, out)
	}
	if !regexp.MustCompile(`\d+ checks: \d+ fail`).Match(out) {
		t.Fatalf("check --from printed no summary:\n%s", out)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
