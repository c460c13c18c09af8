package sampler_test

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// h200Backend answers like NVML on an H200 does when spaced out: a fast
// reading takes ~100 µs of wall time, now and then one waits ~25 ms behind
// another GPU's PCIe throughput call (NVML serialises calls), and a slow
// reading takes 25 ms (45 ms with the PCIe throughput pair).
type h200Backend struct {
	gpus      int
	fast      []atomic.Int64
	slow      []atomic.Int64
	eventsRan atomic.Bool
}

func (b *h200Backend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	infos := make([]model.GPUInfo, b.gpus)
	for i := range infos {
		infos[i] = model.GPUInfo{Index: i, Name: "NVIDIA H200 (simulated timing)"}
	}
	return model.System{Source: "soak"}, infos, nil
}

func (b *h200Backend) ReadFast(gpu int, s *model.Sample) error {
	n := b.fast[gpu].Add(1)
	d := 100 * time.Microsecond
	if n%37 == 0 {
		d = 25 * time.Millisecond // queued behind a PCIe throughput call
	}
	time.Sleep(d)
	s.UtilGPU.Set(0)
	return nil
}

func (b *h200Backend) ReadSlow(gpu int, s *model.SlowSample) error {
	n := b.slow[gpu].Add(1)
	d := 25 * time.Millisecond
	if n%5 == 1 {
		d = 45 * time.Millisecond
	}
	time.Sleep(d)
	return nil
}

func (b *h200Backend) Close() error { return nil }

// Events behaves: it blocks until the sampler stops.
func (b *h200Backend) Events(ctx context.Context, _ func(model.Event)) error {
	b.eventsRan.Store(true)
	<-ctx.Done()
	return nil
}

func rusage(t *testing.T) syscall.Rusage {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru
}

