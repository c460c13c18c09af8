package sampler

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// Both pacers: due times on the interval's grid, a busy clock's missed
// ticks dropped (the next due time jumps past them, never a burst of
// catch-up ticks), and a wait ends when the context does.
func TestPacers(t *testing.T) {
	const interval = 20 * time.Millisecond
	pacers := map[string]func(context.Context) pacer{
		"default": func(ctx context.Context) pacer { return newPacer(ctx, interval) },
		"ticker":  func(ctx context.Context) pacer { return newTickerPacer(ctx, interval) },
	}
	for name, mk := range pacers {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			begin := time.Now()
			p := mk(ctx)
			defer p.stop()
			first, ok := p.wait()
			if !ok {
				t.Fatal("first wait failed")
			}
			if d := first.Sub(begin); d < interval-2*time.Millisecond || d > interval+5*time.Millisecond {
				t.Errorf("first tick due %v after the start, want about %v", d, interval)
			}
			if late := time.Since(first); late < 0 {
				t.Errorf("tick due %v in the future", -late)
			}
			next, _ := p.wait()
			if d := next.Sub(first); d < interval-2*time.Millisecond || d > 2*interval+5*time.Millisecond {
				t.Errorf("ticks %v apart, want %v", d, interval)
			}
			// Busy for 5 intervals: the ticks missed are dropped, not
			// delivered in a burst. The timerfd's next due time is after
			// the gap; a Ticker first delivers the one tick its channel
			// kept (dated before the gap), then the gap shows.
			time.Sleep(5*interval + interval/2)
			before := time.Now()
			after, _ := p.wait()
			if w := time.Since(before); w > interval {
				t.Errorf("the tick that fell due while busy took %v to arrive", w)
			}
			if _, fd := p.(*timerfdPacer); fd && after.Sub(next) < 4*interval {
				t.Errorf("after 5 busy intervals the next tick is due %v after the last", after.Sub(next))
			}
			again, _ := p.wait()
			if gap := again.Sub(next); gap < 5*interval {
				t.Errorf("two ticks after 5 busy intervals are due %v after the last: catch-up ticks", gap)
			}
			if d := again.Sub(after); d < interval/2 {
				t.Errorf("ticks %v apart after the gap: a catch-up burst", d)
			}
			// Cancelling the context ends a pending wait.
			done := make(chan bool)
			go func() { _, ok := p.wait(); done <- ok }()
			runtime.Gosched()
			cancel()
			select {
			case ok := <-done:
				if ok {
					// A tick may have won the race; the next wait must fail.
					if _, ok := p.wait(); ok {
						t.Error("wait succeeds after the context ended")
					}
				}
			case <-time.After(time.Second):
				t.Fatal("wait did not end with the context")
			}
		})
	}
}

// The Linux pacer is the timerfd, not a silent fall-back to the ticker.
func TestDefaultPacerIsTimerfdOnLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("timerfd is Linux only")
	}
	p := newPacer(context.Background(), time.Second)
	defer p.stop()
	if _, ok := p.(*timerfdPacer); !ok {
		t.Errorf("pacer %T, want the timerfd", p)
	}
}
