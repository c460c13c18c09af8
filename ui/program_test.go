package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/gputop/gputop/model"
)

// screenLog keeps everything the program wrote. teatest.WaitFor consumes
// what it reads, so a second wait would miss text the first one read past;
// the log searches everything written since the last key was sent instead.
type screenLog struct {
	tm   *teatest.TestModel
	seen []byte
	mark int // where output caused by the last action starts
}

func (l *screenLog) waitFor(t *testing.T, want string) {
	t.Helper()
	teatest.WaitFor(t, l.tm.Output(), func(b []byte) bool {
		all := append(l.seen[:len(l.seen):len(l.seen)], b...)
		if bytes.Contains(all[l.mark:], []byte(want)) {
			l.seen = all
			return true
		}
		return false
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// send delivers msgs; later waits only look at what was drawn after.
func (l *screenLog) send(msgs ...tea.Msg) {
	l.mark = len(l.seen)
	for _, m := range msgs {
		l.tm.Send(m)
	}
}

func keyMsg(k tea.KeyType) tea.Msg { return tea.KeyMsg{Type: k} }
func runes(s string) tea.Msg       { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// The flows a user goes through, in a real bubbletea program.
func TestProgramFlows(t *testing.T) {
	cfg, src := testConfig(2)
	cfg = withChecks(cfg)
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(120, 40))
	out := &screenLog{tm: tm}

	out.waitFor(t, "GPU 1 H100 80GB HBM3") // panes drawn
	out.waitFor(t, "BAR1 aperture")        // checks ran at startup

	// Samples arriving while the program runs reach the screen.
	live := fakeSample(0, 0, t0.Add(time.Second))
	live.UtilGPU = model.Some[uint32](77)
	out.mark = len(out.seen)
	src.push(0, live)
	out.waitFor(t, "77%")

	out.send(runes("?"))
	out.waitFor(t, "ABOUT / OVERHEAD")
	out.send(keyMsg(tea.KeyEsc))
	out.waitFor(t, "CHECKS")

	// tab, tab: GPU 1, then the checks pane, whose footer offers the fix panel.
	out.send(keyMsg(tea.KeyTab), keyMsg(tea.KeyTab))
	out.waitFor(t, "enter fix panel")
	out.send(keyMsg(tea.KeyEnter))
	out.waitFor(t, "Commands")
	out.send(keyMsg(tea.KeyEsc))
	out.waitFor(t, "CHECKS")

	// Back to GPU 1 and zoom it.
	out.send(keyMsg(tea.KeyShiftTab))
	out.waitFor(t, "enter zoom GPU")
	out.send(keyMsg(tea.KeyEnter))
	out.waitFor(t, "PROCESSES")
	out.send(keyMsg(tea.KeyEsc))
	out.waitFor(t, "CHECKS")

	out.send(runes("p"))
	out.waitFor(t, "PAUSED")

	out.send(runes("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*Model)
	if !final.paused || final.zoom.gpu != 1 || final.over != overlayNone {
		t.Errorf("final state: paused %v zoom %d overlay %v", final.paused, final.zoom.gpu, final.over)
	}
	if final.ctx.Err() == nil {
		t.Error("quitting left background work running")
	}
}

func TestProgramQuitsWithCtrlC(t *testing.T) {
	cfg, _ := testConfig(1)
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(80, 24))
	(&screenLog{tm: tm}).waitFor(t, "GPU 0")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	out := tm.FinalModel(t).View()
	if strings.TrimSpace(out) != "" {
		t.Errorf("the last frame after quitting should be empty, got %q", out)
	}
}
