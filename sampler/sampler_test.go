package sampler_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/sim"
)

// Every test must leave no goroutine behind (a hung backend call that a test
// releases late is the exception, and that test checks itself).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

func TestTieredPolling(t *testing.T) {
	b := newFake(3)
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond, SlowInterval: 300 * time.Millisecond})
	for _, g := range r.GPUs() {
		waitFor(t, "fast and slow samples", func() bool {
			return g.HistoryLen() >= 40 && len(g.SlowHistory(nil, 100)) >= 2
		})
	}
	r.stop(t) // compare histories that no longer move
	for i, g := range r.GPUs() {
		fast := g.History(nil, 1000)
		slow := g.SlowHistory(nil, 1000)
		if len(slow) >= len(fast) {
			t.Errorf("GPU %d: %d slow samples for %d fast ones; the slow tier should run less often", i, len(slow), len(fast))
		}
		for j := 1; j < len(fast); j++ {
			if fast[j].Time <= fast[j-1].Time {
				t.Fatalf("GPU %d: fast history not in time order at %d", i, j)
			}
		}
		for _, s := range fast {
			if s.UtilGPU != model.Some(uint32(10*i)) {
				t.Fatalf("GPU %d: a fast sample of another GPU: %+v", i, s)
			}
		}
		last := slow[len(slow)-1]
		if last.PCIeGen != model.Some(4) || len(last.Processes) != 1 || last.Processes[0].GPUIndex != i {
			t.Errorf("GPU %d: slow sample %+v", i, last)
		}
		if _, ok, latestSlow, h := g.Latest(); !ok || h.State != model.Healthy || !reflect.DeepEqual(latestSlow.PCIeGen, last.PCIeGen) {
			t.Errorf("GPU %d: Latest ok=%v health=%v", i, ok, h)
		}
		st := g.Stats()
		if st.FastReads < uint64(len(fast)) || st.SlowReads < uint64(len(slow)) {
			t.Errorf("GPU %d: stats count %d/%d reads for %d/%d samples", i, st.FastReads, st.SlowReads, len(fast), len(slow))
		}
	}
}

func TestHungGPUIsMarkedStaleOthersContinue(t *testing.T) {
	b := newFake(2)
	release := b.gpus[1].Hang()
	defer release()
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond, StaleAfter: 50 * time.Millisecond})
	hung, other := r.GPUs()[1], r.GPUs()[0]

	waitFor(t, "GPU 1 stale", func() bool { return health(hung).State == model.Stale })
	if h := health(hung); !strings.Contains(h.Reason, "no answer") {
		t.Errorf("stale reason %q", h.Reason)
	}
	if evs := eventsFor(r.Sampler, 1, model.EventHealth); len(evs) != 1 || evs[0].Severity != model.SevWarn {
		t.Errorf("stale events %+v, want one warning", evs)
	}
	// While GPU 1 hangs, GPU 0 keeps being sampled.
	before := other.HistoryLen()
	waitFor(t, "GPU 0 samples while GPU 1 hangs", func() bool { return other.HistoryLen() >= before+20 })
	if h := health(hung); h.State != model.Stale || hung.HistoryLen() != 0 {
		t.Errorf("GPU 1 while hung: %v with %d samples", h, hung.HistoryLen())
	}
	if h := health(other); h.State != model.Healthy {
		t.Errorf("GPU 0 health %v", h)
	}

	release()
	waitFor(t, "GPU 1 recovers", func() bool { return health(hung).State == model.Healthy && hung.HistoryLen() > 0 })
	// The recovery is emitted just after the health changes (storeFast):
	// wait for it rather than race it.
	waitFor(t, "the recovery event", func() bool { return len(eventsFor(r.Sampler, 1, model.EventHealth)) >= 2 })
	evs := eventsFor(r.Sampler, 1, model.EventHealth)
	if len(evs) != 2 || !strings.Contains(evs[1].Message, "recovered") {
		t.Errorf("events after recovery %+v, want stale then recovered", evs)
	}
}

