package ui

import (
	"testing"
	"time"
	"unsafe"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gputop/gputop/model"
	"github.com/muesli/termenv"
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
	m.Update(liveChecksMsg{gen: m.checks.gen, results: sampleChecks(), facts: m.checks.facts})
	before, sorted := m.View(), unsafe.SliceData(m.checks.results)
	_, cmd := m.Update(liveChecksMsg{gen: m.checks.gen, results: sampleChecks(), facts: m.checks.facts})
	if cmd != nil {
		t.Errorf("the same verdicts again sent %v", cmdMsgs(cmd))
	}
	if unsafe.SliceData(m.checks.results) != sorted {
		t.Error("the same verdicts again were sorted and stored again")
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
// host reading is due starts it, and the next frame draws it. Only when no
// sample comes does the wait for samples give up and read the host.
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
	hostMsgs := func(cmd tea.Cmd) (out []tea.Msg) {
		for _, msg := range cmdMsgs(cmd) {
			if _, ok := msg.(hostTickMsg); ok {
				out = append(out, msg)
			}
		}
		return out
	}

	// Within the second: a sample takes its frame and reads no host.
	now = now.Add(hostEvery / 2)
	m.View()
	_, cmd := m.Update(updateMsg{})
	if msgs := hostMsgs(cmd); len(msgs) != 0 || host.reads.Load() != reads {
		t.Fatalf("a sample half a second after the host reading read the host (%d reads)", host.reads.Load()-reads)
	}
	if m.viewValid || len(armed) != 0 {
		t.Fatalf("a sample 500 ms after the last frame armed %v instead of drawing at once", armed)
	}

	// A second later: the frame, and the host reading; the reading wakes
	// nothing and the next sample's frame draws it.
	now = now.Add(hostEvery/2 + time.Millisecond)
	m.View()
	_, cmd = m.Update(updateMsg{})
	msgs := hostMsgs(cmd)
	if len(msgs) != 1 || host.reads.Load() != reads+1 {
		t.Fatalf("a sample a second after the host reading: %d reads, want one", host.reads.Load()-reads)
	}
	view := m.View()
	if _, cmd := m.Update(msgs[0]); cmd != nil || len(armed) != 0 {
		t.Fatalf("the host reading armed %v (cmd %v), want nothing", armed, cmd)
	}
	if unsafe.StringData(m.View()) != unsafe.StringData(view) || !m.hostDirty {
		t.Error("the host reading drew a frame of its own")
	}
	now = now.Add(frameEvery)
	m.Update(updateMsg{})
	if m.hostDirty || m.viewValid {
		t.Error("the next frame did not take the host reading")
	}

	// No sample: the wait gives up when the reading is due, and that host
	// reading draws a frame at once.
	now = now.Add(hostEvery + frameEvery)
	m.View()
	_, cmd = m.Update(hostDueMsg{})
	msgs = cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("hostDueMsg gave %v, want the host reading", msgs)
	}
	m.Update(msgs[0])
	if m.hostDirty || m.viewValid || len(armed) != 0 {
		t.Error("a host reading without samples was not drawn at once")
	}

	// A hostDueMsg that comes early (the clock moved back) reads nothing
	// and listens to the Source again.
	m.waiting = false
	_, cmd = m.Update(hostDueMsg{})
	if cmd == nil || !m.waiting {
		t.Error("an early hostDueMsg did not listen to the Source again")
	}
}

// Frames are at least frameEvery apart: a sample sooner arms one timer for
// the rest of the spacing; one later is drawn at once.
func TestFrameSpacing(t *testing.T) {
	now := t0
	m := screen(t, 2, 200, 50, func(c *Config, _ *fakeSource) { c.Now = func() time.Time { return now } })
	defer m.cancel()
	var armed []time.Duration
	m.after = func(d time.Duration, _ func(time.Time) tea.Msg) tea.Cmd {
		armed = append(armed, d)
		return nil
	}
	now = now.Add(frameEvery)
	m.View()
	m.Update(updateMsg{})
	if m.viewValid || len(armed) != 0 {
		t.Fatalf("a sample a frame after the last one armed %v instead of drawing", armed)
	}
	m.View()
	now = now.Add(10 * time.Millisecond)
	m.Update(updateMsg{})
	m.Update(updateMsg{})
	if !m.viewValid || len(armed) != 1 || armed[0] != frameEvery-10*time.Millisecond {
		t.Fatalf("samples 10 ms after a frame armed %v, want one timer of %v", armed, frameEvery-10*time.Millisecond)
	}
	m.Update(frameMsg{})
	if m.viewValid {
		t.Error("the frame timer drew nothing")
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

// A frame at a 100 ms interval: a new sample on each of 2 GPUs, the frame
// taken, the 200x50 screen drawn. Its allocations drive how often the
// collector runs (every ~1 MB at GOGC 50); the bound is what it allocates
// now plus a quarter, so a change that makes every frame allocate much more
// fails here. BenchmarkLiveFrame reports the same per size and GPU count.
func TestFrameAllocations(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor) // escapes are part of a real frame
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m := screen(t, 2, 200, 50, nil)
	defer m.cancel()
	src := m.cfg.Source.(*fakeSource)
	at, k := t0, 600
	allocs := testing.AllocsPerRun(50, func() {
		at = at.Add(100 * time.Millisecond)
		k++
		for i := range src.gpus {
			src.gpus[i].fast = append(src.gpus[i].fast, fakeSample(i, k, at))
		}
		m.frame.refresh(src, at, false)
		m.viewValid = false
		_ = m.View()
	})
	const bound = 340
	if allocs > bound {
		t.Errorf("a frame of 2 GPUs at 200x50 allocates %v times, want at most %d", allocs, bound)
	}
	t.Logf("%v allocations a frame", allocs)
}
