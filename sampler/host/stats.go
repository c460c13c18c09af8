package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
)

// Stats is one reading of the host strip.
type Stats = model.HostStats // defined in model so the UI needs only model

// Sampler reads the host strip. Each Read costs a few small /proc reads
// (stat, loadavg, meminfo, vmstat), cheap enough for once a second. It is
// safe for concurrent use.
type Sampler struct {
	ctx context.Context
	now func() time.Time

	mu       sync.Mutex
	prevBusy float64
	prevAll  float64
	havePrev bool
}

// NewSampler reads the host's /proc ($HOST_PROC if set).
func NewSampler() *Sampler { return NewSamplerAt("", time.Now) }

// NewSamplerAt reads the /proc tree at procRoot ("" = default) with the
// given clock; tests point it at a fake tree.
func NewSamplerAt(procRoot string, now func() time.Time) *Sampler {
	ctx := context.Background()
	if procRoot != "" {
		ctx = context.WithValue(ctx, common.EnvKey, common.EnvMap{common.HostProcEnvKey: procRoot})
	}
	if now == nil {
		now = time.Now
	}
	return &Sampler{ctx: ctx, now: now}
}

// Read takes one reading. Parts that could not be read stay unavailable and
// are named in the returned error; the rest of the reading is still valid.
func (s *Sampler) Read() (Stats, error) {
	st := Stats{Time: model.TimestampOf(s.now())}
	var errs []error

	if t, err := cpu.TimesWithContext(s.ctx, false); err != nil || len(t) == 0 {
		errs = append(errs, fmt.Errorf("cpu times: %w", orEmpty(err)))
	} else {
		busy, all := cpuBusy(t[0])
		s.mu.Lock()
		if s.havePrev && all > s.prevAll {
			pct := (busy - s.prevBusy) / (all - s.prevAll) * 100
			st.CPUPercent = model.Some(min(max(pct, 0), 100))
		}
		s.prevBusy, s.prevAll, s.havePrev = busy, all, true
		s.mu.Unlock()
	}
	if l, err := load.AvgWithContext(s.ctx); err != nil {
		errs = append(errs, fmt.Errorf("load average: %w", err))
	} else {
		st.Load1, st.Load5, st.Load15 = model.Some(l.Load1), model.Some(l.Load5), model.Some(l.Load15)
	}
	if m, err := mem.VirtualMemoryWithContext(s.ctx); err != nil {
		errs = append(errs, fmt.Errorf("memory: %w", err))
	} else if m.Total > 0 {
		st.MemTotal, st.MemUsed = model.Some(m.Total), model.Some(m.Total-min(m.Available, m.Total))
	}
	if sw, err := mem.SwapMemoryWithContext(s.ctx); err != nil {
		errs = append(errs, fmt.Errorf("swap: %w", err))
	} else {
		st.SwapTotal, st.SwapUsed = model.Some(sw.Total), model.Some(sw.Used)
	}
	return st, errors.Join(errs...)
}

var errEmpty = errors.New("no data")

func orEmpty(err error) error {
	if err == nil {
		return errEmpty
	}
	return err
}

// cpuBusy returns busy and total jiffies in seconds. Guest time is already
// counted in user time by Linux, so it is not added again.
func cpuBusy(t cpu.TimesStat) (busy, all float64) {
	idle := t.Idle + t.Iowait
	busy = t.User + t.Nice + t.System + t.Irq + t.Softirq + t.Steal
	return busy, busy + idle
}
