package ui

import (
	"testing"
	"time"
	"unsafe"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
)

// Guards of the fixed cost per tick (docs/performance.md, "Fixed cost,
// 2026-11-30 evening"): what the program does when nothing visible changed.

// cmdMsgs runs cmd and the batches it returns, and lists the messages.
func cmdMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := runWithTimeout(cmd).(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, cmdMsgs(c)...)
		}
		return out
	default:
		return []tea.Msg{msg}
	}
}

// The checks are re-judged once a second; when the verdicts come back the
// same, nothing is judged again, no message follows and the screen is not
// drawn again (the cached view is the same string).
func TestUnchangedLiveChecksDrawNothing(t *testing.T) {
	m := screen(t, 2, 200, 50, nil)
	defer m.cancel()
	before := m.View()
	_, cmd := m.Update(liveChecksMsg{gen: m.checks.gen, results: sampleChecks(), facts: m.checks.facts})
	if cmd != nil {
		t.Errorf("the same verdicts again sent %v", cmdMsgs(cmd))
	}
	if after := m.View(); unsafe.StringData(after) != unsafe.StringData(before) {
		t.Error("the same verdicts again drew the screen again")
	}
	// Changed verdicts still reach the root and the screen.
	changed := sampleChecks()
	changed[0].Status = model.Fail
	_, cmd = m.Update(liveChecksMsg{gen: m.checks.gen, results: changed, facts: m.checks.facts})
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("changed verdicts sent %v, want one checksChangedMsg", msgs)
	}
	if _, ok := msgs[0].(checksChangedMsg); !ok {
		t.Fatalf("changed verdicts sent %T, want checksChangedMsg", msgs[0])
	}
	m.Update(msgs[0])
	if m.View() == before {
		t.Error("changed verdicts did not change the screen")
	}
}

// The host strip has no timer of its own: a sample that arrives when the
// host reading is due starts it, and the frame the sample armed draws both.
// Only when no sample comes does the wait for samples give up and read the
// host.
func TestHostReadingRidesTheSamples(t *testing.T) {
	now := t0
	host := &fakeHost{}
	m := screen(t, 2, 200, 50, func(c *Config, _ *fakeSource) {
		c.Host = host
		c.Now = func() time.Time { return now }
	})
	defer m.cancel()
	var armed []time.Duration
	m.after = func(d time.Duration, _ func(time.Time) tea.Msg) tea.Cmd {
		armed = append(armed, d)
		return nil
	}
	m.Update(frameMsg{}) // the frame the first host reading armed
	reads := host.reads.Load()

	// Within the second: a sample arms its frame and no host reading.
	now = now.Add(hostEvery / 2)
	_, cmd := m.Update(updateMsg{})
	if msgs := cmdMsgs(cmd); len(msgs) != 0 || host.reads.Load() != reads {
		t.Fatalf("a sample half a second after the host reading read the host (%d reads, %v)", host.reads.Load()-reads, msgs)
	}
	m.Update(frameMsg{})

	// A second later: the sample's frame and the host reading, one timer.
	now = now.Add(hostEvery/2 + time.Millisecond)
	armed = armed[:0]
	_, cmd = m.Update(updateMsg{})
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 || host.reads.Load() != reads+1 {
		t.Fatalf("a sample a second after the host reading: %d reads, messages %v, want one host reading", host.reads.Load()-reads, msgs)
	}
	view := m.View()
	if _, cmd := m.Update(msgs[0]); cmd != nil || len(armed) != 1 || armed[0] != frameEvery {
		t.Fatalf("the host reading armed %v (cmd %v), want only the sample's frame", armed, cmd)
	}
	if unsafe.StringData(m.View()) != unsafe.StringData(view) {
		t.Error("the host reading drew a frame of its own")
	}
	m.Update(frameMsg{})
	if m.hostDirty || m.viewValid {
		t.Error("the frame did not take the host reading")
	}

	// No sample: the wait gives up when the reading is due, and the host
	// reading arms a frame of its own.
	now = now.Add(hostEvery + frameEvery)
	armed = armed[:0]
	_, cmd = m.Update(hostDueMsg{})
	msgs = cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("hostDueMsg gave %v, want the host reading", msgs)
	}
	m.Update(msgs[0])
	if len(armed) != 1 || armed[0] != frameEvery {
		t.Fatalf("a host reading without samples armed %v, want one frame", armed)
	}
	m.View()
	m.Update(frameMsg{})
	if m.hostDirty || m.viewValid {
		t.Error("the host-only frame did not draw the host reading")
	}

	// A hostDueMsg that comes early (the clock moved back) reads nothing
	// and listens to the Source again.
	m.waiting = false
	_, cmd = m.Update(hostDueMsg{})
	if cmd == nil || !m.waiting {
		t.Error("an early hostDueMsg did not listen to the Source again")
	}
}

// The wait for samples gives up with hostDueMsg when the Source is silent
// while the host reading falls due; without a host strip it keeps waiting.
func TestSilentSourceStillReadsTheHost(t *testing.T) {
	now := t0
	m := screen(t, 1, 200, 50, func(c *Config, _ *fakeSource) {
		c.Host = &fakeHost{}
		c.Now = func() time.Time { return now }
	})
	defer m.cancel()
	m.cfg.Source.(*fakeSource).quiet = false // a Source that never notifies
	now = now.Add(hostEvery + frameEvery)    // due now: the wait is its shortest
	if msg := runWithTimeout(m.waitForUpdate()); msg != (hostDueMsg{}) {
		t.Fatalf("a silent Source's wait returned %T, want hostDueMsg", msg)
	}
	m.cfg.Host = nil
	if m.hostWait() >= 0 {
		t.Error("without a host strip the wait has a timeout")
	}
}
