package nvmlbackend

import (
	"math"
	"slices"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// NVML keeps recent power and utilisation samples in per-GPU ring buffers
// (GetSamples). Reading a buffer costs the same whatever it returns: on an
// H200 (2026-11-30, idle, 1 s apart) 0.45-0.77 ms of CPU for the power
// buffer and 2.4-2.8 ms for the utilisation one. How far back a buffer
// reaches differs: 120 power samples 20 ms apart (2.4 s) and 72
// utilisation samples 200 ms apart (14 s) there. So each buffer is read as
// seldom as its reach allows, never so late that a sample not yet seen is
// overwritten: the peaks between two polls are all still there, they only
// arrive a little later. The reach is learned from every read (the whole
// buffer); a gap between the newest sample seen and the oldest new
// one shows when samples were lost anyway, and the buffer is then read on
// every slow reading.
const (
	// peakMargin is kept between a buffer's reach and the time between
	// two reads of it (a slow reading can be late: it may wait for NVML's
	// lock behind another GPU's 20-70 ms call).
	peakMargin = 300 * time.Millisecond
	// peakMaxSpacing bounds how stale a peak may be on screen.
	peakMaxSpacing = 10 * time.Second
)

// peakBuf is the reading state of one GPU's sample buffer (under slowMu).
type peakBuf struct {
	last   uint64        // newest sample timestamp seen (µs since the epoch)
	reach  time.Duration // how far back the buffer reaches; 0: not known
	readAt time.Duration // backend clock of the last read; 0: never read
	lossy  bool          // samples were lost between two reads: read every time
	peak   model.Opt[uint32]
}

// due reports whether the buffer must be read now, given the time since
// the previous slow reading (gap): if it is not, the next read would come
// about gap later, and that must still be inside the buffer's reach.
func (p *peakBuf) due(now, gap time.Duration) bool {
	if p.readAt == 0 || p.reach == 0 || p.lossy || gap <= 0 {
		return true
	}
	limit := min(p.reach-peakMargin, peakMaxSpacing)
	return now-p.readAt+gap > limit
}

// readPeaks takes the highest power and GPU utilisation from NVML's sample
// buffers since their previous read: a 30 ms spike between two fast polls
// still shows up. Between reads the last peak is carried forward.
func (b *Backend) readPeaks(d *device, s *model.SlowSample) error {
	now := b.begin()
	gap := time.Duration(0)
	if d.prevSlowAt != 0 {
		gap = now - d.prevSlowAt
	}
	d.prevSlowAt = now
	if err := b.readPeak(d, callSamplesPower, nvml.TOTAL_POWER_SAMPLES, &d.powerBuf, now, gap); err != nil {
		return err
	}
	s.PowerPeak = d.powerBuf.peak
	if err := b.readPeak(d, callSamplesUtilization, nvml.GPU_UTILIZATION_SAMPLES, &d.utilBuf, now, gap); err != nil {
		return err
	}
	s.UtilPeak = d.utilBuf.peak
	return nil
}

func (b *Backend) readPeak(d *device, k callKind, typ nvml.SamplingType, p *peakBuf, now, gap time.Duration) error {
	if d.skipped(k) || !p.due(now, gap) {
		return nil
	}
	// The whole buffer is asked for every time (it costs the same as the
	// newest samples only: 0.33-0.62 ms against 0.57 ms for the power
	// buffer, 2.4-2.8 ms either way for the utilisation one, H200), so that
	// its reach is known from every read; the peak covers only what is
	// newer than the last sample seen, or than firstWindow on the first
	// read.
	const since = 0
	floor := p.last
	if floor == 0 {
		floor = uint64(time.Now().Add(-firstWindow).UnixMicro())
	}
	t := b.begin()
	valueType, samples, ret := d.handle.GetSamples(typ, since)
	p.readAt = now
	// NOT_FOUND means no sample newer than since: no peak this time.
	ok, err := b.result(d, k, ret, t)
	if !ok {
		p.peak = model.Opt[uint32]{}
		return err
	}
	if r := reachOf(samples); r > 0 {
		p.reach = r
	}
	prevLast := p.last
	var peak uint64
	found := false
	oldestNew := uint64(0)
	for _, smp := range samples {
		if smp.TimeStamp <= floor {
			continue
		}
		if oldestNew == 0 || smp.TimeStamp < oldestNew {
			oldestNew = smp.TimeStamp
		}
		p.last = max(p.last, smp.TimeStamp)
		v, ok := fieldValue(uint32(valueType), smp.SampleValue)
		if !ok || v < 0 {
			continue
		}
		if u := uint64(v); !found || u > peak {
			peak, found = u, true
		}
	}
	// Lost samples: the oldest new one is far after the newest seen (more
	// than two sample periods), so the buffer wrapped between reads.
	if prevLast != 0 && oldestNew != 0 && p.reach > 0 && !p.lossy {
		period := p.reach / time.Duration(max(len(samples)-1, 1))
		if time.Duration(oldestNew-prevLast)*time.Microsecond > 2*period+peakMargin {
			p.lossy = true
			b.log.Debug("nvml: sample buffer wrapped between reads; reading it every time", "gpu", d.index, "call", k.String())
		}
	}
	p.peak = model.Opt[uint32]{}
	if found {
		p.peak.Set(uint32(min(peak, math.MaxUint32)))
	}
	return nil
}

// reachOf is how far back a whole buffer reaches: its valid samples times
// their median spacing (robust to a stale entry left from long ago).
// 0 when it cannot be told (fewer than 3 samples).
func reachOf(samples []nvml.Sample) time.Duration {
	ts := make([]uint64, 0, len(samples))
	for _, s := range samples {
		if s.TimeStamp != 0 {
			ts = append(ts, s.TimeStamp)
		}
	}
	if len(ts) < 3 {
		return 0
	}
	slices.Sort(ts)
	gaps := make([]uint64, 0, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, ts[i]-ts[i-1])
	}
	slices.Sort(gaps)
	med := gaps[len(gaps)/2]
	return time.Duration(med*uint64(len(ts)-1)) * time.Microsecond
}