func TestFailedGPUShowsStateThenRecovers(t *testing.T) {
	cause := errors.New("fell off the bus")
	tests := []struct {
		name       string
		err        error
		want       model.HealthState
		wantReason string
	}{
		{"lost", &sampler.DeviceError{GPU: 0, Code: "GPU_IS_LOST", State: model.Lost, Err: cause}, model.Lost, "GPU_IS_LOST: fell off the bus"},
		{"lost without a cause", &sampler.DeviceError{GPU: 0, Code: "GPU_IS_LOST", State: model.Lost}, model.Lost, "GPU_IS_LOST"},
		{"wrapped reset required", fmtWrap(&sampler.DeviceError{GPU: 0, Code: "RESET_REQUIRED", State: model.Failed, Err: cause}),
			model.Failed, "RESET_REQUIRED: fell off the bus"},
		{"unclassified", cause, model.Failed, "fell off the bus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newFake(2)
			r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond, SlowInterval: 20 * time.Millisecond})
			g := r.GPUs()[0]
			waitFor(t, "first samples", func() bool { return g.HistoryLen() > 0 })

			b.gpus[0].Fail(tt.err)
			waitFor(t, "failure shown", func() bool { return health(g).State == tt.want })
			if h := health(g); h.Reason != tt.wantReason {
				t.Errorf("reason %q, want %q", h.Reason, tt.wantReason)
			}
			// Many failed reads later there is still exactly one event.
			calls := b.gpus[0].fastCalls.Load()
			waitFor(t, "more failed reads", func() bool { return b.gpus[0].fastCalls.Load() >= calls+10 })
			evs := eventsFor(r.Sampler, 0, model.EventHealth)
			if len(evs) != 1 || evs[0].Severity != model.SevError || !strings.Contains(evs[0].Message, tt.want.String()) {
				t.Fatalf("events while failing %+v, want one error naming %q", evs, tt.want)
			}
			if h := health(r.GPUs()[1]); h.State != model.Healthy {
				t.Errorf("the other GPU is %v", h)
			}

			b.gpus[0].Fail(nil)
			waitFor(t, "recovery", func() bool { return health(g).State == model.Healthy })
			if evs := eventsFor(r.Sampler, 0, model.EventHealth); len(evs) != 2 || evs[1].Severity != model.SevInfo {
				t.Errorf("events after recovery %+v", evs)
			}
		})
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "read GPU 0: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func fmtWrap(err error) error { return wrapped{err} }

