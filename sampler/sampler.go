package sampler

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gputop/gputop/model"
)

// Limits on the polling interval the user may ask for.
const (
	MinInterval     = 10 * time.Millisecond
	DefaultInterval = 100 * time.Millisecond
	DefaultSlow     = time.Second
	DefaultHistory  = 120 * time.Second
	maxRingSamples  = 12000
)

// Options configures a Sampler.
type Options struct {
	Interval     time.Duration // fast tier period (default 100 ms, min 10 ms)
	SlowInterval time.Duration // slow tier period (default 1 s)
	History      time.Duration // how much fast history each GPU keeps (default 120 s)
	// StaleAfter: a GPU whose fast reading is overdue by this much is marked
	// stale (default max(5 intervals, 1 s)).
	StaleAfter time.Duration
	// ResolveProcesses, when set, fills the host side of the processes a
	// slow reading found (user, command, CPU, RSS). It runs on the slow
	// goroutine of that GPU.
	ResolveProcesses func([]model.Process)
	// Detector, when set, sees every fast and slow sample after it is stored
	// and may emit events (throttle changes, ECC counters moving...).
	Detector Detector
	Logger   *slog.Logger
}

// Detector turns a stream of samples into timeline events. Calls for one GPU
// come from that GPU's goroutines; it must be safe for concurrent use.
type Detector interface {
	Fast(gpu int, s *model.Sample, emit func(model.Event))
	Slow(gpu int, s *model.SlowSample, emit func(model.Event))
}

