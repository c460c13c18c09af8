package ui

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gputop/gputop/model"
	"github.com/muesli/termenv"
)

var showScreens = flag.Bool("show", false, "print the screens the tests draw")

func TestMain(m *testing.M) {
	// Golden screens are plain text: no colour escapes, whatever the terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// testConfig is a Config over a fake fleet of n GPUs with 60 s of history.
func testConfig(n int) (Config, *fakeSource) {
	src := newFakeSource(n)
	src.fill(600, t0, 100*time.Millisecond)
	return Config{
		Source:   src,
		Interval: 100 * time.Millisecond,
		Theme:    "dark",
		Now:      func() time.Time { return t0 },
		Getenv:   func(string) string { return "" },
	}, src
}

func sampleChecks() []model.CheckResult {
	return []model.CheckResult{
		{ID: "driver.loaded", Title: "NVIDIA driver loaded", Status: model.Pass,
			Evidence: "/proc/driver/nvidia/version: 580.159.04"},
		{ID: "bar1.gpu0", Title: "BAR1 aperture covers GPU memory", Status: model.Fail,
			Evidence: "BAR1 256 MiB < 79.6 GiB framebuffer (nvmlDeviceGetBAR1MemoryInfo)",
			Why:      "Without Above 4G Decoding / Resizable BAR the host maps GPU memory through a 256 MiB window; large model loads crawl or fail.",
			Fix:      "Enable Above 4G Decoding and Resizable BAR in the firmware setup, then cold boot.",
			Commands: []string{"sudo dmidecode -t bios", "cat /sys/bus/pci/devices/0000:18:00.0/resource"},
			GPU:      model.Some(0)},
		{ID: "cuda.toolkit", Title: "CUDA toolkit matches driver", Status: model.Warn,
			Evidence: "nvcc 13.1 > driver supports 13.0", Fix: "Install a toolkit <= 13.0 or update the driver.",
			Commands: []string{"ls -l /usr/local/cuda"}},
		{ID: "cudnn.present", Title: "cuDNN found", Status: model.Skip, Evidence: "no cudnn_version.h found"},
		{ID: "throttle.gpu2", Title: "No hardware slowdown", Status: model.Fail, Live: true,
			Evidence: "GPU 2: HW slowdown active for 12 s", GPU: model.Some(2)},
	}
}

// withChecks makes RunChecks answer the sample checklist at once.
func withChecks(cfg Config) Config {
	cfg.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) {
		return sampleChecks(), model.Facts{Collected: model.TimestampOf(t0)}, nil
	}
	return cfg
}

// drive sends msgs to m, running every command they return until none is
// left (ticks and waits on the Source are not followed), like a program
// that had time to settle.
func drive(m *Model, msgs ...tea.Msg) {
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		runCmd(m, cmd, 0)
	}
}

// start is what a program does first: size the model and run Init.
func start(m *Model, w, h int) {
	drive(m, winSize(w, h))
	runCmd(m, m.Init(), 0)
}

func runCmd(m *Model, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 8 {
		return
	}
	msg := runWithTimeout(cmd)
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			runCmd(m, c, depth+1)
		}
	case updateMsg, frameMsg, clearFooterMsg, tea.QuitMsg, sourceClosedMsg:
		// Time-driven or from the Source: a test sends them itself.
	default:
		_, next := m.Update(msg)
		runCmd(m, next, depth+1)
	}
}

// runWithTimeout runs a command. Unit tests use a quiet source and no
// timers (see screen), so every command returns at once; the timeout only
// turns a command that blocks by mistake into a visible failure.
func runWithTimeout(cmd tea.Cmd) tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		return msg
	case <-time.After(5 * time.Second):
		panic("a command blocked for 5s")
	}
}

// noTimers replaces tea.Tick in unit tests: frames, footer expiry and
// spinner steps are delivered by the tests themselves.
func noTimers(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }

func press(s string) tea.KeyMsg {
	switch s {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "end":
		return tea.KeyMsg{Type: tea.KeyEnd}
	case "home":
		return tea.KeyMsg{Type: tea.KeyHome}
	}
	if len([]rune(s)) != 1 {
		panic("press: no key named " + s) // a real terminal never sends a word as one key
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func winSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// checkScreen asserts the invariants every screen keeps: exactly h lines,
// none wider than w.
func checkScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines, want %d", w, h, len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("%dx%d: line %d is %d cells wide: %q", w, h, i, lw, l)
		}
	}
}

func show(t *testing.T, v string) {
	if *showScreens {
		t.Logf("\n%s", v)
	}
}
