package main

// End-to-end tests: build the real binary (with -race) and drive it in tmux the
// way a person would, reading the screen with capture-pane.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// gputopBinary builds cmd/gputop once per test process the way `make build`
// does: the dashboard-only build as gputop (-tags nofleet) and the full build
// as gputop-fleet beside it, which gputop runs for `serve` and
// `--prometheus`. So every end-to-end test drives the dashboard users run,
// and the fleet tests go through the hand-over to gputop-fleet.
func gputopBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gputop-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "gputop")
		for _, b := range []struct{ out, tags string }{{builtBin, "nofleet"}, {filepath.Join(dir, "gputop-fleet"), ""}} {
			args := []string{"build", "-o", b.out}
			if raceEnabled {
				args = append(args, "-race")
			}
			if b.tags != "" {
				args = append(args, "-tags", b.tags)
			}
			cmd := exec.Command("go", append(args, ".")...)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build: %v\n%s", err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// tmuxSession is one detached tmux session on a private server socket, so
// the test never touches the user's own tmux.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("GPUTOP_REQUIRE_TMUX") != "" {
			t.Fatal("tmux is required for the end-to-end tests (GPUTOP_REQUIRE_TMUX is set) but is not installed")
		}
		t.Skip("tmux not installed; install it to run the end-to-end tests")
	}
}

// newTmux starts a clean interactive shell in a w x h window.
func newTmux(t *testing.T, w, h int) *tmuxSession {
	t.Helper()
	requireTmux(t)
	s := &tmuxSession{t: t, socket: fmt.Sprintf("gputop-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "e2e"}
	s.tmux("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"env", "-i", "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "TERM=xterm-256color",
		"LANG=C.UTF-8", "PS1=e2e$ ", "bash", "--norc", "--noprofile")
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.waitFor("e2e$", 10*time.Second)
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

func (s *tmuxSession) typeLine(line string) { s.t.Helper(); s.send("-l", line); s.send("Enter") }

func (s *tmuxSession) screen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", s.name)
}

// waitFor polls the screen until it contains want, or fails with the last
// screen shown.
func (s *tmuxSession) waitFor(want string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if strings.Contains(scr, want) {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q within %v; last screen:\n%s", want, timeout, scr)
	return ""
}

// waitForNo polls until the screen no longer contains text.
func (s *tmuxSession) waitForNo(text string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if !strings.Contains(scr, text) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("screen still shows %q after %v:\n%s", text, timeout, scr)
}