func (o *Options) fill() {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Interval < MinInterval {
		o.Interval = MinInterval
	}
	if o.SlowInterval == 0 {
		o.SlowInterval = DefaultSlow
	}
	if o.SlowInterval < o.Interval {
		o.SlowInterval = o.Interval
	}
	if o.History == 0 {
		o.History = DefaultHistory
	}
	if o.StaleAfter == 0 {
		o.StaleAfter = max(5*o.Interval, time.Second)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// RingCapacity is how many fast samples a GPU keeps for the options given.
func (o Options) RingCapacity() int {
	o.fill()
	n := int(o.History/o.Interval) + 1
	return min(max(n, 2), maxRingSamples)
}

// Sampler polls a Backend on a fast and a slow tier. One clock goroutine
// (clockLoop) takes every GPU's fast readings of a tick and hands the slow
// ones to a goroutine per GPU; a hung GPU is marked stale and a new clock
// carries on with the others. The readings of one tick notify once, when
// the last of them is stored.
type Sampler struct {
	backend Backend
	opts    Options
	system  model.System
	gpus    []*GPU
	notify  chan struct{}

	// The current round: the readings the clock started at its latest
	// tick (gen), and how many of them are still running. roundLate fires
	// when the fast readings are in and a slow one is still running.
	roundMu      sync.Mutex
	roundGen     uint64
	roundPending int
	roundLate    *time.Timer

	// The clocks (see clockLoop): clockGen is the current one; stopping is
	// set when Run's context ends, after which no clock starts. wg counts
	// every goroutine Run started.
	runCtx   context.Context
	clockMu  sync.Mutex
	clockGen uint64
	stopping bool
	wg       sync.WaitGroup

	eventsMu sync.Mutex
	events   *model.Ring[model.Event]
	eventSeq atomic.Uint64

	running atomic.Bool
}

// Open starts the backend and reads static information. The returned
// Sampler does not poll until Run.
func Open(ctx context.Context, b Backend, opts Options) (*Sampler, error) {
	opts.fill()
	sys, infos, err := b.Open(ctx)
	if err != nil {
		return nil, err
	}
	s := &Sampler{
		backend: b,
		opts:    opts,
		system:  sys,
		notify:  make(chan struct{}, 1),
		events:  model.NewRing[model.Event](2048),
	}
	capacity := opts.RingCapacity()
	for i, info := range infos {
		s.gpus = append(s.gpus, &GPU{
			Info:   info,
			idx:    i,
			fast:   model.NewSampleRing(capacity),
			slowH:  model.NewRing[model.SlowSample](min(int(opts.History/opts.SlowInterval)+1, maxRingSamples)),
			late:   model.NewRing[int32](1024),
			health: model.Health{State: model.Healthy, Since: model.Now()},
		})
	}
	return s, nil
}

// System describes the host and driver.
func (s *Sampler) System() model.System { return s.system }

// GPUs are the GPUs found at Open, in index order. The slice does not change.
func (s *Sampler) GPUs() []*GPU { return s.gpus }

// Options returns the effective options (defaults filled in).
func (s *Sampler) Options() Options { return s.opts }

// Updates delivers a notification after new data arrived. It has capacity
// one and the sampler never blocks on it: a reader that falls behind gets one
// pending notification, and reads the latest state (and the full history) when
// it wakes. Nothing is lost because the history rings keep every sample.
func (s *Sampler) Updates() <-chan struct{} { return s.notify }

func (s *Sampler) poke() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Emit records an event on the timeline.
func (s *Sampler) Emit(ev model.Event) {
	if ev.Time == 0 {
		ev.Time = model.Now()
	}
	s.eventsMu.Lock()
	s.events.Push(ev)
	s.eventsMu.Unlock()
	s.eventSeq.Add(1)
	s.poke()
}

// Events appends up to n newest events (oldest first) to dst.
func (s *Sampler) Events(dst []model.Event, n int) []model.Event {
	s.eventsMu.Lock()
	defer s.eventsMu.Unlock()
	return s.events.AppendLast(dst, n)
}

// EventCount is the number of events emitted so far (a cheap change marker).
func (s *Sampler) EventCount() uint64 { return s.eventSeq.Load() }

// shutdownGrace bounds how long Run waits for a GPU goroutine stuck in a
// backend call after the context is cancelled.
const shutdownGrace = 500 * time.Millisecond

// Run polls until ctx is cancelled. It returns after every goroutine it
// started has exited, or after a short grace period if a backend call hangs
// (those goroutines exit when the call returns).
func (s *Sampler) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("sampler: Run called twice")
	}
	s.runCtx = ctx
	s.roundLate = time.AfterFunc(time.Hour, s.poke)
	s.roundLate.Stop()
	defer s.roundLate.Stop()
	for _, g := range s.gpus {
		g.slowTick = make(chan tick, 1)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.slowLoop(ctx, g) }()
	}
	s.startClock(true)
	if es, ok := s.backend.(EventSource); ok {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := es.Events(ctx, s.Emit); err != nil && ctx.Err() == nil {
				s.opts.Logger.Warn("event source stopped", "err", err)
				s.Emit(model.Event{Kind: model.EventInfo, Severity: model.SevWarn,
					Message: "Xid events unavailable: " + err.Error()})
			}
		}()
	}

	<-ctx.Done()
	s.clockMu.Lock()
	s.stopping = true
	s.clockMu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		s.opts.Logger.Warn("sampler: a backend call is still running at shutdown; not waiting for it")
	}
	return nil
}

// tick is one slow reading the clock asks a GPU's slow goroutine for: the
// tick's time and the round it belongs to.
type tick struct {
	at  time.Time
	gen uint64
}

// roundLateAfter bounds how long the fast readings of a round wait for its
// slow readings before they are shown: a slow tier that hangs must not hold
// the display back (on an H200 the slow readings take 1-20 ms; rarely one
// takes 70 ms).
const roundLateAfter = 50 * time.Millisecond

// startClock starts a clock goroutine and makes it the current one: a
// clock that is no longer current stops after its reading in flight.
// first: the clock's first round happens at once and includes the slow
// readings (at Run); a clock that takes over from a stuck one waits for
// its first tick.
func (s *Sampler) startClock(first bool) {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	if s.stopping {
		return
	}
	s.clockGen++
	gen := s.clockGen
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.clockLoop(s.runCtx, gen, first) }()
}

func (s *Sampler) currentClock(gen uint64) bool {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	return s.clockGen == gen && !s.stopping
}

