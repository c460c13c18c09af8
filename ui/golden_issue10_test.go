package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/gputop/gputop/model"
)

// fleetSizes are the terminal sizes every screen of issue 10 is pinned at.
var fleetSizes = [][2]int{{80, 24}, {120, 40}, {200, 50}, {250, 70}}

// fleetChecks is a checklist with every kind of finding a badge reports,
// and the long titles the real rules write.
func fleetChecks() []model.CheckResult {
	return append(sampleChecks(),
		model.CheckResult{ID: "pcie.gpu7", Title: "PCIe link: GPU 7 (NVIDIA H100 80GB HBM3)", Status: model.Warn, Live: true,
			Evidence: "width x8 of x16, Gen5 of Gen5", GPU: model.Some(7)},
		model.CheckResult{ID: "cuda.nvcc", Title: "Driver supports nvcc 12.8.93 (/usr/local/cuda-12.8/bin/nvcc)",
			Status: model.Pass, Evidence: "driver 580 supports CUDA 13.0 >= 12.8"},
		model.CheckResult{ID: "nvml.library", Title: "NVML library present and matching the kernel module",
			Status: model.Pass, Evidence: "libnvidia-ml.so.1 580.159.04"},
	)
}

// fleetScreen is the demo's situation on the fake fleet: a thermal fail, a
// degraded link, a lost GPU after Xid 79, a stale one, healthy ones, and a
// stream of info events newer than the error.
func fleetScreen(t *testing.T, w, h int, setup func(*Config, *fakeSource), keys ...string) *Model {
	return screen(t, 8, w, h, func(c *Config, src *fakeSource) {
		c.Demo = true
		c.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) {
			return fleetChecks(), model.Facts{}, nil
		}
		src.mu.Lock()
		for i := range src.gpus[7].slow {
			src.gpus[7].slow[i].PCIeWidth = model.Some(8)
		}
		src.mu.Unlock()
		src.setHealth(3, model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"})
		src.setHealth(6, model.Health{State: model.Stale, Reason: "no answer from the driver for 1.2s"})
		at := func(s int) model.Timestamp { return model.TimestampOf(t0.Add(time.Duration(s) * time.Second)) }
		src.emit(model.Event{Time: at(-30), GPU: model.Some(3), Kind: model.EventXid, Severity: model.SevError,
			Xid: model.Some(79), Message: "Xid 79: GPU has fallen off the bus", Action: "reboot the node"})
		for i := range 12 {
			src.emit(model.Event{Time: at(-29 + 2*i), Kind: model.EventInfo, Severity: model.SevInfo,
				Message: fmt.Sprintf("checks rerun (%d)", i+1)})
		}
		if setup != nil {
			setup(c, src)
		}
	}, keys...)
}

