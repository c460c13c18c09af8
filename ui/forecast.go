package ui

import (
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/gputop/gputop/model"
)

// peakTracker keeps the highest memory reading of each GPU since a reset.
// It is fed incrementally (Observe with whatever recent samples are at
// hand), so the peak outlives the history ring: a model that peaked at
// 78 GiB ten minutes ago still shows 78 GiB after the ring forgot it.
type peakTracker struct {
	since model.Timestamp
	gpus  map[int]*gpuPeak
}

type gpuPeak struct {
	peak model.Opt[uint64]
	at   model.Timestamp
	seen model.Timestamp // newest sample taken in, so none counts twice
}

// newPeakTracker starts tracking at now.
func newPeakTracker(now time.Time) *peakTracker {
	return &peakTracker{since: model.TimestampOf(now), gpus: make(map[int]*gpuPeak)}
}

// Observe takes in the recent samples of one GPU, oldest first. Samples
// older than the reset or already seen are ignored, so overlapping windows
// are fine; unavailable readings never count (not as 0 either).
func (t *peakTracker) Observe(gpu int, samples []model.Sample) {
	g := t.gpus[gpu]
	if g == nil {
		g = &gpuPeak{}
		t.gpus[gpu] = g
	}
	for i := range samples {
		s := &samples[i]
		if s.Time <= g.seen || s.Time < t.since {
			continue
		}
		g.seen = s.Time
		if s.MemUsed.OK && (!g.peak.OK || s.MemUsed.V > g.peak.V) {
			g.peak, g.at = s.MemUsed, s.Time
		}
	}
}

// Reset forgets every peak; samples before now no longer count.
func (t *peakTracker) Reset(now time.Time) {
	t.since = model.TimestampOf(now)
	clear(t.gpus)
}

// Since is when tracking (re)started.
func (t *peakTracker) Since() model.Timestamp { return t.since }

// Peak is the highest reading of gpu since the reset and when it was seen;
// unavailable when no reading has arrived since.
func (t *peakTracker) Peak(gpu int) (model.Opt[uint64], model.Timestamp) {
	if g := t.gpus[gpu]; g != nil {
		return g.peak, g.at
	}
	return model.None[uint64](), 0
}

// seen is the time of the newest sample of gpu taken in (0: none yet).
func (t *peakTracker) seen(gpu int) model.Timestamp {
	if g := t.gpus[gpu]; g != nil {
		return g.seen
	}
	return 0
}

// loadWatch is the model-load watch of every GPU: the forecast from the
// recent samples and the peak since the reset.
type loadWatch struct {
	peaks    *peakTracker
	opts     model.ForecastOptions
	interval time.Duration
	buf      []model.Sample
	fc       []model.MemoryForecast
}

// forecastHistoryMax bounds how many samples one refresh copies per GPU.
const forecastHistoryMax = 1 << 14

// newLoadWatch starts the watch at now; interval is the sampler's fast
// interval (how many samples make up the forecast window).
func newLoadWatch(now time.Time, interval time.Duration, opts model.ForecastOptions) *loadWatch {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return &loadWatch{peaks: newPeakTracker(now), opts: opts, interval: interval}
}

// refresh reads the recent samples of every GPU from src (a copy under the
// source's mutex, like frame.refresh; never a driver call) at now and
// recomputes the forecasts. It reads enough samples to cover both the
// forecast window and the time since the previous refresh, so the peak
// misses nothing the ring still holds.
func (w *loadWatch) refresh(src Source, now time.Time) {
	n := src.GPUCount()
	if cap(w.fc) < n {
		w.fc = make([]model.MemoryForecast, n)
	}
	w.fc = w.fc[:n]
	window := w.opts.Window
	if window <= 0 {
		window = model.DefaultForecastWindow
	}
	for i := range n {
		span := window
		if seen := w.peaks.seen(i); seen != 0 {
			span = max(span, now.Sub(seen.Time()))
		}
		k := min(int(span/w.interval)+2, forecastHistoryMax)
		w.buf = src.GPU(i).History(w.buf[:0], k)
		w.peaks.Observe(i, w.buf)
		w.fc[i] = model.ForecastMemory(w.buf, w.opts)
	}
}

// Reset starts the peaks afresh at now.
func (w *loadWatch) Reset(now time.Time) { w.peaks.Reset(now) }

// forecast is one GPU's forecast and peak since the reset.
func (w *loadWatch) forecast(gpu int) (model.MemoryForecast, model.Opt[uint64]) {
	if gpu < 0 || gpu >= len(w.fc) {
		return model.MemoryForecast{}, model.None[uint64]()
	}
	p, _ := w.peaks.Peak(gpu)
	return w.fc[gpu], p
}

// renderForecast draws one GPU's load-watch line in exactly width cells:
// the forecast while memory climbs ("↗ full in ~12 s at 1.8 GiB/s"), in the
// warning style when the card runs out soon, "steady" otherwise, and the
// peak since the reset (peak; the forecast's own peak when unavailable).
func renderForecast(f model.MemoryForecast, peak model.Opt[uint64], width int, s *Styles) string {
	if width <= 0 {
		return ""
	}
	if !f.Used.OK {
		return fit(s.muted.render("load watch "+na+" (no memory reading)"), width)
	}
	if !peak.OK {
		peak = f.Peak
	}
	var head string
	switch {
	case f.Climbing && f.Warning:
		// A forecast, not a fault: the warning colour, never the fail one.
		head = s.warn.render("▲ " + f.String())
	case f.Climbing:
		head = s.rising.render("↗ " + f.String())
	default:
		head = s.muted.render("→ steady")
	}
	line := head
	if peak.OK {
		tail := s.muted.render("  peak ") + fmtBytes(peak)
		if lipgloss.Width(line+tail) <= width {
			line += tail
		}
	}
	return fit(line, width)
}