// clockLoop is the sampler's clock, and it takes the fast readings itself:
// at every tick it reads every GPU's fast tier in turn, then hands the
// slow readings, every slowEvery ticks, to each GPU's slow goroutine.
//
// One goroutine for every GPU's fast readings instead of one per GPU: a
// tick at 10 ms is one wake-up instead of a wake-up of the clock and a
// hand-off to each GPU's goroutine (on an H200 the Go scheduler's share of
// a 10 ms tick was about half its CPU). The readings were serialised anyway
// (NVML's backend takes them one at a time: GPUs entering the driver
// together made its calls spin). A reading that hangs does not stop the
// other GPUs: the watchdog (stalled) marks that GPU stale and starts a new
// clock, which reads the others and skips the GPU until its call returns;
// this clock then stores that reading and stops.
func (s *Sampler) clockLoop(ctx context.Context, gen uint64, first bool) {
	slowEvery := max(int((s.opts.SlowInterval+s.opts.Interval/2)/s.opts.Interval), 1)
	p := newPacer(ctx, s.opts.Interval)
	defer p.stop()
	c := &clock{gen: gen}
	// The watchdog: pushed StaleAfter ahead at every round, it fires only
	// when a round has not ended for that long. It stays armed, and moving
	// a pending timer later does not wake the runtime's poller, where
	// arming a timer for every reading and stopping it after did: a
	// wake-up of the poller thread per reading.
	c.watch = time.AfterFunc(s.opts.StaleAfter, func() { s.clockStalled(c) })
	defer c.watch.Stop()
	var sample model.Sample
	if first && !s.round(c, time.Now(), true, &sample) {
		return
	}
	for n := 1; ; n++ {
		at, ok := p.wait()
		if !ok {
			return
		}
		if !s.round(c, at, n%slowEvery == 0, &sample) {
			return
		}
	}
}

// clock is one clock goroutine's state the watchdog sees.
type clock struct {
	gen   uint64
	watch *time.Timer
	// reading: the GPU whose fast reading this clock is taking, nil
	// between readings.
	reading atomic.Pointer[GPU]
}

// clockStalled runs when a clock's round has not ended StaleAfter after it
// began. A GPU reading for StaleAfter is stalled; a reading begun later in
// the round gets the rest of its time. A clock between readings (a machine
// that was suspended) is given another StaleAfter.
func (s *Sampler) clockStalled(c *clock) {
	if !s.currentClock(c.gen) {
		return
	}
	g := c.reading.Load()
	var started int64
	if g != nil {
		started = g.fastStarted.Load()
	}
	if started == 0 {
		c.watch.Reset(s.opts.StaleAfter)
		return
	}
	if left := s.opts.StaleAfter - time.Since(time.Unix(0, started)); left > 0 {
		c.watch.Reset(left)
		return
	}
	s.stalled(g)
}

// round is one tick of the clock gen: the slow readings are handed out
// first (they run on their own goroutines while the fast ones are taken
// here), then every GPU's fast reading. It reports whether gen is still the
// current clock. The display is notified once a round, when its last
// reading is stored (see roundDone); when the fast readings are in and a
// slow one still runs, after roundLateAfter at the latest.
func (s *Sampler) round(c *clock, at time.Time, slow bool, sample *model.Sample) bool {
	gen := c.gen
	if !s.currentClock(gen) {
		return false // the watchdog replaced it as its last reading finished
	}
	s.roundMu.Lock()
	if s.roundPending > 0 {
		s.poke() // the previous round is incomplete: show what it has
	}
	s.roundLate.Stop()
	s.roundGen++
	rgen := s.roundGen
	s.roundPending = 1 // this round's fast readings, all together
	if slow {
		tk := tick{at: at, gen: rgen}
		for _, g := range s.gpus {
			// A slow goroutine that has not taken its previous tick (a
			// reading still running) does not get this one.
			select {
			case g.slowTick <- tk:
				s.roundPending++
			default:
			}
		}
	}
	s.roundMu.Unlock()
	c.watch.Reset(s.opts.StaleAfter)
	for _, g := range s.gpus {
		// A GPU whose reading is still in flight on a clock that was
		// replaced is skipped; the gap counts the ticks it missed.
		if !g.reading.CompareAndSwap(false, true) {
			continue
		}
		now := time.Now()
		// Ticks a slow read made the clock miss were dropped by the
		// ticker; count them so the overhead view can show them.
		if gap := at.Sub(g.lastTick); !g.lastTick.IsZero() && gap > s.opts.Interval*3/2 {
			g.skipped.Add(uint64(gap/s.opts.Interval) - 1)
		}
		if !g.lastTick.IsZero() {
			g.recordLateness(now.Sub(at))
		}
		g.lastTick = at
		c.reading.Store(g)
		s.readFast(g, sample, now)
		c.reading.Store(nil)
		g.reading.Store(false)
		if !s.currentClock(gen) {
			// Replaced while this reading hung; the new clock has the
			// other GPUs. What this reading got is stored: the display
			// learns it with the new clock's next round.
			s.poke()
			return false
		}
	}
	s.roundDone(rgen, true)
	return true
}

