package ui

import "github.com/gputop/gputop/model"

// judge gives every GPU of the frame its verdict from its readings, the
// checks about it and its recent critical events up to the instant shown
// (in a replay, the cursor's).
func (m *Model) judge() {
	f := m.frame
	now := model.TimestampOf(f.At)
	if f.cursor != 0 {
		now = f.cursor
	}
	events := f.visibleEvents()
	for i := range f.GPUs {
		g := &f.GPUs[i]
		g.Verdict = model.GPUVerdict(model.VerdictInput{Info: g.Info, Health: g.Health, Fast: g.Fast, Slow: g.Slow,
			Checks: m.results, Events: events, Now: now})
	}
}