func TestGoldenFleet(t *testing.T) {
	for _, sz := range fleetSizes {
		w, h := sz[0], sz[1]
		for _, tc := range []struct {
			name string
			keys []string
		}{
			{"dashboard", nil},
			{"event_log", []string{"e"}},
			{"checks_problems", []string{"shift+tab", "f"}},
		} {
			t.Run(fmt.Sprintf("%s_%dx%d", tc.name, w, h), func(t *testing.T) {
				m := fleetScreen(t, w, h, nil, tc.keys...)
				defer m.cancel()
				v := m.View()
				show(t, v)
				checkScreen(t, v, w, h)
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}

// Every GPU's badge is its verdict, the same text wherever it is drawn.
func TestFleetBadgesAreVerdicts(t *testing.T) {
	want := map[int]string{0: "✖ FAIL BAR1", 2: "✖ FAIL thermal", 3: "✖ LOST +1", 6: "◌ STALE", 7: "▲ warn PCIe x8", 1: "● ok"}
	for _, sz := range fleetSizes {
		m := fleetScreen(t, sz[0], sz[1], nil)
		for gpu, badge := range want {
			if got := m.frame.GPUs[gpu].Verdict.Text(); !strings.HasPrefix(got, badge) {
				t.Errorf("GPU %d verdict %q, want %q", gpu, got, badge)
			}
			if v := m.View(); !strings.Contains(v, badge) {
				t.Errorf("%dx%d: the screen lacks GPU %d's badge %q", sz[0], sz[1], gpu, badge)
			}
		}
		// The zoom shows the same badge.
		drive(m, press("right"), press("right"), press("enter"))
		if v := m.View(); !strings.Contains(v, "✖ FAIL thermal") {
			t.Errorf("%dx%d: zoom of GPU 2 lacks its badge", sz[0], sz[1])
		}
		m.cancel()
	}
}

// From 160 columns no check title is cut.
func TestWideChecklistKeepsWholeTitles(t *testing.T) {
	for _, w := range []int{160, 200, 250} {
		m := fleetScreen(t, w, 60, nil)
		v := m.View()
		for _, c := range fleetChecks() {
			if title := listTitle(c); !strings.Contains(v, title) {
				t.Errorf("%d columns: title %q is cut or missing", w, title)
			}
		}
		m.cancel()
	}
}

// An error older than a stream of info lines stays in view: in the pane
// (pinned first) and in the footer (the most severe unseen event).
func TestErrorsCannotScrollAway(t *testing.T) {
	m := fleetScreen(t, 200, 50, nil)
	defer m.cancel()
	if f := m.eventsView(); !strings.Contains(f, "Xid 79") {
		t.Errorf("footer shows %q, not the unseen Xid 79", f)
	}
	box := m.gpus.View()
	xid, info := strings.Index(box, "Xid 79"), strings.Index(box, "checks rerun (12)")
	if xid < 0 || (info >= 0 && info < xid) {
		t.Errorf("the events pane does not pin the error above the info lines:\n%s", box)
	}
	// Opening the log marks everything seen; the footer then shows the newest.
	drive(m, press("e"), press("e"))
	if f := m.eventsView(); strings.Contains(f, "new") {
		t.Errorf("after the log was read the footer still counts unseen events: %q", f)
	}
}

// The event log filters by severity and GPU, and scrolls.
func TestEventLogFilters(t *testing.T) {
	m := fleetScreen(t, 120, 14, nil, "e")
	defer m.cancel()
	if n := len(m.events.rows); n != 13 {
		t.Fatalf("log shows %d events, want 13", n)
	}
	drive(m, press("f"), press("f"))
	if n := len(m.events.rows); n != 1 || !strings.Contains(m.View(), "Xid 79") {
		t.Errorf("error filter: %d rows\n%s", n, m.View())
	}
	// Two keys that arrive in one read come as one message with two runes
	// (bubbletea does that): each is still the key it was.
	drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ff")})
	if m.events.sev != sevWarnUp {
		t.Errorf("\"ff\" in one message did not step the filter twice (error -> all -> warn): %v", m.events.sev)
	}
	drive(m, press("f")) // back to errors only
	drive(m, press("f"), press("g"), press("g"), press("g"), press("g"))
	if m.events.gpu != 3 || len(m.events.rows) != 1 {
		t.Errorf("GPU filter %d: %d rows", m.events.gpu, len(m.events.rows))
	}
	drive(m, press("g"), press("g"), press("g"), press("g"), press("g")) // back to every GPU
	drive(m, press("G"))
	if m.events.offset == 0 || !strings.Contains(m.View(), "of 13") {
		t.Errorf("end does not scroll to the oldest events (offset %d)\n%s", m.events.offset, m.View())
	}
}

// A replay keeps the recorded-vs-now mark of a per-GPU check, whole, and
// its events and badges follow the cursor.
func TestReplayMarksAndCursor(t *testing.T) {
	replay := func(c *Config, src *fakeSource) {
		c.Replay = &ReplayInfo{Host: "gpu-node-7", Recorded: t0.Add(-time.Hour)}
		c.ReadOnly = true
		c.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) {
			rs := fleetChecks()
			for i := range rs {
				rs[i].Recorded = rs[i].Status
				if rs[i].ID == "throttle.gpu2" {
					rs[i].Recorded = model.Warn
				}
			}
			return rs, model.Facts{}, nil
		}
	}
	for _, sz := range fleetSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := fleetScreen(t, sz[0], sz[1], replay, "shift+tab")
			defer m.cancel()
			v := m.View()
			if !strings.Contains(v, "[recorded warn, now fail]") {
				t.Errorf("the replay mark is cut:\n%s", v)
			}
			show(t, v)
			checkScreen(t, v, sz[0], sz[1])
			golden.RequireEqual(t, []byte(v))
			// 40 s back: before the Xid, GPU 3's badge has no Xid finding.
			for range 4 {
				drive(m, press("{"))
			}
			if got := m.frame.GPUs[3].Verdict; got.More != 0 {
				t.Errorf("before the Xid GPU 3's verdict still counts it: %q", got.Text())
			}
			if strings.Contains(m.eventsView(), "Xid 79") {
				t.Errorf("the footer shows an event after the cursor: %q", m.eventsView())
			}
		})
	}
}