// roundDone records a finished reading of round gen (fast: all the round's
// fast readings) and notifies the display when it was the round's last one;
// a reading of an older round (a GPU that was late) notifies at once. When
// the fast readings are in and only slow ones run, the display is notified
// after roundLateAfter unless they finish first.
func (s *Sampler) roundDone(gen uint64, fast bool) {
	s.roundMu.Lock()
	defer s.roundMu.Unlock()
	if gen != s.roundGen {
		s.poke()
		return
	}
	s.roundPending--
	switch {
	case s.roundPending == 0:
		s.roundLate.Stop()
		s.poke()
	case fast:
		s.roundLate.Reset(roundLateAfter)
	}
}

func (s *Sampler) readFast(g *GPU, sample *model.Sample, start time.Time) {
	g.fastStarted.Store(start.UnixNano())
	*sample = model.Sample{Time: model.TimestampOf(start)}
	err := s.backend.ReadFast(g.idx, sample)
	took := time.Since(start)
	g.fastStarted.Store(0)
	g.fastNanos.Add(uint64(took))
	g.fastCount.Add(1)
	if err != nil {
		s.fail(g, err, model.Now())
		return
	}
	s.storeFast(g, sample, model.Now())
}

// storeFast keeps a good fast reading: history, recovery from a failed or
// stale state (dated at), detectors. Run and Step share it so a replayed GPU
// recovers the same way a polled one does.
func (s *Sampler) storeFast(g *GPU, sample *model.Sample, at model.Timestamp) {
	g.mu.Lock()
	g.lastFastAt = at
	g.fast.Push(*sample)
	changed := g.health.State != model.Healthy
	if changed {
		g.health = model.Health{State: model.Healthy, Since: at}
	}
	g.mu.Unlock()
	if changed {
		s.Emit(model.Event{Time: at, GPU: model.Some(g.idx), Kind: model.EventHealth, Severity: model.SevInfo,
			Message: "GPU " + strconv.Itoa(g.idx) + " readings recovered"})
	}
	if s.opts.Detector != nil {
		s.opts.Detector.Fast(g.idx, sample, s.Emit)
	}
}

func (s *Sampler) slowLoop(ctx context.Context, g *GPU) {
	// One sample reused: passed to the backend through an interface it
	// escapes, and a new one each reading was an allocation of its own.
	// storeSlow copies it; the backend's slices are new each reading.
	slow := new(model.SlowSample)
	for {
		select {
		case <-ctx.Done():
			return
		case tk := <-g.slowTick:
			*slow = model.SlowSample{Time: model.Now()}
			start := time.Now()
			err := s.backend.ReadSlow(g.idx, slow)
			g.slowNanos.Add(uint64(time.Since(start)))
			g.slowCount.Add(1)
			if err != nil {
				s.failSlow(g, err, model.Now())
			} else {
				s.storeSlow(g, slow)
			}
			s.roundDone(tk.gen, false)
		}
	}
}

