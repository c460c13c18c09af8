// Package detect turns the sampler's stream of readings into timeline
// events: throttle reasons starting and stopping, ECC and row-remap counters
// moving, processes arriving on and leaving a GPU, and memory passing its
// high-water lines. Every decision uses the samples' own timestamps, never
// the wall clock, so a replay or a test gives the same events every time.
package detect

import (
	"strconv"
	"sync"
	"time"

	"github.com/gputop/gputop/model"
)

// Options tunes the detector. Zero fields take the defaults named on them.
type Options struct {
	// ThrottleStartAfter: a throttle reason must hold this long before it is
	// reported as started (default 1 s).
	ThrottleStartAfter time.Duration
	// ThrottleStartGap: while a reason waits to be reported, gaps shorter
	// than this do not restart the wait (default 500 ms). A bit flapping
	// every few hundred milliseconds is throttling; isolated blips are not.
	ThrottleStartGap time.Duration
	// ThrottleStopAfter: a started reason must be gone this long before it
	// is reported as stopped (default 2 s).
	ThrottleStopAfter time.Duration
	// MemoryLines are the fractions of total memory whose crossing is
	// reported (default 0.50, 0.75, 0.90, 0.95), ascending.
	MemoryLines []float64
	// MemoryRearm: a line is reported again only after usage fell this
	// fraction of the total below it (default 0.05).
	MemoryRearm float64
	// ProcessGoneAfter: a process must be missing from this many
	// consecutive process lists before it is reported as gone (default 2),
	// so one incomplete list does not report every process leaving and
	// coming back.
	ProcessGoneAfter int
	// MaxProcessEvents: more processes than this arriving (or leaving) in one
	// slow sample are reported as one summary event (default 8).
	MaxProcessEvents int
}

func (o *Options) fill() {
	if o.ThrottleStartAfter <= 0 {
		o.ThrottleStartAfter = time.Second
	}
	if o.ThrottleStartGap <= 0 {
		o.ThrottleStartGap = 500 * time.Millisecond
	}
	if o.ThrottleStopAfter <= 0 {
		o.ThrottleStopAfter = 2 * time.Second
	}
	if len(o.MemoryLines) == 0 {
		o.MemoryLines = []float64{0.50, 0.75, 0.90, 0.95}
	}
	if len(o.MemoryLines) > maxMemoryLines {
		o.MemoryLines = o.MemoryLines[:maxMemoryLines]
	}
	if o.MemoryRearm <= 0 {
		o.MemoryRearm = 0.05
	}
	if o.ProcessGoneAfter <= 0 {
		o.ProcessGoneAfter = 2
	}
	if o.MaxProcessEvents <= 0 {
		o.MaxProcessEvents = 8
	}
}

const (
	maxMemoryLines  = 8
	maxThrottleBits = 16
)

// Detector implements sampler.Detector. It keeps separate state per GPU and,
// within a GPU, separate locks for the fast and the slow tier, which the
// sampler calls from different goroutines.
type Detector struct {
	opts Options

	mu   sync.RWMutex
	gpus []*gpuState
}

// New returns a detector.
func New(opts Options) *Detector {
	opts.fill()
	return &Detector{opts: opts}
}

type gpuState struct {
	fastMu   sync.Mutex
	fastSeen bool
	lastFast model.Timestamp
	throttle [maxThrottleBits]bitState
	memSeen  bool
	memArmed [maxMemoryLines]bool

	slowMu   sync.Mutex
	slowSeen bool
	counters slowCounters
	signals  signalState // hardware signals (signals.go)
	procs    map[uint32]*procState
}

// bitState follows one throttle reason through pending -> active -> gone.
type bitState struct {
	pending    bool // set recently, not yet reported
	pendSince  model.Timestamp
	lastOn     model.Timestamp
	active     bool // reported as started
	activeFrom model.Timestamp
	clearing   bool // active, but currently clear
	clearSince model.Timestamp
}

func (d *Detector) gpu(idx int) *gpuState {
	d.mu.RLock()
	if idx < len(d.gpus) && d.gpus[idx] != nil {
		g := d.gpus[idx]
		d.mu.RUnlock()
		return g
	}
	d.mu.RUnlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.gpus) <= idx {
		d.gpus = append(d.gpus, nil)
	}
	if d.gpus[idx] == nil {
		d.gpus[idx] = &gpuState{procs: make(map[uint32]*procState)}
	}
	return d.gpus[idx]
}

