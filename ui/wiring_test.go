package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gputop/gputop/sampler"
)

// P opens the process table over the dashboard; a kill asks first, the
// prompt holds every other key (q does not quit under it), and only y
// reaches Terminate — inside a command, never in Update.
func TestProcessesOverlayConfirmsBeforeTerminate(t *testing.T) {
	var mu sync.Mutex
	var killed []int32
	m := screen(t, 2, 200, 50, func(c *Config, _ *fakeSource) {
		c.Terminate = func(pid int32) error { mu.Lock(); killed = append(killed, pid); mu.Unlock(); return nil }
	})
	defer m.cancel()
	drive(m, press("P"))
	if v := m.View(); !strings.Contains(v, "python train.py") {
		t.Fatalf("process table not shown:\n%s", v)
	}
	drive(m, press("x"))
	if !m.capture || !strings.Contains(m.View(), "SIGTERM") {
		t.Fatalf("x did not ask for confirmation:\n%s", m.View())
	}
	if _, cmd := m.Update(press("q")); cmd != nil {
		if msg := cmd(); msg == (tea.QuitMsg{}) {
			t.Fatal("q quit the program under the confirmation prompt")
		}
	}
	m.Update(press("x")) // ask again if q cancelled it
	_, cmd := m.Update(press("y"))
	mu.Lock()
	n := len(killed)
	mu.Unlock()
	if n != 0 {
		t.Fatal("Terminate ran inside Update")
	}
	if cmd == nil {
		t.Fatal("y returned no command")
	}
	runCmd(m, cmd, 0)
	mu.Lock()
	defer mu.Unlock()
	if len(killed) != 1 {
		t.Fatalf("Terminate calls %v, want one after y", killed)
	}
}

func TestProcessesReadOnlyNeverTerminates(t *testing.T) {
	called := false
	m := screen(t, 1, 200, 50, func(c *Config, _ *fakeSource) {
		c.ReadOnly = true
		c.Terminate = func(int32) error { called = true; return nil }
	})
	defer m.cancel()
	drive(m, press("P"))
	for _, k := range []string{"x", "y"} {
		if _, cmd := m.Update(press(k)); cmd != nil {
			drive(m, cmd())
		}
	}
	if called || m.procs.Confirming() {
		t.Fatal("read-only mode asked to or did terminate a process")
	}
}

// The host strip shares the events line on wide terminals only.
func TestHostStripOnWideTerminals(t *testing.T) {
	m := screen(t, 2, 200, 50, func(c *Config, _ *fakeSource) { c.Host = &fakeHost{} })
	defer m.cancel()
	drive(m, hostTickMsg{stats: fullHostStats()})
	if !strings.Contains(m.eventsView(), "load") {
		t.Fatalf("no host strip at 200 columns:\n%s", m.eventsView())
	}
	narrow := screen(t, 2, 80, 24, func(c *Config, _ *fakeSource) { c.Host = &fakeHost{} })
	defer narrow.cancel()
	drive(narrow, hostTickMsg{stats: fullHostStats()})
	if strings.Contains(narrow.eventsView(), "load") {
		t.Fatalf("host strip squeezed into 80 columns:\n%s", narrow.eventsView())
	}
}

// The overhead section of help lists the driver's call costs, costliest first.
func TestHelpListsDriverCalls(t *testing.T) {
	m := screen(t, 1, 200, 50, func(c *Config, _ *fakeSource) {
		c.CallStats = func() []sampler.CallStat {
			return []sampler.CallStat{{Name: "GetPowerUsage", Count: 10, Mean: 4 * time.Microsecond},
				{Name: "GetPcieThroughput(TX)", Count: 2, Mean: 21 * time.Millisecond}}
		}
	})
	defer m.cancel()
	drive(m, press("?"))
	v := m.View()
	i, j := strings.Index(v, "GetPcieThroughput(TX)"), strings.Index(v, "GetPowerUsage")
	if !strings.Contains(v, "DRIVER CALLS") || i < 0 || j < 0 || i > j {
		t.Fatalf("help lacks the driver calls, costliest first:\n%s", v)
	}
}