// fail records a failed reading, dated at. GPU_IS_LOST and friends are shown,
// never fatal.
func (s *Sampler) fail(g *GPU, err error, at model.Timestamp) {
	state, reason := model.Failed, err.Error()
	var de *DeviceError
	if errors.As(err, &de) {
		state = de.State
		reason = de.Code
		if de.Err != nil { // a backend may classify without a cause
			reason += ": " + de.Err.Error()
		}
	}
	g.mu.Lock()
	changed := g.health.State != state || g.health.Reason != reason
	if changed {
		g.health = model.Health{State: state, Reason: reason, Since: at}
	}
	g.mu.Unlock()
	if changed {
		s.opts.Logger.Warn("gpu reading failed", "gpu", g.idx, "err", err)
		s.Emit(model.Event{Time: at, GPU: model.Some(g.idx), Kind: model.EventHealth, Severity: model.SevError,
			Message: "GPU " + strconv.Itoa(g.idx) + " " + state.String() + ": " + reason})
	}
}

// failSlow records a failed slow-tier reading. A lost GPU is lost whichever
// tier noticed; any other slow-only failure (one costly call refusing) must
// not flip the pane's health while fast readings succeed, or health would
// flap every second and flood the timeline. It is reported once per reason.
func (s *Sampler) failSlow(g *GPU, err error, at model.Timestamp) {
	var de *DeviceError
	if errors.As(err, &de) && de.State == model.Lost {
		s.fail(g, err, at)
		return
	}
	reason := err.Error()
	g.mu.Lock()
	if g.slowErr != reason {
		g.slowErr, g.slowErrSince, g.slowErrShown = reason, at, false
	}
	// Report only once a fast reading succeeded after this failure began:
	// when every call fails, the fast tier already reports it.
	report := !g.slowErrShown && g.health.State == model.Healthy && g.lastFastAt >= g.slowErrSince
	if report {
		g.slowErrShown = true
	}
	g.mu.Unlock()
	if report {
		s.opts.Logger.Warn("slow-tier reading failed", "gpu", g.idx, "err", err)
		s.Emit(model.Event{Time: at, GPU: model.Some(g.idx), Kind: model.EventHealth, Severity: model.SevWarn,
			Message: "GPU " + strconv.Itoa(g.idx) + " slow-tier readings failing: " + reason})
	}
}

// SlowError is the last slow-tier failure ("" when the last one succeeded).
func (g *GPU) SlowError() string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.slowErr
}

// stalled runs when a GPU's fast reading has been in flight for StaleAfter:
// the GPU is marked stale, so a hung call shows on that pane without stopping
// the others.
func (s *Sampler) stalled(g *GPU) {
	started := g.fastStarted.Load()
	if started == 0 {
		return // the reading finished as the timer fired
	}
	waited := time.Since(time.Unix(0, started))
	g.mu.Lock()
	mark := g.health.State == model.Healthy
	if mark {
		g.health = model.Health{State: model.Stale, Since: model.Now(),
			Reason: "no answer from the driver for " + waited.Truncate(time.Millisecond).String()}
	}
	g.mu.Unlock()
	if mark {
		s.Emit(model.Event{GPU: model.Some(g.idx), Kind: model.EventHealth, Severity: model.SevWarn,
			Message: "GPU " + strconv.Itoa(g.idx) + " readings stalled (a driver call is hanging)"})
	}
	// The clock is stuck in this reading: a new one reads the other GPUs.
	// The watchdog fires once per stuck reading, and a GPU whose reading is
	// in flight is not read again, so at most one stuck clock per GPU.
	s.startClock(false)
}

// GPU is one polled device: immutable identity plus guarded live state.
type GPU struct {
	Info model.GPUInfo
	idx  int

	mu      sync.RWMutex
	fast    *model.SampleRing
	slow    model.SlowSample
	slowH   *model.Ring[model.SlowSample]
	health  model.Health
	slowErr string // last slow-tier failure that did not change health
	// slowErrSince/slowErrShown: when that failure began, and whether it was
	// reported; lastFastAt: the stamp of the newest good fast reading.
	slowErrSince model.Timestamp
	slowErrShown bool
	lastFastAt   model.Timestamp
	late         *model.Ring[int32] // fast-tick lateness in microseconds

	slowTick chan tick // from the clock (Run)

	// reading: a clock is taking this GPU's fast reading; lastTick: the
	// tick of its latest one (only touched by the clock that set reading).
	reading  atomic.Bool
	lastTick time.Time

	fastStarted atomic.Int64 // unix nanos of the fast read in flight, 0 if none
	fastNanos   atomic.Uint64
	fastCount   atomic.Uint64
	slowNanos   atomic.Uint64
	slowCount   atomic.Uint64
	skipped     atomic.Uint64
}