func TestGoldenNoGPUSizes(t *testing.T) {
	for _, sz := range fleetSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := New(Config{
				OpenError: &model.OpenFailure{Code: "DRIVER_NOT_LOADED",
					Message: "the NVIDIA kernel module is not loaded: nvmlInit: DRIVER_NOT_LOADED",
					Hint:    "Load it with `sudo modprobe nvidia`, then run gputop again."},
				RunChecks: func(context.Context) ([]model.CheckResult, model.Facts, error) {
					return noGPUChecks(), model.Facts{}, nil
				},
				Now: func() time.Time { return t0 }, Getenv: func(string) string { return "" },
			})
			m.after = noTimers
			start(m, sz[0], sz[1])
			v := m.View()
			show(t, v)
			checkScreen(t, v, sz[0], sz[1])
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// A click focuses the GPU or the check under it; the wheel scrolls.
func TestMouseFocusAndScroll(t *testing.T) {
	m := fleetScreen(t, 200, 50, nil)
	defer m.cancel()
	// 200x50 with 8 GPUs: two columns of cards, 10 rows each, from row 1.
	drive(m, tea.MouseMsg{X: 60, Y: 1 + 10 + 3, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.checks.active || m.gpus.focused != 3 {
		t.Errorf("click on the second card of the second row: focus GPU %d (checks %v), want GPU 3", m.gpus.focused, m.checks.active)
	}
	drive(m, tea.MouseMsg{X: 150, Y: 1 + 2 + 2, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if !m.checks.active || m.checks.selected != 2 {
		t.Errorf("click on the third check: checks %v selected %d", m.checks.active, m.checks.selected)
	}
	drive(m, tea.MouseMsg{X: 150, Y: 10, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.checks.selected != 3 {
		t.Errorf("wheel down moved the selection to %d, want 3", m.checks.selected)
	}
}

// noGPUChecks is a broken box's checklist: one root cause, what follows
// from it, and the checks that still pass; listed in no particular order.
func noGPUChecks() []model.CheckResult {
	return []model.CheckResult{
		{ID: "container.env", Title: "Container", Status: model.Pass, Evidence: "not in a container"},
		{ID: "nvml.library", Title: "NVML library present and matching the kernel module", Status: model.Fail,
			Evidence: "libnvidia-ml.so.1 580.159.04, kernel module not loaded", FollowsFrom: "driver.loaded"},
		{ID: "driver.loaded", Title: "NVIDIA kernel driver loaded", Status: model.Fail, Root: true,
			Evidence: "/proc/driver/nvidia/version absent; lsmod shows no nvidia module",
			Fix:      "Load the module; if that fails, the kernel log says why (Secure Boot, nouveau).",
			Commands: []string{"sudo modprobe nvidia", "sudo dmesg | grep -i nvidia | tail -20"}},
		{ID: "driver.libcuda", Title: "CUDA driver library (libcuda.so.1)", Status: model.Warn,
			Evidence: "libcuda.so.1 present, driver not loaded", FollowsFrom: "driver.loaded"},
		{ID: "cuda.toolkit", Title: "CUDA toolkit: nvcc on PATH vs /usr/local/cuda", Status: model.Skip,
			Evidence: "no CUDA toolkit installed"},
	}
}

// The no-GPU screen leads with the root cause: named in the explanation,
// first in the list, its consequences under it and counted once.
func TestNoGPUScreenLeadsWithTheRootCause(t *testing.T) {
	m := New(Config{
		OpenError: &model.OpenFailure{Code: "DRIVER_NOT_LOADED", Message: "the NVIDIA kernel module is not loaded"},
		RunChecks: func(context.Context) ([]model.CheckResult, model.Facts, error) {
			return noGPUChecks(), model.Facts{}, nil
		},
		Now: func() time.Time { return t0 }, Getenv: func(string) string { return "" },
	})
	m.after = noTimers
	start(m, 120, 40)
	v := m.View()
	cause := strings.Index(v, "Cause     ✖ NVIDIA kernel driver loaded (first in the list below)")
	first := strings.Index(v, "✖ FAIL   NVIDIA kernel driver loaded")
	follow := strings.Index(v, "↳ NVML library")
	if cause < 0 || first < 0 || follow < first {
		t.Errorf("root cause not leading (cause %d, first %d, follower %d):\n%s", cause, first, follow, v)
	}
	if !strings.Contains(v, "✖ FAIL 1") || !strings.Contains(v, "+2 follow from a root cause") {
		t.Errorf("consequences counted apart from their root:\n%s", v)
	}
	// The next step is the root cause's fix, not NVML's generic hint.
	if !strings.Contains(v, "Next      Load the module; if that fails") {
		t.Errorf("the root cause's fix is not the next step:\n%s", v)
	}
}
