package ui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Frames are drawn on data: a sample arms one frame timer, and nothing else
// is armed while no data arrives. A paused display arms nothing at all: no
// frame, no further read of the Source, no host reading. Unpausing arms
// them again, once each.
func TestPausedDisplayArmsNothing(t *testing.T) {
	var armed []time.Duration
	m := screen(t, 2, 200, 50, func(c *Config, _ *fakeSource) { c.Host = &fakeHost{} })
	defer m.cancel()
	m.Update(frameMsg{}) // the frame the first host reading armed
	m.after = func(d time.Duration, _ func(time.Time) tea.Msg) tea.Cmd {
		armed = append(armed, d)
		return nil
	}

	// Live: a sample arms one frame and nothing else: the Source is not
	// listened to until the frame (the other GPUs' readings of the tick
	// wake nothing).
	m.Update(updateMsg{})
	if len(armed) != 1 || armed[0] != frameEvery {
		t.Fatalf("a sample armed %v, want one frame timer", armed)
	}
	if m.waiting {
		t.Error("a sample re-armed the Source read before its frame")
	}
	_, _ = m.Update(updateMsg{}) // a second sample before the frame: no second timer
	if len(armed) != 1 {
		t.Fatalf("two samples armed %d frame timers", len(armed))
	}
	// The frame takes the data and listens again.
	if _, cmd := m.Update(frameMsg{}); cmd == nil || !m.waiting {
		t.Fatal("the frame did not re-arm the Source read")
	}
	// A host reading has no timer of its own: it comes with samples and
	// the frame they armed draws it.
	m.Update(updateMsg{})
	_, cmd := m.Update(hostTickMsg{stats: fullHostStats()})
	if cmd != nil || len(armed) != 2 || armed[1] != frameEvery {
		t.Fatalf("a host reading armed %v, want only the samples' frame timer", armed)
	}
	m.Update(frameMsg{})

	drive(m, press("p"))
	armed = armed[:0]
	if _, cmd := m.Update(updateMsg{}); cmd != nil {
		t.Error("a sample while paused armed a command")
	}
	if _, cmd := m.Update(hostTickMsg{stats: fullHostStats()}); cmd != nil {
		t.Error("a host reading while paused re-armed the host timer")
	}
	m.Update(frameMsg{})
	if len(armed) != 0 {
		t.Errorf("paused display armed timers %v", armed)
	}

	// Unpause: the Source read and the host reading come back, once each.
	_, cmd = m.Update(press("p"))
	msgs := 0
	if cmd != nil {
		if b, ok := cmd().(tea.BatchMsg); ok {
			msgs = len(b)
		} else {
			msgs = 1
		}
	}
	if msgs != 2 {
		t.Errorf("unpausing armed %d commands, want the Source read and the host reading", msgs)
	}
	if _, cmd := m.Update(press("p")); cmd != nil {
		t.Error("pausing armed a command")
	}
}