// Latest returns the newest fast sample (ok=false before the first one), the
// newest slow sample and the health.
func (g *GPU) Latest() (fast model.Sample, ok bool, slow model.SlowSample, health model.Health) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	fast, ok = g.fast.Last()
	return fast, ok, g.slow, g.health
}

// History appends the newest n fast samples (oldest first) to dst.
func (g *GPU) History(dst []model.Sample, n int) []model.Sample {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.fast.AppendLast(dst, n)
}

// SlowHistory appends the newest n slow samples (oldest first) to dst.
func (g *GPU) SlowHistory(dst []model.SlowSample, n int) []model.SlowSample {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.slowH.AppendLast(dst, n)
}

// HistoryLen is the number of fast samples held.
func (g *GPU) HistoryLen() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.fast.Len()
}

func (g *GPU) recordLateness(d time.Duration) {
	us := d.Microseconds()
	if us > math.MaxInt32 {
		us = math.MaxInt32
	}
	g.mu.Lock()
	g.late.Push(int32(us))
	g.mu.Unlock()
}

// Stats is the sampler's own cost for one GPU, for the overhead view.
type Stats = model.SamplerStats // defined in model so the UI needs only model

// Stats reports the sampler's cost and timeliness for this GPU.
func (g *GPU) Stats() Stats {
	st := Stats{
		FastReads:    g.fastCount.Load(),
		SlowReads:    g.slowCount.Load(),
		SkippedTicks: g.skipped.Load(),
	}
	if st.FastReads > 0 {
		st.FastMean = time.Duration(g.fastNanos.Load() / st.FastReads)
	}
	if st.SlowReads > 0 {
		st.SlowMean = time.Duration(g.slowNanos.Load() / st.SlowReads)
	}
	g.mu.RLock()
	lat := g.late.AppendLast(make([]int32, 0, g.late.Len()), g.late.Len())
	g.mu.RUnlock()
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pick := func(q float64) time.Duration {
			return time.Duration(lat[int(q*float64(len(lat)-1))]) * time.Microsecond
		}
		st.LateP50, st.LateP99, st.LateMax = pick(0.5), pick(0.99), pick(1)
	}
	return st
}

// Step takes one synchronous reading of every GPU stamped with the given
// time, without the polling goroutines: fast always, slow too when withSlow.
// Tests, golden screens and replay use it to build history deterministically
// (a backend such as the simulated fleet computes its values from the
// sample's time). It must not be used while Run is polling.
func (s *Sampler) Step(now time.Time, withSlow bool) {
	// Health changes and their events carry the step's time too, so a
	// golden screen of a lost GPU does not depend on the wall clock.
	stamp := model.TimestampOf(now)
	var sample model.Sample
	for _, g := range s.gpus {
		if withSlow {
			slow := model.SlowSample{Time: stamp}
			if err := s.backend.ReadSlow(g.idx, &slow); err != nil {
				s.failSlow(g, err, stamp)
			} else {
				s.storeSlow(g, &slow)
			}
		}
		sample = model.Sample{Time: stamp}
		if err := s.backend.ReadFast(g.idx, &sample); err != nil {
			s.fail(g, err, stamp)
			continue
		}
		s.storeFast(g, &sample, stamp)
	}
}

// storeSlow keeps a good slow reading after resolving its processes.
func (s *Sampler) storeSlow(g *GPU, slow *model.SlowSample) {
	if s.opts.ResolveProcesses != nil && len(slow.Processes) > 0 {
		s.opts.ResolveProcesses(slow.Processes)
	}
	g.mu.Lock()
	g.slow = *slow
	g.slowH.Push(*slow)
	g.slowErr = ""
	g.mu.Unlock()
	if s.opts.Detector != nil {
		s.opts.Detector.Slow(g.idx, slow, s.Emit)
	}
}
