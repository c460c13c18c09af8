package nvmlbackend

import (
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// simBuffer is a driver sample ring: n samples every period, the newest at
// or before the simulated time; spikes (sample time -> value) stand out of
// a flat base.
type simBuffer struct {
	base   uint64 // simulated time 0, µs since the epoch
	period time.Duration
	n      int
	spikes map[uint64]uint32
	flat   uint32
	at     time.Duration // simulated now
}

func (sb *simBuffer) get(since uint64) []nvml.Sample {
	step := uint64(sb.period.Microseconds())
	newest := sb.base + uint64(sb.at.Microseconds())/step*step
	var out []nvml.Sample
	for i := sb.n - 1; i >= 0; i-- {
		ts := newest - uint64(i)*step
		if ts <= since || ts < sb.base {
			continue
		}
		v := sb.flat
		if s, ok := sb.spikes[ts]; ok {
			v = s
		}
		out = append(out, sampleOf(ts, v))
	}
	return out
}

// The buffers are read as seldom as their reach allows and no spike between
// reads is lost: with the H200's buffers (120 power samples 20 ms apart,
// 72 utilisation samples 200 ms apart) and a slow reading every second,
// power every 2 s and utilisation every 10 s.
func TestPeakBuffersReadAsSeldomAsTheirReachAllows(t *testing.T) {
	srv, devs := newFleet(t)
	base := uint64(time.Now().UnixMicro())
	power := &simBuffer{base: base, period: 20 * time.Millisecond, n: 120, spikes: map[uint64]uint32{}, flat: 80_000}
	util := &simBuffer{base: base, period: 200 * time.Millisecond, n: 72, spikes: map[uint64]uint32{}, flat: 3}
	// A spike in every other second of the minute, at a different phase
	// each time: one in every 2 s between two reads.
	for s := 1; s < 60; s += 2 {
		at := time.Duration(s)*time.Second + time.Duration(s*37%50)*20*time.Millisecond
		power.spikes[base+uint64(at.Microseconds())] = 900_000 + uint32(s)
	}
	util.spikes[base+uint64((33*time.Second+400*time.Millisecond).Microseconds())] = 99
	calls := map[nvml.SamplingType]int{}
	devs[0].GetSamplesFunc = func(typ nvml.SamplingType, since uint64) (nvml.ValueType, []nvml.Sample, nvml.Return) {
		calls[typ]++
		sb := power
		if typ == nvml.GPU_UTILIZATION_SAMPLES {
			sb = util
		}
		if out := sb.get(since); len(out) > 0 {
			return nvml.VALUE_TYPE_UNSIGNED_INT, out, nvml.SUCCESS
		}
		return nvml.VALUE_TYPE_UNSIGNED_INT, nil, nvml.ERROR_NOT_FOUND
	}
	b := openServer(t, srv)
	d := b.devices[0]
	seen := map[uint32]bool{}
	var utilPeaks []uint32
	for s := 0; s <= 61; s++ {
		now := time.Duration(s)*time.Second + time.Millisecond
		power.at, util.at = now, now
		gap := time.Duration(0)
		if s > 0 {
			gap = time.Second
		}
		var ss model.SlowSample
		if err := b.readPeak(d, callSamplesPower, nvml.TOTAL_POWER_SAMPLES, &d.powerBuf, now, gap); err != nil {
			t.Fatal(err)
		}
		if err := b.readPeak(d, callSamplesUtilization, nvml.GPU_UTILIZATION_SAMPLES, &d.utilBuf, now, gap); err != nil {
			t.Fatal(err)
		}
		ss.PowerPeak, ss.UtilPeak = d.powerBuf.peak, d.utilBuf.peak
		if v, ok := ss.PowerPeak.Get(); ok {
			seen[v] = true
		}
		if v, ok := ss.UtilPeak.Get(); ok && v == 99 {
			utilPeaks = append(utilPeaks, v)
		}
	}
	for s := 1; s < 60; s += 2 {
		if !seen[900_000+uint32(s)] {
			t.Errorf("power spike of second %d lost", s)
		}
	}
	if d.powerBuf.reach < 2*time.Second || d.powerBuf.reach > 2500*time.Millisecond {
		t.Errorf("power buffer reach %v, want 2.38 s", d.powerBuf.reach)
	}
	if n := calls[nvml.TOTAL_POWER_SAMPLES]; n < 29 || n > 33 {
		t.Errorf("power buffer read %d times in 62 s, want every 2 s", n)
	}
	// Every second while the buffer fills (its reach grows with it), then
	// every 10 s.
	if n := calls[nvml.GPU_UTILIZATION_SAMPLES]; n < 6 || n > 13 {
		t.Errorf("utilisation buffer read %d times in 62 s, want every 10 s once full", n)
	}
	if len(utilPeaks) == 0 {
		t.Error("utilisation spike lost")
	}
	if d.powerBuf.lossy || d.utilBuf.lossy {
		t.Error("no sample was lost, but a buffer was judged lossy")
	}

	// A slow reading 3 s late: the power buffer wrapped; from then on it is
	// read every time.
	now := 64*time.Second + time.Millisecond
	power.at = now
	before := calls[nvml.TOTAL_POWER_SAMPLES]
	if err := b.readPeak(d, callSamplesPower, nvml.TOTAL_POWER_SAMPLES, &d.powerBuf, now, time.Second); err != nil {
		t.Fatal(err)
	}
	if !d.powerBuf.lossy {
		t.Error("a wrapped buffer was not noticed")
	}
	power.at = now + time.Second
	if err := b.readPeak(d, callSamplesPower, nvml.TOTAL_POWER_SAMPLES, &d.powerBuf, now+time.Second, time.Second); err != nil {
		t.Fatal(err)
	}
	if got := calls[nvml.TOTAL_POWER_SAMPLES] - before; got != 2 {
		t.Errorf("after a wrap the buffer was read %d times in two readings, want 2", got)
	}
}

func TestReachOf(t *testing.T) {
	mk := func(ts ...uint64) []nvml.Sample {
		var out []nvml.Sample
		for _, x := range ts {
			out = append(out, nvml.Sample{TimeStamp: x})
		}
		return out
	}
	for _, c := range []struct {
		name string
		in   []nvml.Sample
		want time.Duration
	}{
		{"empty", nil, 0},
		{"two samples cannot tell", mk(1000, 2000), 0},
		{"unused slots (timestamp 0) ignored", mk(0, 0, 1000, 21000, 41000, 61000), 60 * time.Millisecond},
		{"out of order", mk(61000, 1000, 41000, 21000), 60 * time.Millisecond},
		{"a stale entry does not stretch the reach", mk(5, 1_000_000, 1_020_000, 1_040_000, 1_060_000), 80 * time.Millisecond},
	} {
		if got := reachOf(c.in); got != c.want {
			t.Errorf("%s: reachOf = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPeakBufDue(t *testing.T) {
	p := peakBuf{}
	if !p.due(time.Second, time.Second) {
		t.Error("a buffer never read must be read")
	}
	p = peakBuf{readAt: 10 * time.Second, reach: 2380 * time.Millisecond}
	if p.due(11*time.Second, time.Second) {
		t.Error("read again 1 s later although the next reading (2 s after) is inside the 2.38 s reach")
	}
	if !p.due(12*time.Second, time.Second) {
		t.Error("not read 2 s later although the next reading would be 3 s after")
	}
	p = peakBuf{readAt: 10 * time.Second, reach: time.Hour}
	if p.due(19*time.Second, time.Second) || !p.due(20*time.Second, time.Second) {
		t.Error("a long buffer must still be read every peakMaxSpacing")
	}
	p.lossy = true
	if !p.due(10*time.Second+time.Millisecond, time.Second) {
		t.Error("a lossy buffer must be read every time")
	}
}
