package model

import (
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
)

// ForecastOptions tunes the model-load watch. Zero fields take the defaults
// documented on each field.
type ForecastOptions struct {
	// Window is how far back the growth rate looks (default 3 s). Long
	// enough to average a model loading in 2 GiB steps every 200 ms into
	// one rate; short enough to notice when loading stops.
	Window time.Duration
	// MinSpan is the shortest stretch a rate is computed over (default 1 s):
	// one step seen over 100 ms would otherwise read as 20 GiB/s and raise a
	// false alarm. A climb younger than MinSpan is measured together with
	// the flat time before it, which under-estimates rather than alarms.
	MinSpan time.Duration
	// MinRate: growth slower than this (bytes/s) counts as flat (default
	// 32 MiB/s), so that allocator noise never produces a forecast.
	MinRate float64
	// MinRise: the fitted growth over the measured stretch must reach this
	// many bytes to count as climbing (default 128 MiB).
	MinRise uint64
	// WarnFraction of the total is the line the warning is about
	// (default 0.95).
	WarnFraction float64
	// WarnWithin: warn when, at the current rate, WarnFraction of the card
	// is reached within this time (default 10 s).
	WarnWithin time.Duration
	// Since: the peak is taken over samples at or after Since (0: all the
	// samples given). The peak can only be as old as the history passed in.
	Since Timestamp
}

// Defaults of ForecastOptions.
const (
	DefaultForecastWindow  = 3 * time.Second
	DefaultForecastMinSpan = time.Second
	DefaultForecastMinRate = 32 << 20  // bytes/s
	DefaultForecastMinRise = 128 << 20 // bytes
	DefaultWarnFraction    = 0.95
	DefaultWarnWithin      = 10 * time.Second
)

func (o *ForecastOptions) fill() {
	if o.Window <= 0 {
		o.Window = DefaultForecastWindow
	}
	if o.MinSpan <= 0 {
		o.MinSpan = DefaultForecastMinSpan
	}
	if o.MinSpan > o.Window {
		o.MinSpan = o.Window
	}
	if o.MinRate <= 0 {
		o.MinRate = DefaultForecastMinRate
	}
	if o.MinRise == 0 {
		o.MinRise = DefaultForecastMinRise
	}
	if o.WarnFraction <= 0 || o.WarnFraction > 1 {
		o.WarnFraction = DefaultWarnFraction
	}
	if o.WarnWithin <= 0 {
		o.WarnWithin = DefaultWarnWithin
	}
}

// MemoryForecast is the model-load watch of one GPU: where memory is, where
// it peaked, and whether the card runs out at the current rate.
type MemoryForecast struct {
	Time     Timestamp   // of the newest sample with a memory reading
	Used     Opt[uint64] // bytes, newest reading
	Total    Opt[uint64]
	Peak     Opt[uint64] // highest reading at or after ForecastOptions.Since
	PeakTime Timestamp

	// Climbing: memory is growing right now (steadily or in steps).
	Climbing bool
	// Rate is the growth in bytes per second; available only while climbing.
	Rate Opt[float64]
	// TimeToFull at Rate; available only while climbing with a known total.
	TimeToFull Opt[time.Duration]
	// TimeToWarn: until WarnFraction of the total is reached (0 when already
	// past it); available only while climbing with a known total.
	TimeToWarn Opt[time.Duration]
	// Warning: at this rate the card reaches WarnFraction within WarnWithin.
	Warning bool
}

// String is the forecast in words ("full in ~12 s at 1.8 GiB/s"), or "" when
// there is no forecast.
func (f MemoryForecast) String() string {
	if !f.Climbing || !f.Rate.OK {
		return ""
	}
	rate := formatRate(f.Rate.V)
	if !f.TimeToFull.OK {
		return "climbing at " + rate + " (total unknown)"
	}
	if f.TimeToFull.V <= 0 {
		return "full, still climbing at " + rate
	}
	return "full in " + formatETA(f.TimeToFull.V) + " at " + rate
}

