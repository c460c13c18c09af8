package sampler_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// slowHangBackend is the fake whose GPU 0 slow readings block until
// release is closed (the fast tier keeps answering).
type slowHangBackend struct {
	*fakeBackend
	release chan struct{}
}

func (b *slowHangBackend) ReadSlow(gpu int, s *model.SlowSample) error {
	if gpu == 0 {
		<-b.release
	}
	return b.fakeBackend.ReadSlow(gpu, s)
}

// drain counts notifications the way the UI takes them, until stop.
func drain(r *running) (count *atomic.Int64, stop func()) {
	count = new(atomic.Int64)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-r.Updates():
				count.Add(1)
			case <-quit:
				return
			}
		}
	}()
	return count, func() { close(quit); <-done }
}

// The readings of one tick, fast and slow, on every GPU, notify the display
// once: the last one stored pokes. Before, every reading poked: 4 GPUs made
// 4-5 notifications (and at 1 s two frames) a tick.
func TestOneNotificationPerTick(t *testing.T) {
	const gpus = 4
	b := newFake(gpus)
	r := startSampler(t, b, sampler.Options{Interval: 20 * time.Millisecond, SlowInterval: 100 * time.Millisecond})
	pokes, stop := drain(r)
	waitFor(t, "40 ticks", func() bool { return b.gpus[gpus-1].fastCalls.Load() >= 40 })
	r.stop(t)
	stop()
	var fast int64
	for _, g := range b.gpus {
		fast += g.fastCalls.Load()
	}
	ticks := fast / gpus
	// A round a busy machine did not finish before the next tick notifies
	// twice; every reading on its own would be > 4 a tick.
	if n := pokes.Load(); n > 2*ticks+2 {
		t.Errorf("%d notifications for %d ticks of %d GPUs (%d fast readings)", n, ticks, gpus, fast)
	}
	if slow := b.gpus[0].slowCalls.Load(); slow < ticks/5-2 || slow > ticks/5+2 {
		t.Errorf("%d slow readings in %d ticks at 5 ticks per slow reading", slow, ticks)
	}
}

// A slow reading that hangs holds neither the other readings nor the
// display: the fast readings of the first tick are shown before the second
// tick (after roundLateAfter), and every later tick notifies.
func TestHungSlowReadingDoesNotHoldTheDisplay(t *testing.T) {
	b := &slowHangBackend{fakeBackend: newFake(2), release: make(chan struct{})}
	r := startSampler(t, b, sampler.Options{Interval: time.Second})
	select {
	case <-r.Updates():
	case <-time.After(20 * time.Second):
		t.Fatal("no notification with a slow reading hanging")
	}
	if n := b.gpus[0].fastCalls.Load(); n != 1 {
		t.Errorf("the first notification came after %d fast readings of GPU 0, want the first tick's", n)
	}
	if _, ok, _, _ := r.GPUs()[1].Latest(); !ok {
		t.Error("GPU 1's first fast reading is not stored")
	}
	close(b.release)
}

// A hung fast reading (GPU 0) does not stop the other GPUs' readings from
// being shown once the watchdog has replaced the clock it holds: every
// tick notifies, GPU 0 is skipped (one stuck reading, not one per tick),
// and the stuck clock stops when its reading returns.
func TestHungFastReadingStillNotifies(t *testing.T) {
	b := newFake(2)
	r := startSampler(t, b, sampler.Options{Interval: 10 * time.Millisecond, StaleAfter: 50 * time.Millisecond})
	waitFor(t, "first reads", func() bool { return b.gpus[1].fastCalls.Load() >= 3 })
	release := b.gpus[0].Hang()
	defer release()
	<-b.gpus[0].blocked
	pokes, stop := drain(r)
	defer stop()
	hung := b.gpus[0].fastCalls.Load()
	before := b.gpus[1].fastCalls.Load()
	waitFor(t, "GPU 1 reads on", func() bool { return b.gpus[1].fastCalls.Load() >= before+10 })
	if n := pokes.Load(); n < 5 {
		t.Errorf("%d notifications while GPU 1 read 10 times beside a hung GPU 0", n)
	}
	if n := b.gpus[0].fastCalls.Load(); n != hung {
		t.Errorf("GPU 0 was read %d more times while its reading hung", n-hung)
	}
	release()
	after := b.gpus[0].fastCalls.Load()
	waitFor(t, "GPU 0 reads again", func() bool { return b.gpus[0].fastCalls.Load() >= after+5 })
	// One clock again: no more than one reading of a GPU per tick (the
	// stuck clock, had it gone on, would read each GPU a second time).
	f1, start := b.gpus[1].fastCalls.Load(), time.Now()
	time.Sleep(300 * time.Millisecond)
	if d1, limit := b.gpus[1].fastCalls.Load()-f1, int64(time.Since(start)/(10*time.Millisecond))+2; d1 > limit {
		t.Errorf("GPU 1 read %d times in %d ticks after the hang: more than one clock", d1, limit-2)

	}
}

// The running sampler's per-tick path (the clock, the rounds, readings
// stored in the rings, notifications) allocates nothing of its own: all
// that is counted is the fake backend's process list, one per slow
// reading. Counted over 100 ticks of 2 GPUs.
func TestRunningSamplerAllocations(t *testing.T) {
	b := newFake(2)
	r := startSampler(t, b, sampler.Options{Interval: 5 * time.Millisecond, SlowInterval: 50 * time.Millisecond})
	_, stop := drain(r)
	defer stop()
	waitFor(t, "warm-up", func() bool { return b.gpus[1].fastCalls.Load() >= 20 })
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f0, s0 := b.gpus[0].fastCalls.Load()+b.gpus[1].fastCalls.Load(), b.gpus[0].slowCalls.Load()+b.gpus[1].slowCalls.Load()
	waitFor(t, "100 ticks", func() bool { return b.gpus[1].fastCalls.Load() >= 120 })
	runtime.ReadMemStats(&m1)
	f1, s1 := b.gpus[0].fastCalls.Load()+b.gpus[1].fastCalls.Load(), b.gpus[0].slowCalls.Load()+b.gpus[1].slowCalls.Load()
	allocs, fast, slow := int64(m1.Mallocs-m0.Mallocs), f1-f0, s1-s0
	// The backend's own: one process list per slow reading; a few spare for
	// the test's goroutines.
	if extra := allocs - slow; extra > 10+fast/20 {
		t.Errorf("%d allocations for %d fast and %d slow readings (%d beyond the fake's process lists)", allocs, fast, slow, extra)
	}
	t.Logf("%d allocations for %d fast and %d slow readings", allocs, fast, slow)
}
