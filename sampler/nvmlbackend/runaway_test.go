package nvmlbackend

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"

	"github.com/gputop/gputop/model"
)

// The 10 ms runaway on two H200s (one thread at ~70 % of a core while the
// overhead view saw nothing) was the Xid watcher asking EventSet.Wait again
// at once whenever it answered at once. NVML documents that Wait may return
// before its timeout (an interrupt answers TIMEOUT), and an answer that
// carries no Xid is no event. Whatever Wait answers, and however fast, the
// watcher must not call it more than about once per timeout.
func TestEventsDoNotSpinOnImmediateAnswers(t *testing.T) {
	const timeout = 20 * time.Millisecond
	const run = 300 * time.Millisecond
	answers := []struct {
		name string
		data nvml.EventData
		ret  nvml.Return
	}{
		{"TIMEOUT at once (interrupted)", nvml.EventData{}, nvml.ERROR_TIMEOUT},
		{"SUCCESS without an Xid", nvml.EventData{EventType: nvml.EventTypeClock}, nvml.SUCCESS},
		{"SUCCESS with no event type", nvml.EventData{}, nvml.SUCCESS},
		{"an error at once", nvml.EventData{}, nvml.ERROR_UNKNOWN},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			srv, _ := newFleet(t)
			var waits atomic.Int64
			set := &mock.EventSet{
				WaitFunc: func(uint32) (nvml.EventData, nvml.Return) {
					waits.Add(1)
					return a.data, a.ret
				},
				FreeFunc: func() nvml.Return { return nvml.SUCCESS },
			}
			srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return set, nvml.SUCCESS }
			b := New(srv, Options{EventTimeout: timeout, CallStats: true})
			if _, _, err := b.Open(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			ctx, cancel := context.WithTimeout(t.Context(), run)
			defer cancel()
			var events atomic.Int64
			start := time.Now()
			_ = b.Events(ctx, func(model.Event) { events.Add(1) })
			took := time.Since(start)
			// One Wait per timeout, plus one for the first and slack for a
			// loaded machine; a spinning loop makes millions.
			if n, limit := waits.Load(), int64(took/timeout)+3; n > limit {
				t.Errorf("%d Wait calls in %v with a %v timeout: the watcher spins (want <= %d)", n, took.Round(time.Millisecond), timeout, limit)
			}
			if events.Load() != 0 {
				t.Errorf("%d events from answers that carry no Xid", events.Load())
			}
			found := false
			for _, c := range b.CallStats() {
				if c.Name == "EventSet.Wait" {
					found = c.Count == uint64(waits.Load())
				}
			}
			if !found {
				t.Errorf("CallStats lacks EventSet.Wait with %d calls: %+v", waits.Load(), b.CallStats())
			}
		})
	}
}

// An Xid storm (Wait answering an Xid at once, every time) is delivered in
// bursts of maxXidBurst per timeout, not as fast as the driver answers.
func TestEventsBoundAnXidStorm(t *testing.T) {
	const timeout = 20 * time.Millisecond
	srv, devs := newFleet(t)
	var waits atomic.Int64
	set := &mock.EventSet{
		WaitFunc: func(uint32) (nvml.EventData, nvml.Return) {
			waits.Add(1)
			return nvml.EventData{Device: devs[0], EventType: nvml.EventTypeXidCriticalError, EventData: 13}, nvml.SUCCESS
		},
		FreeFunc: func() nvml.Return { return nvml.SUCCESS },
	}
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return set, nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: timeout})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	var events atomic.Int64
	start := time.Now()
	_ = b.Events(ctx, func(ev model.Event) {
		if ev.Kind != model.EventXid || ev.Xid != model.Some(13) || ev.GPU != model.Some(0) {
			t.Errorf("event %+v", ev)
		}
		events.Add(1)
	})
	took := time.Since(start)
	limit := (int64(took/timeout) + 2) * maxXidBurst
	if n := events.Load(); n == 0 || n > limit {
		t.Errorf("%d Xid events in %v: want 1..%d", n, took.Round(time.Millisecond), limit)
	}
	if waits.Load() != events.Load() {
		t.Errorf("%d waits for %d events", waits.Load(), events.Load())
	}
}

func TestWaitPacer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := &waitPacer{timeout: 100 * time.Millisecond, start: t0, window: t0}
	// A timeout that took its time: no sleep.
	if d := p.next(t0.Add(100*time.Millisecond), false); d != 0 {
		t.Errorf("after a full wait: sleep %v", d)
	}
	// An answer after 10 ms: sleep the other 90.
	if d := p.next(t0.Add(110*time.Millisecond), false); d != 90*time.Millisecond {
		t.Errorf("after an early answer: sleep %v, want 90ms", d)
	}
	// Xid events pass at once up to the burst, then wait for the window.
	now := t0.Add(time.Second)
	p = &waitPacer{timeout: 100 * time.Millisecond, start: now, window: now}
	for i := range maxXidBurst {
		if d := p.next(now, true); d != 0 {
			t.Fatalf("Xid %d: sleep %v", i, d)
		}
	}
	if d := p.next(now, true); d != 100*time.Millisecond {
		t.Errorf("Xid past the burst: sleep %v, want 100ms", d)
	}
}