// ForecastMemory computes the model-load watch from the recent fast samples
// of one GPU, oldest first. Samples whose memory reading is unavailable are
// skipped; no forecast is made when memory is flat or falling, when the
// readings span less than MinSpan, or when there are none.
func ForecastMemory(samples []Sample, opts ForecastOptions) MemoryForecast {
	opts.fill()
	var f MemoryForecast

	last := -1
	for i := len(samples) - 1; i >= 0; i-- {
		if samples[i].MemUsed.OK {
			last = i
			break
		}
	}
	for i := len(samples) - 1; i >= 0; i-- {
		if t := samples[i].MemTotal; t.OK && t.V > 0 {
			f.Total = t
			break
		}
	}
	for _, s := range samples {
		if s.MemUsed.OK && s.Time >= opts.Since && (!f.Peak.OK || s.MemUsed.V > f.Peak.V) {
			f.Peak, f.PeakTime = s.MemUsed, s.Time
		}
	}
	if last < 0 {
		return f
	}
	now := samples[last].Time
	used := samples[last].MemUsed.V
	f.Time, f.Used = now, samples[last].MemUsed

	// The window: available readings no older than Window.
	first := -1
	for i := 0; i <= last; i++ {
		if samples[i].MemUsed.OK && now.Sub(samples[i].Time) <= opts.Window {
			first = i
			break
		}
	}
	if first < 0 || now.Sub(samples[first].Time) < opts.MinSpan {
		return f // not enough history to tell a climb from a blip
	}

	// The climb starts after the lowest reading in the window (its last
	// occurrence), so the flat time before a load does not dilute the rate
	// and memory freed earlier in the window does not hide a new climb.
	start, low := first, samples[first].MemUsed.V
	for i := first; i <= last; i++ {
		if s := samples[i]; s.MemUsed.OK && s.MemUsed.V <= low {
			start, low = i, s.MemUsed.V
		}
	}
	// A climb younger than MinSpan is measured over MinSpan.
	for start > first && now.Sub(samples[start].Time) < opts.MinSpan {
		start--
	}

	slope, span, top := fitSlope(samples[start : last+1])
	if span <= 0 {
		return f
	}
	rise := slope * span.Seconds()
	climbing := slope >= opts.MinRate && rise >= float64(opts.MinRise) &&
		used+opts.MinRise >= top && // not already falling back from a higher point
		sustained(samples[start:last+1], float64(opts.MinRise)/4)
	if !climbing {
		return f
	}
	f.Climbing, f.Rate = true, Some(slope)
	if !f.Total.OK {
		return f
	}
	total := f.Total.V
	f.TimeToFull = Some(etaAt(used, total, slope))
	warnAt := uint64(math.Ceil(float64(total) * opts.WarnFraction))
	f.TimeToWarn = Some(etaAt(used, warnAt, slope))
	f.Warning = f.TimeToWarn.V <= opts.WarnWithin
	return f
}

// sustained reports whether memory grew in both halves (by time) of the
// stretch: one allocation step followed by flat memory is not a load in
// progress, and forecasting "full in ~10 s" from it was a false alarm.
func sustained(samples []Sample, minRise float64) bool {
	var t0, t1 Timestamp
	seen := false
	for _, s := range samples {
		if s.MemUsed.OK {
			if !seen {
				t0, seen = s.Time, true
			}
			t1 = s.Time
		}
	}
	if !seen || t1 <= t0 {
		return false
	}
	mid := t0 + (t1-t0)/2
	// Net growth of each half, from its first reading to its last; the
	// halves share the reading nearest the middle.
	var first, last [2]float64
	var ok [2]bool
	for _, s := range samples {
		if !s.MemUsed.OK {
			continue
		}
		v := float64(s.MemUsed.V)
		for h := range 2 {
			in := (h == 0 && s.Time <= mid) || (h == 1 && s.Time >= mid)
			if !in {
				continue
			}
			if !ok[h] {
				first[h], ok[h] = v, true
			}
			last[h] = v
		}
	}
	// The second half starts where the first ended when no reading sits
	// exactly on the middle.
	if ok[0] && ok[1] {
		first[1] = min(first[1], last[0])
	}
	return ok[0] && ok[1] && last[0]-first[0] >= minRise && last[1]-first[1] >= minRise
}

// etaAt is the time until used reaches target at rate bytes/s (0 if it has).
func etaAt(used, target uint64, rate float64) time.Duration {
	if used >= target {
		return 0
	}
	secs := float64(target-used) / rate
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(secs * float64(time.Second))
}

// fitSlope is the least-squares slope (bytes/s) of the available readings,
// the time they span, and the highest reading. Least squares rather than
// (last-first)/dt because a staircase of steps gives a rate that depends on
// where the window cuts a step; the fit averages over all the steps seen.
func fitSlope(samples []Sample) (slope float64, span time.Duration, top uint64) {
	var n, sumT, sumV float64
	var t0 Timestamp
	firstSeen := false
	var tLast Timestamp
	for _, s := range samples {
		if !s.MemUsed.OK {
			continue
		}
		if !firstSeen {
			t0, firstSeen = s.Time, true
		}
		tLast = s.Time
		n++
		sumT += s.Time.Sub(t0).Seconds()
		sumV += float64(s.MemUsed.V)
		top = max(top, s.MemUsed.V)
	}
	if n < 2 {
		return 0, 0, top
	}
	meanT, meanV := sumT/n, sumV/n
	var sxy, sxx float64
	for _, s := range samples {
		if !s.MemUsed.OK {
			continue
		}
		dt := s.Time.Sub(t0).Seconds() - meanT
		sxy += dt * (float64(s.MemUsed.V) - meanV)
		sxx += dt * dt
	}
	if sxx == 0 {
		return 0, 0, top
	}
	return sxy / sxx, tLast.Sub(t0), top
}

func formatRate(bps float64) string {
	const gib, mib = 1 << 30, 1 << 20
	if bps >= gib {
		return strconv.FormatFloat(bps/gib, 'f', 1, 64) + " GiB/s"
	}
	return strconv.FormatFloat(bps/mib, 'f', 0, 64) + " MiB/s"
}

