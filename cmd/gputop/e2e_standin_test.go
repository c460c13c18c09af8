package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

// The live path without a GPU (issue 11): the real binary opens a stand-in
// libnvidia-ml.so.1 (sampler/nvmlbackend/standin), which lists as a GPU
// process a real process whose comm and command line carry terminal
// escapes and a secret. gputop resolves it in /proc like any GPU process.

const (
	evilComm = "x\x1b]2;PWN\x07y"                       // the executable's name: comm
	evilArg  = "\x1b]52;c;ZWNobyBQV05FRAo=\x07\u009b2J" // an argument: OSC 52 and a C1 CSI
	secret   = "sekret123"
)

// standinEnv builds the stand-in library and starts the hostile process; it
// returns the environment for gputop and the process's PID. What it cannot
// set up skips the test with the reason, or fails it under CI (skipUnlessCI).
func standinEnv(t *testing.T, gpuName string) ([]string, int) {
	t.Helper()
	lib := buildStandin(t)
	// The process must hold a /dev/nvidia* node open (gputop checks, so a
	// recycled PID is not shown as the GPU's process): a private mount
	// namespace gives it one without touching the machine's /dev.
	dir := t.TempDir()
	exe := filepath.Join(dir, evilComm)
	if err := os.Symlink("/bin/sh", exe); err != nil {
		t.Fatal(err)
	}
	script := `mount -t tmpfs none /dev && touch /dev/nvidia0 && exec 3</dev/nvidia0 && exec "$0" -c "sleep 120; exit 0" "$1" --api-key ` + secret
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, exe, evilArg)
	// Its errors go to a file, not a pipe: the shell's child, sleep, would
	// hold a pipe open past the kill below and keep Wait waiting.
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	cmd.Stderr = errFile
	if err := cmd.Start(); err != nil {
		skipUnlessCI(t, fmt.Sprintf("unshare: %v", err))
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	pid := cmd.Process.Pid
	bound := readyBound()
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/3", pid))
		if link == "/dev/nvidia0" {
			break
		}
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			msg, _ := os.ReadFile(errFile.Name())
			skipUnlessCI(t, fmt.Sprintf("cannot make a process with a private /dev/nvidia0 (unshare -m needs CAP_SYS_ADMIN): %v: %s",
				err, bytes.TrimSpace(msg)))
		case <-deadline.C:
			skipUnlessCI(t, fmt.Sprintf("the hostile process (pid %d) did not hold /dev/nvidia0 open within %v (a loaded machine?)", pid, bound))
		case <-tick.C:
		}
	}
	env := append(os.Environ(), "LD_LIBRARY_PATH="+lib, "GPUTOP_STANDIN_GPUS=2",
		"GPUTOP_STANDIN_PIDS="+fmt.Sprint(pid), "GPUTOP_STANDIN_NAME="+gpuName)
	return env, pid
}

// TestE2EStandinLiveSnapshot: a live snapshot records the hostile process
// resolved, its name and command line without escapes, the secret
// redacted; the Markdown report to stdout carries no control byte.
func TestE2EStandinLiveSnapshot(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	env, pid := standinEnv(t, "H100\x1b]0;GPU-TITLE\x07")
	bin := gputopBinary(t)
	snap, raw := standinSnapshot(t, bin, env)
	if !safe.IsClean(snap.GPUs[0].Name) || !strings.HasPrefix(snap.GPUs[0].Name, "H100") {
		t.Errorf("GPU name from NVML: %q", snap.GPUs[0].Name)
	}
	var found *model.Process
	for i := range snap.Processes {
		if int(snap.Processes[i].PID) == pid {
			found = &snap.Processes[i]
		}
	}
	if found == nil || !found.Resolved {
		t.Fatalf("process %d not resolved: %+v", pid, snap.Processes)
	}
	if found.Name != "xy" || !safe.IsClean(found.Command) {
		t.Errorf("name %q command %q: escapes not removed", found.Name, found.Command)
	}
	if strings.Contains(found.Command, secret) || !strings.Contains(found.Command, "--api-key "+model.Redacted) {
		t.Errorf("command line not redacted: %q", found.Command)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Error("the secret is somewhere in the snapshot")
	}

	md := exec.Command(bin, "snapshot", "--duration", "1s", "--format", "md", "-o", "-")
	md.Env = env
	var stdout bytes.Buffer
	md.Stdout = &stdout
	if err := md.Run(); err != nil {
		t.Fatalf("snapshot --format md -o -: %v", err)
	}
	report := stdout.String()
	if !strings.Contains(report, "# gputop report") || !strings.Contains(report, fmt.Sprint(pid)) {
		t.Fatalf("report lacks the process:\n%s", report)
	}
	if safe.HasEscape(report) || strings.Contains(report, secret) {
		t.Fatalf("report carries a control byte or the secret:\n%q", report)
	}
}