// Fast inspects one fast sample: throttle reasons and memory lines. It does
// not allocate unless it emits.
func (d *Detector) Fast(gpu int, s *model.Sample, emit func(model.Event)) {
	if gpu < 0 {
		return
	}
	g := d.gpu(gpu)
	g.fastMu.Lock()
	defer g.fastMu.Unlock()
	if g.fastSeen && s.Time < g.lastFast {
		// Time went backwards (a replay restarted): pending waits are
		// meaningless now; reported states stay until proven otherwise.
		for i := range g.throttle {
			b := &g.throttle[i]
			b.pending, b.clearing = false, false
		}
	}
	g.fastSeen, g.lastFast = true, s.Time
	if mask, ok := s.ThrottleReasons.Get(); ok {
		d.throttle(gpu, g, s.Time, mask, emit)
	}
	d.memory(gpu, g, s, emit)
}

func (d *Detector) throttle(gpu int, g *gpuState, now model.Timestamp, mask uint64, emit func(model.Event)) {
	for i, r := range model.ThrottleReasons {
		if r.Bit == model.ThrottleIdle || i >= maxThrottleBits {
			continue // an idle GPU lowering its clocks is not news
		}
		b := &g.throttle[i]
		on := mask&r.Bit != 0
		if !b.active {
			switch {
			case on && !b.pending:
				b.pending, b.pendSince, b.lastOn = true, now, now
			case on:
				b.lastOn = now
			case b.pending && now.Sub(b.lastOn) >= d.opts.ThrottleStartGap:
				b.pending = false
			}
			if on && b.pending && now.Sub(b.pendSince) >= d.opts.ThrottleStartAfter {
				b.pending, b.active, b.activeFrom, b.clearing = false, true, b.pendSince, false
				emit(throttleStarted(gpu, now, r))
			}
			continue
		}
		if on {
			b.clearing, b.lastOn = false, now
			continue
		}
		if !b.clearing {
			b.clearing, b.clearSince = true, now
		}
		if now.Sub(b.clearSince) >= d.opts.ThrottleStopAfter {
			b.active, b.clearing = false, false
			emit(throttleStopped(gpu, now, r, b.lastOn.Sub(b.activeFrom)))
		}
	}
}

func throttleStarted(gpu int, now model.Timestamp, r model.ThrottleReason) model.Event {
	sev := model.SevInfo
	switch {
	case r.Fault:
		sev = model.SevError
	case r.Bit == model.ThrottleSWPowerCap || r.Bit == model.ThrottleSWThermal:
		sev = model.SevWarn
	}
	return model.Event{Time: now, GPU: model.Some(gpu), Kind: model.EventThrottle, Severity: sev,
		Message: "GPU " + strconv.Itoa(gpu) + " clocks throttled: " + r.Name}
}

func throttleStopped(gpu int, now model.Timestamp, r model.ThrottleReason, lasted time.Duration) model.Event {
	return model.Event{Time: now, GPU: model.Some(gpu), Kind: model.EventThrottle, Severity: model.SevInfo,
		Message: "GPU " + strconv.Itoa(gpu) + " throttling ended: " + r.Name + " (lasted " + lasted.Round(100*time.Millisecond).String() + ")"}
}

// memory reports the highest line a new reading crossed, once per crossing.
func (d *Detector) memory(gpu int, g *gpuState, s *model.Sample, emit func(model.Event)) {
	used, okU := s.MemUsed.Get()
	total, okT := s.MemTotal.Get()
	if !okU || !okT || total == 0 {
		return
	}
	frac := float64(used) / float64(total)
	lines := d.opts.MemoryLines
	if !g.memSeen {
		// Usage already high when gputop starts is not something that just
		// happened; only later crossings are.
		g.memSeen = true
		for i, line := range lines {
			g.memArmed[i] = frac < line
		}
		return
	}
	crossed := -1
	for i, line := range lines {
		if !g.memArmed[i] && frac < line-d.opts.MemoryRearm {
			g.memArmed[i] = true
		}
		if g.memArmed[i] && frac >= line {
			crossed = i
		}
	}
	if crossed < 0 {
		return
	}
	for i := 0; i <= crossed; i++ {
		if frac >= lines[i] {
			g.memArmed[i] = false
		}
	}
	line := lines[crossed]
	sev := model.SevInfo
	if line >= 0.9 {
		sev = model.SevWarn
	}
	emit(model.Event{Time: s.Time, GPU: model.Some(gpu), Kind: model.EventMemoryHWM, Severity: sev,
		Message: "GPU " + strconv.Itoa(gpu) + " memory passed " + strconv.Itoa(int(line*100+0.5)) + "%: " +
			formatBytes(used) + " of " + formatBytes(total)})
}

// formatBytes renders a size the way the timeline shows it ("2.1 GiB").
func formatBytes(b uint64) string {
	const gib, mib = 1 << 30, 1 << 20
	if b >= gib {
		return strconv.FormatFloat(float64(b)/gib, 'f', 1, 64) + " GiB"
	}
	return strconv.FormatUint((b+mib/2)/mib, 10) + " MiB"
}