func formatETA(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1 s"
	case d < 100*time.Second:
		return "~" + strconv.Itoa(int(d.Round(time.Second)/time.Second)) + " s"
	case d < 100*time.Minute:
		return "~" + strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + " min"
	}
	return "~" + strconv.Itoa(int(d.Round(time.Hour)/time.Hour)) + " h"
}

// ProcessKey identifies a process on one GPU. NVML gives no process start
// time, so a PID reused by a different command is told apart by its name
// (see ProcessPeaks.Update).
type ProcessKey struct {
	GPU int
	PID uint32
}

// ProcessPeak is the most memory one process held on one GPU.
type ProcessPeak struct {
	ProcessKey
	Name      string // host name of the process when it was resolved
	Peak      uint64 // bytes
	PeakTime  Timestamp
	FirstSeen Timestamp
	LastSeen  Timestamp
	Live      bool // in the newest process list of its GPU
}

// ProcessPeaks tracks the peak GPU memory of every process seen, so that the
// peak of a process that just crashed with out-of-memory is still there to
// read. It is safe for concurrent use: each GPU's slow goroutine updates it
// and the UI reads it.
type ProcessPeaks struct {
	mu   sync.Mutex
	m    map[ProcessKey]*ProcessPeak
	keep time.Duration
	max  int
}

// NewProcessPeaks keeps the record of a process that left its GPU for keep
// (default 5 min), and at most maxEntries records (default 4096; the oldest
// gone ones are dropped first).
func NewProcessPeaks(keep time.Duration, maxEntries int) *ProcessPeaks {
	if keep <= 0 {
		keep = 5 * time.Minute
	}
	if maxEntries <= 0 {
		maxEntries = 4096
	}
	return &ProcessPeaks{m: make(map[ProcessKey]*ProcessPeak), keep: keep, max: maxEntries}
}

// Update records the process list of one GPU's slow sample. A process that
// is not in the list is marked gone; one that comes back under the same PID
// with a different name is a new process (a reused PID) and starts afresh.
// Processes listed more than once (a compute and a graphics context) count
// the sum of their memory.
func (p *ProcessPeaks) Update(gpu int, s *SlowSample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := s.Time
	// Sum per PID first: NVML lists a process once per context kind.
	type agg struct {
		mem  uint64
		ok   bool
		name string
	}
	seen := make(map[uint32]agg, len(s.Processes))
	for _, pr := range s.Processes {
		a := seen[pr.PID]
		if pr.UsedMemory.OK {
			a.mem += pr.UsedMemory.V
			a.ok = true
		}
		if pr.Resolved && pr.Name != "" {
			a.name = pr.Name
		}
		seen[pr.PID] = a
	}
	for pid, a := range seen {
		key := ProcessKey{GPU: gpu, PID: pid}
		rec, ok := p.m[key]
		if ok && a.name != "" && rec.Name != "" && a.name != rec.Name {
			ok = false // the PID now belongs to another program
		}
		if !ok {
			rec = &ProcessPeak{ProcessKey: key, FirstSeen: now}
			p.m[key] = rec
		}
		if a.name != "" {
			rec.Name = a.name
		}
		rec.LastSeen, rec.Live = now, true
		if a.ok && (a.mem > rec.Peak || rec.PeakTime == 0) {
			rec.Peak, rec.PeakTime = a.mem, now
		}
	}
	for key, rec := range p.m {
		if key.GPU != gpu {
			continue
		}
		if _, ok := seen[key.PID]; !ok {
			rec.Live = false
			if now.Sub(rec.LastSeen) > p.keep {
				delete(p.m, key)
			}
		}
	}
	p.trim()
}

// trim drops the gone records seen longest ago until the map fits.
func (p *ProcessPeaks) trim() {
	if len(p.m) <= p.max {
		return
	}
	gone := make([]*ProcessPeak, 0, len(p.m))
	for _, rec := range p.m {
		if !rec.Live {
			gone = append(gone, rec)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].LastSeen < gone[j].LastSeen })
	for _, rec := range gone {
		if len(p.m) <= p.max {
			break
		}
		delete(p.m, rec.ProcessKey)
	}
}

// Get returns the record of one process on one GPU.
func (p *ProcessPeaks) Get(gpu int, pid uint32) (ProcessPeak, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec, ok := p.m[ProcessKey{GPU: gpu, PID: pid}]
	if !ok {
		return ProcessPeak{}, false
	}
	return *rec, true
}

// List appends every record to dst, by GPU then highest peak first.
func (p *ProcessPeaks) List(dst []ProcessPeak) []ProcessPeak {
	p.mu.Lock()
	n := len(dst)
	for _, rec := range p.m {
		dst = append(dst, *rec)
	}
	p.mu.Unlock()
	out := dst[n:]
	sort.Slice(out, func(i, j int) bool {
		if out[i].GPU != out[j].GPU {
			return out[i].GPU < out[j].GPU
		}
		if out[i].Peak != out[j].Peak {
			return out[i].Peak > out[j].Peak
		}
		return out[i].PID < out[j].PID
	})
	return dst
}