// TestE2EStandinLiveDashboard: the live dashboard shows the hostile process
// in the process table (every row but the selected one used to be drawn
// raw) without writing tmux's buffers, renaming the window or leaving the
// alternate screen.
func TestE2EStandinLiveDashboard(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	env, pid := standinEnv(t, "Stand-in GPU")
	bin := gputopBinary(t)
	var prefix []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == "LD_LIBRARY_PATH" || strings.HasPrefix(k, "GPUTOP_STANDIN_") {
			q, err := safe.Quote(kv)
			if err != nil {
				t.Fatal(err)
			}
			prefix = append(prefix, q)
		}
	}
	s := newTmux(t, 160, 45)
	s.tmux("set-option", "-g", "set-clipboard", "on")
	s.typeLine(`printf '\033]2;baseline-title\033\\'; clear`)
	deadline := time.Now().Add(5 * time.Second)
	for s.title() != "baseline-title" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	s.typeLine("env " + strings.Join(prefix, " ") + " " + bin + "; echo EX\"\"IT=$?")
	s.waitFor("Stand-in GPU", 20*time.Second)
	s.waitFor("CHECKS", 10*time.Second)
	s.send("P")
	s.waitFor("PROCESSES", 10*time.Second)
	scr := s.waitFor(fmt.Sprint(pid), 10*time.Second)
	s.send("down") // the hostile row is now not the selected one
	time.Sleep(500 * time.Millisecond)
	if bufs := strings.TrimSpace(s.tmux("list-buffers")); bufs != "" {
		t.Fatalf("tmux paste buffers were written: %q\n%s", bufs, scr)
	}
	if got := s.title(); got != "baseline-title" {
		t.Fatalf("window title changed to %q", got)
	}
	if alt, _ := s.terminalState(); alt != "1" {
		t.Fatalf("the dashboard left the alternate screen:\n%s", s.screen())
	}
	// (The dashboard shows the command line in full, as ps does to the
	// operator; redaction is for snapshots that leave the machine.)
	if !strings.Contains(s.screen(), "xy -c sleep") {
		t.Fatalf("the process's sanitised command line is not shown:\n%s", s.screen())
	}
	s.send("Escape")
	s.waitForNo("PROCESSES", 5*time.Second) // Escape then q at once reads as alt+q
	s.send("q")
	s.waitFor("EXIT=0", 10*time.Second)
}

// standinSnapshot takes a 2 s live snapshot with the binary over the
// stand-in NVML (env carries LD_LIBRARY_PATH and its settings) and checks
// that it is the stand-in's two GPUs; it returns the snapshot and its JSON.
func standinSnapshot(t *testing.T, bin string, env []string) (model.Snapshot, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "live.json")
	cmd := exec.Command(bin, "snapshot", "--duration", "2s", "-o", out)
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("snapshot: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var snap model.Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Source != "nvml" || len(snap.GPUs) != 2 {
		t.Fatalf("not the stand-in's live data: source %q, %d GPUs", snap.Source, len(snap.GPUs))
	}
	return snap, raw
}
