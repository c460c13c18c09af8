package host

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gputop/gputop/model"
)

// Stats is one reading of the host strip.
type Stats = model.HostStats // defined in model so the UI needs only model

// Sampler reads the host strip: the first line of /proc/stat, loadavg and
// meminfo, a few microseconds once a second (see procFiles). It is safe for
// concurrent use.
type Sampler struct {
	now func() time.Time

	mu       sync.Mutex
	files    *procFiles
	prevBusy float64
	prevAll  float64
	havePrev bool
}

// NewSampler reads the host's /proc ($HOST_PROC if set).
func NewSampler() *Sampler { return NewSamplerAt("", time.Now) }

// NewSamplerAt reads the /proc tree at procRoot ("" = $HOST_PROC, or /proc)
// with the given clock; tests point it at a fake tree.
func NewSamplerAt(procRoot string, now func() time.Time) *Sampler {
	if procRoot == "" {
		if procRoot = os.Getenv("HOST_PROC"); procRoot == "" {
			procRoot = "/proc"
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Sampler{now: now, files: newProcFiles(procRoot)}
}

// Read takes one reading. Parts that could not be read stay unavailable and
// are named in the returned error; the rest of the reading is still valid.
func (s *Sampler) Read() (Stats, error) {
	st := Stats{Time: model.TimestampOf(s.now())}
	var errs []error
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files

	if b, err := f.read(f.stat); err != nil {
		errs = append(errs, fmt.Errorf("cpu times: %w", err))
	} else if busy, all, err := cpuTimes(b); err != nil {
		errs = append(errs, fmt.Errorf("cpu times: %s: %w", f.stat, err))
	} else {
		if s.havePrev && all > s.prevAll {
			pct := (busy - s.prevBusy) / (all - s.prevAll) * 100
			st.CPUPercent = model.Some(min(max(pct, 0), 100))
		}
		s.prevBusy, s.prevAll, s.havePrev = busy, all, true
	}
	if b, err := f.read(f.loadavg); err != nil {
		errs = append(errs, fmt.Errorf("load average: %w", err))
	} else if l1, l5, l15, err := loadAvg(b); err != nil {
		errs = append(errs, fmt.Errorf("load average: %s: %w", f.loadavg, err))
	} else {
		st.Load1, st.Load5, st.Load15 = model.Some(l1), model.Some(l5), model.Some(l15)
	}
	if b, err := f.read(f.meminfo); err != nil {
		errs = append(errs, fmt.Errorf("memory: %w", err))
	} else {
		m := parseMemInfo(b)
		if m.has&(hasTotal|hasAvailable) == hasTotal|hasAvailable && m.total > 0 {
			st.MemTotal, st.MemUsed = model.Some(m.total), model.Some(m.total-min(m.available, m.total))
		} else {
			errs = append(errs, fmt.Errorf("memory: %s: no MemTotal and MemAvailable", f.meminfo))
		}
		if m.has&(hasSwapTotal|hasSwapFree) == hasSwapTotal|hasSwapFree {
			st.SwapTotal, st.SwapUsed = model.Some(m.swapTotal), model.Some(m.swapTotal-min(m.swapFree, m.swapTotal))
		} else {
			errs = append(errs, fmt.Errorf("swap: %s: no SwapTotal and SwapFree", f.meminfo))
		}
	}
	return st, errors.Join(errs...)
}
