package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `c` inside tmux puts the fix command into tmux's own buffer (tmux 3.3+
// drops OSC 52 wrapped in DCS passthrough, so that path alone copied
// nothing), and the footer says where it went.
func TestE2ECopyReachesTheTmuxBuffer(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	bin := gputopBinary(t)
	s := newTmux(t, 120, 40)
	// env -i cleared TMUX in the shell: hand the private server back.
	tmuxVar := strings.TrimSpace(s.tmux("display-message", "-p", "#{socket_path},#{pid},0"))
	s.typeLine("TMUX=" + tmuxVar + " " + bin + " --demo --gpus 4; echo EXIT=$?")
	s.waitFor("took", 20*time.Second) // the checks finished
	s.send("BTab")                    // the checks pane
	s.send("Enter")                   // the first (failing) check's fix panel
	s.waitFor("$ ", 5*time.Second)
	s.send("c")
	scr := s.waitFor("copied to the tmux buffer", 10*time.Second)
	buf := strings.TrimSpace(s.tmux("show-buffer"))
	if buf == "" || !strings.Contains(strings.ReplaceAll(scr, "\n", ""), buf[:min(len(buf), 20)]) {
		t.Errorf("tmux buffer %q is not the command on screen:\n%s", buf, scr)
	}
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
}

// `e` opens the event log full screen; f filters by severity; an error
// stays findable whatever info lines came after it.
func TestE2EEventLog(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	bin := gputopBinary(t)
	s := newTmux(t, 80, 24)
	s.typeLine(bin + " --demo; echo EXIT=$?")
	s.waitFor("CHECKS", 20*time.Second)
	s.waitFor(" new ", 10*time.Second) // the footer counts unseen events
	s.send("e")
	scr := s.waitFor("EVENT LOG", 5*time.Second)
	if !strings.Contains(scr, "severity: all") {
		t.Errorf("event log does not show its filter:\n%s", scr)
	}
	s.send("f")
	s.send("f")
	scr = s.waitFor("severity: error", 5*time.Second)
	for _, line := range strings.Split(scr, "\n") {
		if strings.HasPrefix(line, "┃") && (strings.Contains(line, " info ") || strings.Contains(line, " warn ")) {
			t.Errorf("error filter shows %q", line)
		}
	}
	s.send("Escape")
	s.waitForNo("EVENT LOG", 5*time.Second)
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
}

// On a box where no GPU can be opened, `gputop snapshot` still records the
// facts, the checks and the NVML error, and --replay and check --from open
// that file elsewhere.
func TestE2ENoGPUSnapshotReplays(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	if _, err := os.Stat("/proc/driver/nvidia/version"); err == nil {
		t.Skip("this machine has an NVIDIA driver")
	}
	bin := gputopBinary(t)
	file := filepath.Join(t.TempDir(), "broken.json")
	out, err := exec.Command(bin, "snapshot", "-o", file).CombinedOutput()
	if err != nil {
		t.Fatalf("snapshot without a GPU failed: %v\n%s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"nvml_error":{"code":"LIBRARY_NOT_FOUND"`, `"id":"driver.loaded"`, `"gpus":[]`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("snapshot lacks %s", want)
		}
	}
	out, err = exec.Command(bin, "check", "--from", file).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "driver.loaded") {
		t.Errorf("check --from: exit %d, want 1 with the driver check:\n%s", code, out)
	}
	s := newTmux(t, 100, 30)
	s.typeLine(bin + " --replay " + file + "; echo EXIT=$?")
	scr := s.waitFor("No GPU could be opened", 15*time.Second)
	if !strings.Contains(scr, "recorded on") || !strings.Contains(scr, "LIBRARY_NOT_FOUND") {
		t.Errorf("replay does not say the error was recorded:\n%s", scr)
	}
	s.waitFor("NVIDIA kernel driver", 10*time.Second)
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
}

// A click selects the check under the pointer and the wheel moves on: the
// mouse reaches the UI through the tty renderer (SGR reports, which the
// dashboard turns on).
func TestE2EMouseSelectsAndScrolls(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	bin := gputopBinary(t)
	s := newTmux(t, 200, 50)
	s.typeLine(bin + " --demo --gpus 4; echo EXIT=$?")
	s.waitFor("took", 20*time.Second)
	// Column 150 is inside the checks pane; row 6 is its fourth line: the
	// border, the summary, then the third check.
	s.send("-l", "\x1b[<0;150;6M")
	s.waitFor("CHECKS 3/", 5*time.Second)
	s.send("-l", "\x1b[<65;150;6M") // wheel down
	s.waitFor("CHECKS 4/", 5*time.Second)
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
}
