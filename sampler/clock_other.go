//go:build !linux

package sampler

import (
	"context"
	"time"
)

func newPacer(ctx context.Context, interval time.Duration) pacer {
	return newTickerPacer(ctx, interval)
}
