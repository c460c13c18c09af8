package ui

import (
	"sort"
	"time"

	"github.com/gputop/gputop/model"
)

// gpuFrame is what one GPU looks like in the frame being drawn.
type gpuFrame struct {
	Info    model.GPUInfo
	Fast    model.Sample
	HasFast bool
	Slow    model.SlowSample
	Health  model.Health
	Stats   model.SamplerStats
	// Verdict is the GPU's badge (see model.GPUVerdict), judged by the root
	// after every frame and every change of the checks.
	Verdict model.Verdict
	hist    *history
}

// memTotal prefers the live total and falls back to the static one.
func (g *gpuFrame) memTotal() model.Opt[uint64] {
	if g.Fast.MemTotal.OK {
		return g.Fast.MemTotal
	}
	return g.Info.MemoryTotal
}

// frame is the data every view draws: a copy taken from the Source at a
// frame tick. Views read only the frame, so they never touch the Source,
// and pausing is simply not taking a new one.
type frame struct {
	System model.System
	// At is the instant shown: now when live, the cursor when replaying.
	At     time.Time
	GPUs   []gpuFrame
	Events []model.Event // newest last
	// cursor is the replay position; 0 follows the newest sample.
	cursor model.Timestamp

	eventCount uint64
	fastBuf    []model.Sample
	slowBuf    []model.SlowSample

	// drawn keeps renderings between frames (see memo); the frame is what
	// every view shares, and the root and the panes' state is not mine to
	// grow here.
	drawn drawCache
}

// drawCache holds the parts of the screen that are redrawn only when their
// inputs change.
type drawCache struct {
	events memo[eventsKey] // the events box beside / below the GPUs
	footer memo[string]    // the key hints
}

// eventsKey is what the events box shows: the events (their count changes
// with every new one), where and in which styles.
type eventsKey struct {
	count         uint64
	n             int
	width, height int
	stylesGen     uint64
	loc           *time.Location
}

func newFrame(src Source) *frame {
	f := &frame{}
	f.System = src.System()
	f.GPUs = make([]gpuFrame, src.GPUCount())
	for i := range f.GPUs {
		f.GPUs[i].Info = src.GPU(i).Info()
		f.GPUs[i].hist = newHistory(historyCapOf(src.GPU(i)))
	}
	return f
}

// eventsKept is how many recent events the frame copies: enough for the
// event log to scroll back through a long session.
const eventsKept = 2048

// refresh copies the Source's current state into the frame. withStats also
// reads the sampler's own statistics, which sort a latency ring and are only
// worth it while the overhead view is open.
func (f *frame) refresh(src Source, now time.Time, withStats bool) {
	f.At = now
	for i := range f.GPUs {
		g := &f.GPUs[i]
		gs := src.GPU(i)
		g.hist.sync(gs)
		g.Fast, g.HasFast, g.Slow, g.Health = gs.Latest()
		if withStats {
			g.Stats = gs.Stats()
		}
		if f.cursor != 0 {
			f.atCursor(g, gs)
		}
	}
	if f.cursor != 0 {
		f.At = f.cursor.Time().In(now.Location())
	}
	if c := src.EventCount(); c != f.eventCount || f.Events == nil {
		f.eventCount = c
		f.Events = src.Events(f.Events[:0], eventsKept)
	}
}

// refreshStats reads only the sampler's own statistics, for the overhead
// view while the values are paused.
func (f *frame) refreshStats(src Source) {
	for i := range f.GPUs {
		f.GPUs[i].Stats = src.GPU(i).Stats()
	}
}

// atCursor replaces the latest readings of g by those at the cursor.
func (f *frame) atCursor(g *gpuFrame, gs GPUSource) {
	idx := g.hist.indexAt(f.cursor)
	if idx < 0 {
		g.HasFast = false
		return
	}
	back := g.hist.len() - idx
	f.fastBuf = gs.History(f.fastBuf[:0], back+8)
	i := sort.Search(len(f.fastBuf), func(i int) bool { return f.fastBuf[i].Time > f.cursor }) - 1
	if i >= 0 {
		g.Fast, g.HasFast = f.fastBuf[i], true
	}
	f.slowBuf = gs.SlowHistory(f.slowBuf[:0], 1<<16)
	j := sort.Search(len(f.slowBuf), func(i int) bool { return f.slowBuf[i].Time > f.cursor }) - 1
	if j >= 0 {
		g.Slow = f.slowBuf[j]
	} else {
		g.Slow = model.SlowSample{}
	}
}

// visibleEvents are the events up to the instant shown: all of them when
// live, those up to the cursor in a replay (the log follows the cursor).
func (f *frame) visibleEvents() []model.Event {
	if f.cursor == 0 {
		return f.Events
	}
	n := sort.Search(len(f.Events), func(i int) bool { return f.Events[i].Time > f.cursor })
	return f.Events[:n]
}

// lastEvent is the newest event, if any.
func (f *frame) lastEvent() (model.Event, bool) {
	evs := f.visibleEvents()
	if len(evs) == 0 {
		return model.Event{}, false
	}
	return evs[len(evs)-1], true
}

// end is the instant graphs end at.
func (f *frame) end(g *gpuFrame) model.Timestamp {
	if f.cursor != 0 {
		return f.cursor
	}
	if g.hist.len() > 0 {
		return g.hist.at(g.hist.len() - 1).T
	}
	return model.TimestampOf(f.At)
}

// step moves the replay cursor by n samples of GPU gpu (negative = back);
// reaching the newest sample returns to following it.
func (f *frame) step(gpu, n int) {
	if gpu < 0 || gpu >= len(f.GPUs) {
		return
	}
	h := f.GPUs[gpu].hist
	if h.len() == 0 {
		return
	}
	idx := h.len() - 1
	if f.cursor != 0 {
		idx = max(h.indexAt(f.cursor), 0)
	}
	idx = min(max(idx+n, 0), h.len()-1)
	if idx == h.len()-1 {
		f.cursor = 0
		return
	}
	f.cursor = h.at(idx).T
}