func TestNotSupportedStaysUnavailable(t *testing.T) {
	b := newFake(1)
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond, SlowInterval: 10 * time.Millisecond})
	g := r.GPUs()[0]
	waitFor(t, "samples", func() bool { return g.HistoryLen() >= 5 && len(g.SlowHistory(nil, 10)) >= 2 })
	r.stop(t)

	fast := g.History(nil, 100)
	for i, s := range fast {
		if s.FanPercent.OK || s.TempMem.OK {
			t.Errorf("sample %d: fan %v, memory temperature %v; want unavailable", i, s.FanPercent, s.TempMem)
		}
		if s.ClockMem.OK != (s.MemUsed.V == 1) {
			t.Errorf("sample %d (read %d): memory clock %v leaked from the first read", i, s.MemUsed.V, s.ClockMem)
		}
	}
	latest, _, slow, _ := g.Latest()
	js, err := json.Marshal(latest)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"fan_pct":null`, `"temp_mem":null`, `"clock_mem_mhz":null`} {
		if !strings.Contains(string(js), field) {
			t.Errorf("JSON lacks %s: %s", field, js)
		}
	}
	if slow.PCIeReplays.OK {
		t.Errorf("PCIe replays %v, want unavailable", slow.PCIeReplays)
	}
	if js, _ := json.Marshal(slow); !strings.Contains(string(js), `"pcie_replays":null`) {
		t.Errorf("slow JSON: %s", js)
	}
}

func TestRunStopsCleanly(t *testing.T) {
	defer goleak.VerifyNone(t)
	b := &fakeWithEvents{fakeBackend: newFake(4)}
	s, err := sampler.Open(context.Background(), b, sampler.Options{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "samples", func() bool { return s.GPUs()[3].HistoryLen() >= 3 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err := s.Run(context.Background()); err == nil {
		t.Error("a second Run should be refused")
	}
}

func TestRunReturnsWhenBackendStuck(t *testing.T) {
	b := newFake(2)
	var releases []func()
	for _, g := range b.gpus {
		releases = append(releases, g.Hang())
	}
	s, err := sampler.Open(context.Background(), b, sampler.Options{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	for _, g := range b.gpus {
		<-g.blocked // each GPU's reads are stuck in the backend
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return while the backend is stuck")
	}
	// The stuck calls return later; then their goroutines must exit too.
	for _, release := range releases {
		release()
	}
	goleak.VerifyNone(t)
}

func TestUpdatesLatestWins(t *testing.T) {
	b := newFake(2)
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond})
	updates := r.Updates()
	if cap(updates) != 1 {
		t.Fatalf("Updates capacity %d, want 1", cap(updates))
	}
	// Nobody reads: sampling carries on regardless.
	for _, g := range r.GPUs() {
		waitFor(t, "sampling with no reader", func() bool { return g.HistoryLen() >= 50 })
	}
	if len(updates) != 1 {
		t.Errorf("%d pending notifications, want exactly one", len(updates))
	}
	<-updates
	select {
	case <-updates: // the next sample notifies again
	case <-time.After(20 * time.Second):
		t.Fatal("no notification after draining")
	}
}

// stepAll builds a history through Step at fixed times.
func stepAll(t *testing.T, b sampler.Backend, opts sampler.Options, n int) *sampler.Sampler {
	t.Helper()
	s, err := sampler.Open(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s.Step(epoch.Add(time.Duration(i)*100*time.Millisecond), i%10 == 0)
	}
	return s
}

func TestStepBuildsDeterministicHistory(t *testing.T) {
	build := func(seed int64) *sampler.Sampler {
		return stepAll(t, sim.New(sim.Options{GPUs: 8, Seed: seed, Start: epoch}), sampler.Options{}, 300)
	}
	a, b, c := build(1), build(1), build(2)
	for i := range a.GPUs() {
		ha, hb := a.GPUs()[i].History(nil, 1000), b.GPUs()[i].History(nil, 1000)
		if len(ha) != 300 || !reflect.DeepEqual(ha, hb) {
			t.Fatalf("GPU %d: histories of the same seed differ (%d vs %d samples)", i, len(ha), len(hb))
		}
		for j, s := range ha {
			if want := model.TimestampOf(epoch.Add(time.Duration(j) * 100 * time.Millisecond)); s.Time != want {
				t.Fatalf("GPU %d sample %d stamped %v, want %v", i, j, s.Time.Time(), want.Time())
			}
		}
		sa, sb := a.GPUs()[i].SlowHistory(nil, 100), b.GPUs()[i].SlowHistory(nil, 100)
		if len(sa) != 30 || !reflect.DeepEqual(sa, sb) {
			t.Fatalf("GPU %d: slow histories differ (%d vs %d)", i, len(sa), len(sb))
		}
	}
	if reflect.DeepEqual(a.GPUs()[0].History(nil, 1000), c.GPUs()[0].History(nil, 1000)) {
		t.Error("different seeds built identical histories")
	}
}

func TestStepShowsLostAndRecovery(t *testing.T) {
	fleet := sim.New(sim.Options{GPUs: 2, Start: epoch,
		Faults: []sim.Fault{{GPU: 1, Kind: sim.FaultLost, At: 2 * time.Second, For: time.Second}}})
	s, err := sampler.Open(context.Background(), fleet, sampler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want model.HealthState
	}{{time.Second, model.Healthy}, {2500 * time.Millisecond, model.Lost}, {3500 * time.Millisecond, model.Healthy}}
	for _, tt := range tests {
		s.Step(epoch.Add(tt.at), true)
		if h := health(s.GPUs()[1]); h.State != tt.want {
			t.Errorf("at %v GPU 1 is %v, want %v", tt.at, h, tt.want)
		}
		if h := health(s.GPUs()[0]); h.State != model.Healthy {
			t.Errorf("at %v GPU 0 is %v", tt.at, h)
		}
	}
	// Health changes are dated by the step, not the wall clock.
	evs := eventsFor(s, 1, model.EventHealth)
	if len(evs) != 2 || evs[0].Time != model.TimestampOf(epoch.Add(2500*time.Millisecond)) ||
		evs[1].Time != model.TimestampOf(epoch.Add(3500*time.Millisecond)) {
		t.Errorf("health events %+v, want lost at +2.5 s then recovered at +3.5 s", evs)
	}
	if h := health(s.GPUs()[1]); h.Since != model.TimestampOf(epoch.Add(3500*time.Millisecond)) {
		t.Errorf("healthy since %v, want the step's time", h.Since.Time())
	}
	if n := s.GPUs()[1].HistoryLen(); n != 2 {
		t.Errorf("GPU 1 kept %d samples, want the 2 good ones", n)
	}
}

func TestRingCapacity(t *testing.T) {
	tests := []struct {
		name string
		opts sampler.Options
		want int
	}{
		{"defaults: 120 s at 100 ms", sampler.Options{}, 1201},
		{"1 s at 100 ms", sampler.Options{History: time.Second, Interval: 100 * time.Millisecond}, 11},
		{"interval below the minimum is raised to 10 ms", sampler.Options{History: time.Second, Interval: time.Millisecond}, 101},
		{"at least two samples", sampler.Options{History: time.Millisecond, Interval: 100 * time.Millisecond}, 2},
		{"capped", sampler.Options{History: 24 * time.Hour, Interval: 10 * time.Millisecond}, 12000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opts.RingCapacity(); got != tt.want {
				t.Fatalf("RingCapacity = %d, want %d", got, tt.want)
			}
			s := stepAll(t, newFake(1), tt.opts, tt.want+5)
			g := s.GPUs()[0]
			if g.HistoryLen() != tt.want {
				t.Errorf("history holds %d after %d steps, want %d", g.HistoryLen(), tt.want+5, tt.want)
			}
			h := g.History(nil, tt.want)
			if first := h[0].Time; first != model.TimestampOf(epoch.Add(500*time.Millisecond)) {
				t.Errorf("oldest kept sample at %v, want the 6th", first.Time())
			}
		})
	}
}

func TestStatsAfterAStall(t *testing.T) {
	b := newFake(1)
	const interval = 10 * time.Millisecond
	began := time.Now()
	r := startSampler(t, b, sampler.Options{Interval: interval, StaleAfter: 60 * time.Millisecond})
	g := r.GPUs()[0]
	waitFor(t, "first reads", func() bool { return g.Stats().FastReads >= 5 })

	// One read stalls for at least StaleAfter (the watchdog says so).
	release := b.gpus[0].Hang()
	waitFor(t, "stall detected", func() bool { return health(g).State == model.Stale })
	release()
	reads := g.Stats().FastReads
	waitFor(t, "reads after the stall", func() bool { return g.Stats().FastReads >= reads+5 })
	r.stop(t)
	elapsed := time.Since(began)

	st := g.Stats()
	// The stalled reading's clock was replaced; the new clock skipped the
	// GPU while its reading hung: at least StaleAfter/interval - 1 ticks
	// (less one for a tick the machine was late for).
	if st.SkippedTicks < 4 {
		t.Errorf("%d skipped ticks after a stall of 6 intervals: %+v", st.SkippedTicks, st)
	}
	if bound := uint64(elapsed/interval) + 2; st.SkippedTicks+st.FastReads > bound {
		t.Errorf("%d reads + %d skipped ticks in %v: more ticks than time allows", st.FastReads, st.SkippedTicks, elapsed)
	}
	if st.LateP50 < 0 || st.LateP50 > st.LateP99 || st.LateP99 > st.LateMax {
		t.Errorf("lateness percentiles out of order: %+v", st)
	}
	if st.FastMean <= 0 {
		t.Errorf("fast mean %v", st.FastMean)
	}
}

func TestBackendEventsReachTheTimeline(t *testing.T) {
	xid := model.Event{Time: model.TimestampOf(epoch), GPU: model.Some(0), Kind: model.EventXid,
		Severity: model.SevWarn, Xid: model.Some(31), Message: "Xid 31"}
	b := &fakeWithEvents{fakeBackend: newFake(1), events: []model.Event{xid}, err: errors.New("event set: not supported")}
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond})
	waitFor(t, "two events", func() bool { return r.EventCount() >= 2 })
	evs := r.Events(nil, 10)
	if !reflect.DeepEqual(evs[0], xid) {
		t.Errorf("first event %+v, want the Xid", evs[0])
	}
	if evs[1].Kind != model.EventInfo || !strings.Contains(evs[1].Message, "not supported") || evs[1].Time == 0 {
		t.Errorf("second event %+v, want the event source's failure", evs[1])
	}
}

type countingDetector struct{ fast, slow atomic.Int64 }

func (d *countingDetector) Fast(gpu int, s *model.Sample, emit func(model.Event)) {
	if d.fast.Add(1) == 1 {
		emit(model.Event{GPU: model.Some(gpu), Kind: model.EventThrottle, Message: "first fast"})
	}
}

func (d *countingDetector) Slow(int, *model.SlowSample, func(model.Event)) { d.slow.Add(1) }

func TestDetectorAndResolverSeeEverySample(t *testing.T) {
	det := &countingDetector{}
	resolve := func(ps []model.Process) {
		for i := range ps {
			ps[i].Resolved, ps[i].Name = true, "resolved"
		}
	}
	b := newFake(2)
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond, SlowInterval: 20 * time.Millisecond,
		Detector: det, ResolveProcesses: resolve})
	waitFor(t, "slow samples", func() bool { return len(r.GPUs()[1].SlowHistory(nil, 10)) >= 2 })
	r.stop(t)
	var fast, slow int64
	for _, g := range r.GPUs() {
		fast += int64(g.HistoryLen())
		slow += int64(len(g.SlowHistory(nil, 1000)))
		_, _, s, _ := g.Latest()
		if len(s.Processes) != 1 || !s.Processes[0].Resolved || s.Processes[0].Name != "resolved" {
			t.Errorf("processes %+v, want resolved", s.Processes)
		}
	}
	if det.fast.Load() != fast || det.slow.Load() != slow {
		t.Errorf("detector saw %d/%d samples, histories hold %d/%d", det.fast.Load(), det.slow.Load(), fast, slow)
	}
	if evs := eventsFor(r.Sampler, 0, model.EventThrottle); len(evs)+len(eventsFor(r.Sampler, 1, model.EventThrottle)) != 1 {
		t.Errorf("detector's event not on the timeline")
	}
}

func TestSimulatedFleetEndToEnd(t *testing.T) {
	fleet := sim.New(sim.Options{GPUs: 16, Seed: 1,
		Faults: []sim.Fault{{GPU: 9, Kind: sim.FaultLost}}})
	defer func() { _ = fleet.Close() }()
	r := startSampler(t, fleet, sampler.Options{Interval: 10 * time.Millisecond, SlowInterval: 20 * time.Millisecond})
	for i, g := range r.GPUs() {
		if i == 9 {
			waitFor(t, "GPU 9 lost", func() bool { return health(g).State == model.Lost })
			continue
		}
		waitFor(t, "samples of every GPU", func() bool { return g.HistoryLen() >= 3 })
	}
	r.stop(t)
	if h := health(r.GPUs()[9]); !strings.HasPrefix(h.Reason, "GPU_IS_LOST") {
		t.Errorf("lost reason %q", h.Reason)
	}
	t4, _, t4slow, _ := r.GPUs()[6].Latest()
	if t4.FanPercent.OK || !t4.PowerDraw.OK {
		t.Errorf("T4 end to end: fan %v power %v", t4.FanPercent, t4.PowerDraw)
	}
	if !t4slow.Persistence.OK || t4slow.Persistence.V {
		t.Errorf("T4 persistence %v, want reported off", t4slow.Persistence)
	}
}

// A slow-tier call that keeps failing while fast readings succeed must not
// flip the GPU's health (which would flood the timeline every second); it is
// reported once.
func TestSlowOnlyFailureDoesNotFlapHealth(t *testing.T) {
	fb := newFake(1)
	fb.gpus[0].slowErr = errors.New("PCIe throughput: UNKNOWN")
	s, err := sampler.Open(context.Background(), fb, sampler.Options{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1000, 0)
	for i := 0; i < 5; i++ {
		s.Step(start.Add(time.Duration(i)*time.Second), true)
	}
	if _, _, _, h := s.GPUs()[0].Latest(); h.State != model.Healthy {
		t.Fatalf("health = %v (%s), want healthy: only the slow tier failed", h.State, h.Reason)
	}
	if got := s.GPUs()[0].SlowError(); !strings.Contains(got, "UNKNOWN") {
		t.Fatalf("SlowError = %q", got)
	}
	var n int
	for _, ev := range s.Events(nil, 100) {
		if strings.Contains(ev.Message, "slow-tier") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("slow-tier failure reported %d times, want once", n)
	}
}
