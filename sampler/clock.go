package sampler

import (
	"context"
	"time"
)

// pacer wakes a clock once per interval. wait blocks until the next tick
// and returns when it was due (not when the wait returned: the difference
// is the tick's lateness) and false once ctx is done or the pacer stopped.
// Ticks the clock was too busy to take are dropped, so a due time may be
// several intervals after the previous one.
type pacer interface {
	wait() (due time.Time, ok bool)
	stop()
}

// tickerPacer is the portable pacer: a time.Ticker. The Go runtime sleeps
// for a timer in its network poller with millisecond timeouts, so each
// tick wakes the process twice (at the whole milliseconds, then for the
// rest) and often hands the goroutine to another thread.
type tickerPacer struct {
	ctx context.Context
	t   *time.Ticker
}

func newTickerPacer(ctx context.Context, interval time.Duration) *tickerPacer {
	return &tickerPacer{ctx: ctx, t: time.NewTicker(interval)}
}

func (p *tickerPacer) wait() (time.Time, bool) {
	select {
	case <-p.ctx.Done():
		return time.Time{}, false
	case at := <-p.t.C:
		return at, true
	}
}

func (p *tickerPacer) stop() { p.t.Stop() }