func cpuOf(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSoakBoundedTicks runs the sampler at its shortest interval on two GPUs
// whose calls take as long as an H200's, and checks that the work and the
// wake-ups stay proportional to the ticks asked for: no catch-up bursts after
// a slow call, no timer storm, no loop that spins. A regression guard for
// the 10 ms runaway (a whole core burnt while the overhead view saw nothing).
func TestSoakBoundedTicks(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	const (
		gpus     = 2
		interval = sampler.MinInterval
		soak     = 1500 * time.Millisecond
	)
	b := &h200Backend{gpus: gpus, fast: make([]atomic.Int64, gpus), slow: make([]atomic.Int64, gpus)}
	r := startSampler(t, b, sampler.Options{Interval: interval})
	// Drain notifications as the UI would, counting them.
	pokes, stopDrain := drain(r)
	time.Sleep(200 * time.Millisecond) // start-up
	ru0, f0, s0, p0 := rusage(t), sum(b.fast), sum(b.slow), pokes.Load()
	start := time.Now()
	time.Sleep(soak)
	ru1, f1, s1, p1 := rusage(t), sum(b.fast), sum(b.slow), pokes.Load()
	wall := time.Since(start)
	r.stop(t)
	stopDrain()

	ticks := int64(wall/interval) + 2
	fast, slow := f1-f0, s1-s0
	if fast > gpus*ticks {
		t.Errorf("%d fast reads of %d GPUs in %v at %v: more than one per tick", fast, gpus, wall, interval)
	}
	// A loaded machine may skip ticks; it must not lose most of them.
	if fast < gpus*ticks/4 {
		t.Errorf("only %d fast reads of %d GPUs in %v at %v", fast, gpus, wall, interval)
	}
	if maxSlow := gpus * (int64(wall/time.Second) + 2); slow > maxSlow {
		t.Errorf("%d slow reads in %v: want <= %d", slow, wall, maxSlow)
	}
	if pokes := p1 - p0; pokes > fast+slow+10 {
		t.Errorf("%d notifications for %d readings", pokes, fast+slow)
	}
	// The sampler's own CPU: a few µs per reading; a spinning loop costs a
	// core. The bound is generous for -race and a loaded machine.
	cpu := cpuOf(ru1) - cpuOf(ru0)
	if share := float64(cpu) / float64(wall); share > 0.30 {
		t.Errorf("the sampler used %.0f %% of a core for %d readings in %v", 100*share, fast+slow, wall)
	}
	// Wake-ups: every reading is a wake-up (and a sleep inside the fake
	// backend), plus the notification; a timer storm makes many more.
	if csw, limit := ru1.Nvcsw-ru0.Nvcsw, 8*(fast+slow)+200; csw > limit {
		t.Errorf("%d voluntary context switches for %d readings (limit %d)", csw, fast+slow, limit)
	}
	if !b.eventsRan.Load() {
		t.Error("the event source never ran")
	}
	t.Logf("%v: %d fast, %d slow reads, %d notifications, CPU %v, %d voluntary switches",
		wall.Round(time.Millisecond), fast, slow, p1-p0, cpu, ru1.Nvcsw-ru0.Nvcsw)
}

func sum(a []atomic.Int64) int64 {
	var n int64
	for i := range a {
		n += a[i].Load()
	}
	return n
}

// With nothing hanging, a 1 s sampler makes no wake-ups between its ticks:
// no watchdog ticking, no timers. Counted as voluntary context switches of
// the test process over 3 s with 2 GPUs (ticks: 3 fast + 3 slow per GPU).
func TestIdleSamplerWakesOnlyForTicks(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	f, csw, _ := quietWakeUps(t, time.Second, 3*time.Second)
	// 12 readings in 3 s; each wakes a goroutine (and maybe sysmon and
	// the UI stand-in). The periodic watchdog alone made 12 more wake-ups
	// a second.
	if f > 8 || csw > 45 {
		t.Errorf("3 s at 1 s on 2 GPUs: %d fast reads, %d voluntary context switches (want <= 45)", f, csw)
	}
	t.Logf("3 s at 1 s on 2 GPUs: %d fast reads, %d voluntary context switches", f, csw)
}

// quietWakeUps runs a sampler at interval on 2 GPUs of the free fake, with
// a drain as the UI's stand-in, and after 300 ms counts over span the fast
// readings of both GPUs and the test process's voluntary context switches.
func quietWakeUps(t *testing.T, interval, span time.Duration) (fast, csw int64, wall time.Duration) {
	t.Helper()
	b := newFake(2)
	r := startSampler(t, b, sampler.Options{Interval: interval})
	_, stop := drain(r)
	defer stop()
	reads := func() int64 { return b.gpus[0].fastCalls.Load() + b.gpus[1].fastCalls.Load() }
	time.Sleep(300 * time.Millisecond)
	ru0, f0 := rusage(t), reads()
	start := time.Now()
	time.Sleep(span)
	ru1, f1 := rusage(t), reads()
	return f1 - f0, ru1.Nvcsw - ru0.Nvcsw, time.Since(start)
}

// At the shortest interval with readings that cost nothing, a tick is
// about one wake-up of the process: the clock's. Counted as voluntary
// context switches of the test process over 2 s on 2 GPUs. A Ticker clock
// with a per-GPU goroutine and a watchdog timer armed for every reading
// made 4.3 a tick here (the poller woke at the whole millisecond and again
// for the rest, a thread was woken to hand a reading to, and arming the
// watchdog woke the poller); the timerfd clock with one watchdog pushed
// ahead makes 2.6, the drain's wake-up included.
func TestTickWakeUps(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	fast, csw, wall := quietWakeUps(t, sampler.MinInterval, 2*time.Second)
	ticks := fast / 2 // a tick reads both GPUs
	t.Logf("%v at %v on 2 GPUs: %d ticks, %d voluntary context switches (%.1f a tick)",
		wall.Round(time.Millisecond), sampler.MinInterval, ticks, csw, float64(csw)/float64(max(ticks, 1)))
	if ticks < int64(wall/sampler.MinInterval)/2 {
		t.Fatalf("only %d ticks in %v", ticks, wall)
	}
	// The drain goroutine (the UI's stand-in) takes a notification a tick.
	if limit := 3*ticks + 60; csw > limit {
		t.Errorf("%d voluntary context switches for %d ticks (limit %d)", csw, ticks, limit)
	}
}
