package nvmlbackend

import (
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// ReadFast fills s with the cheap getters (about 9 µs per GPU on an H100).
//
// A getter that turns costly (see costGuard) is spaced out and its last
// value carried forward, so that one driver call in a slow path cannot burn
// a core at a 10 ms interval.
// It allocates nothing itself; go-nvml's real getters allocate their result
// variables because cgo makes them escape (see the package tests' benchmark).
//
// A value the device does not support stays unavailable and is not asked
// for again. A GPU that is lost or needs a reset makes it return a
// *sampler.DeviceError at the first call that says so.
func (b *Backend) ReadFast(gpu int, s *model.Sample) error {
	d, err := b.device(gpu)
	if err != nil {
		return err
	}
	if err := b.enter(d); err != nil {
		return err
	}
	defer d.inFlight.Add(-1)
	b.fastMu.Lock()
	defer b.fastMu.Unlock()
	h := d.handle
	now := b.begin()
	// Start from unavailable, so that a value that fails this time is not
	// the previous reading's (the sample may be reused).
	*s = model.Sample{Time: s.Time}

	if d.spaced(callMemoryInfoV2, now) {
		s.MemUsed, s.MemTotal, s.MemReserved = d.prev.MemUsed, d.prev.MemTotal, d.prev.MemReserved
	} else if !d.skipped(callMemoryInfoV2) {
		t := b.begin()
		m, ret := h.GetMemoryInfo_v2()
		if ok, err := b.result(d, callMemoryInfoV2, ret, t); err != nil {
			return err
		} else if ok {
			s.MemUsed.Set(m.Used)
			s.MemTotal.Set(m.Total)
			s.MemReserved.Set(m.Reserved)
		}
	}
	// Drivers before R510 only have the first version, without "reserved".
	if d.skipped(callMemoryInfoV2) && d.spaced(callMemoryInfo, now) {
		s.MemUsed, s.MemTotal = d.prev.MemUsed, d.prev.MemTotal
	} else if d.skipped(callMemoryInfoV2) && !d.skipped(callMemoryInfo) {
		t := b.begin()
		m, ret := h.GetMemoryInfo()
		if ok, err := b.result(d, callMemoryInfo, ret, t); err != nil {
			return err
		} else if ok {
			s.MemUsed.Set(m.Used)
			s.MemTotal.Set(m.Total)
		}
	}

	// The steady values (see steadyEvery) are read at most every
	// steadyEvery and carried forward in between.
	steady := readSince(d.steadyAt, s.Time, steadyEvery*9/10) // a tick a little early still reads
	if !steady {
		d.steadyAt = s.Time
	}
	if steady || d.spaced(callUtilization, now) {
		s.UtilGPU, s.UtilMem = d.prev.UtilGPU, d.prev.UtilMem
	} else if !d.skipped(callUtilization) {
		t := b.begin()
		u, ret := h.GetUtilizationRates()
		if ok, err := b.result(d, callUtilization, ret, t); err != nil {
			return err
		} else if ok {
			s.UtilGPU.Set(u.Gpu)
			s.UtilMem.Set(u.Memory)
		}
	}

	if steady || d.spaced(callTemperature, now) {
		s.TempGPU = d.prev.TempGPU
	} else if !d.skipped(callTemperature) {
		t := b.begin()
		var v int32
		var ret nvml.Return
		if b.useTemperatureV {
			var tv nvml.Temperature
			tv, ret = h.GetTemperatureV().V1() // sensor 0 is the GPU die
			v = tv.Temperature
		} else {
			var u uint32
			u, ret = h.GetTemperature(nvml.TEMPERATURE_GPU)
			v = int32(u)
		}
		if ok, err := b.result(d, callTemperature, ret, t); err != nil {
			return err
		} else if ok {
			s.TempGPU.Set(v)
		}
	}
	// Memory temperature comes from the slow tier's field read (its cost on
	// the fast path has not been measured); it changes slowly.
	if v := d.memTemp.Load(); v&memTempValid != 0 {
		s.TempMem.Set(int32(uint32(v)))
	}

	if (steady && d.powerAveraged) || d.spaced(callPowerUsage, now) {
		s.PowerDraw = d.prev.PowerDraw
	} else if !d.skipped(callPowerUsage) {
		t := b.begin()
		v, ret := h.GetPowerUsage()
		if ok, err := b.result(d, callPowerUsage, ret, t); err != nil {
			return err
		} else if ok {
			s.PowerDraw.Set(v)
		}
	}

	// Clocks: GetClockInfo(SM) cost 1-3 ms of CPU per call on an H200 when
	// calls are 100 ms apart (cheap back to back: the driver caches the
	// answer briefly), the largest cost of the fast tier. Clocks move
	// slowly; they are read at most every ClockEvery and carried forward.
	// The enforced power limit changes only when an administrator sets it;
	// it goes with the clocks (it was 11 % of the CPU of the 10 ms runaway).
	clockEvery := b.opts.ClockEvery
	if d.cost[callClockSM].costly() || d.cost[callClockMem].costly() {
		clockEvery = max(clockEvery, slowClockSpacing(d.cost[callClockSM].cost()+d.cost[callClockMem].cost()))
	}
	if readSince(d.clockAt, s.Time, clockEvery) {
		s.ClockSM, s.ClockMem, s.PowerLimit = d.lastClockSM, d.lastClockMem, d.lastPowerLimit
	} else if err := b.readClocks(d, s); err != nil {
		return err
	}
	err = b.readFastRest(d, s, now, steady)
	d.prev = *s
	return err
}

func (b *Backend) readClocks(d *device, s *model.Sample) error {
	h := d.handle
	defer func() {
		d.clockAt, d.lastClockSM, d.lastClockMem, d.lastPowerLimit = s.Time, s.ClockSM, s.ClockMem, s.PowerLimit
	}()
	if !d.skipped(callEnforcedPowerLimit) {
		t := b.begin()
		v, ret := h.GetEnforcedPowerLimit()
		if ok, err := b.result(d, callEnforcedPowerLimit, ret, t); err != nil {
			return err
		} else if ok {
			s.PowerLimit.Set(v)
		}
	}
	if !d.skipped(callClockSM) {
		t := b.begin()
		v, ret := h.GetClockInfo(nvml.CLOCK_SM)
		if ok, err := b.result(d, callClockSM, ret, t); err != nil {
			return err
		} else if ok {
			s.ClockSM.Set(v)
		}
	}
	if !d.skipped(callClockMem) {
		t := b.begin()
		v, ret := h.GetClockInfo(nvml.CLOCK_MEM)
		if ok, err := b.result(d, callClockMem, ret, t); err != nil {
			return err
		} else if ok {
			s.ClockMem.Set(v)
		}
	}
	return nil
}

// readFastRest is the fast tier after the clocks.
func (b *Backend) readFastRest(d *device, s *model.Sample, now time.Duration, steady bool) error {
	h := d.handle

	if steady || d.spaced(callPerformanceState, now) {
		s.PState = d.prev.PState
	} else if !d.skipped(callPerformanceState) {
		t := b.begin()
		v, ret := h.GetPerformanceState()
		if ok, err := b.result(d, callPerformanceState, ret, t); err != nil {
			return err
		} else if ok && v != nvml.PSTATE_UNKNOWN {
			s.PState.Set(int(v))
		}
	}

	if steady || d.spaced(callClocksEventReasons, now) {
		s.ThrottleReasons = d.prev.ThrottleReasons
	} else if !d.skipped(callClocksEventReasons) {
		t := b.begin()
		var v uint64
		var ret nvml.Return
		if b.useThrottleReasons {
			v, ret = h.GetCurrentClocksThrottleReasons()
		} else {
			v, ret = h.GetCurrentClocksEventReasons()
		}
		if ok, err := b.result(d, callClocksEventReasons, ret, t); err != nil {
			return err
		} else if ok {
			s.ThrottleReasons.Set(v)
		}
	}

	if d.spaced(callFanSpeed, now) {
		s.FanPercent = d.prev.FanPercent
	} else if !d.skipped(callFanSpeed) {
		t := b.begin()
		v, ret := h.GetFanSpeed()
		if ok, err := b.result(d, callFanSpeed, ret, t); err != nil {
			return err
		} else if ok {
			s.FanPercent.Set(v)
		}
	}
	return nil
}

// readSince reports whether a value last read at sample time at (0: never)
// is less than every old at now, so that it is carried forward instead of
// read again; every <= 0 reads every time.
func readSince(at, now model.Timestamp, every time.Duration) bool {
	return every > 0 && at != 0 && now >= at && now.Sub(at) < every
}

// steadyEvery: the steady values are read at most this often; at intervals
// of 100 ms and more, every reading (a tick up to 10 ms early still reads).
// Below it only memory (the point of a 10 ms interval: a load's allocations)
// and, where it is instantaneous, power are read every tick. Each steady
// value carries nothing a faster read would add:
//   - utilisation is averaged by the driver over 1/6 s to 1 s (nvml.h,
//     nvmlUtilization_t), and its sample buffer holds one sample every
//     200 ms on an H200; the GPU temperature moves in seconds;
//   - power, on Ada and newer, is a one-second average (powerAveraged); its
//     20 ms peaks come from the sample buffer (peaks.go) either way;
//   - the P-state and the clock-event reasons are shown as they stand, and
//     the throttle detector (sampler/detect) reports a reason only after
//     it held 1 s with gaps under 0.5 s; the time spent throttled between
//     readings is the violation counters' (signals.go).
//
// Measured on an H200 at a 10 ms spacing (TestRealSequenceCPU): memory 50
// µs of CPU a call, power, P-state and reasons 4-6 µs each after it, 15-17
// µs each alone; utilisation and temperature were 12.5 % of gputop's CPU
// at 10 ms before they joined this group.
const steadyEvery = 100 * time.Millisecond

// A fast-tier getter is normally answered in microseconds, but a driver may
// take a slow path for one: on a 2x H200 host, in one start out of four,
// GetPowerUsage of one GPU cost ~4 ms of CPU per call at a 10 ms interval
// (nearly half a core) while the other GPU answered in 85 µs. The guard
// notices a call whose last three answers each took longer than
// costlyCall, and then makes it at most once per costlyDuty times its cost
// (1 % of a core), at most costlyMaxGap apart, carrying its last value
// forward in between. One slow answer (a call queued behind another GPU's
// 20 ms PCIe throughput call) changes nothing; the first cheap answer after
// a gap ends the spacing.
// slowClockEvery: the clocks' spacing while the driver answers them on its
// slow path. On an H200 at a 10 ms interval, one start in three got
// GetClockInfo at 1.2-1.9 ms a call for its whole life (17 µs normally):
// 0.2-0.3 % of a core at 1 s, as much as the rest of the 1 s tier. Clocks
// are shown, not judged (throttling is judged from the event reasons and
// violation counters), so a clock a few seconds old costs nothing in truth.
// The spacing grows with the cost, to keep the clocks at about
// 1/clockDuty of a core: another start got 6.3 ms (SM) and 1.6 ms (memory)
// a call, 0.16 % of a core at 5 s apart, which took gputop at 1 s from
// 0.33 % to 0.58 %, past nvtop's 0.6x; 8 ms now reads them every 16 s.
const (
	slowClockEvery    = 5 * time.Second
	slowClockMaxEvery = 30 * time.Second
	clockDuty         = 2000 // 0.05 % of a core
)

// slowClockSpacing is how far apart the clocks are read while one read of
// both costs cost.
func slowClockSpacing(cost time.Duration) time.Duration {
	return min(max(clockDuty*cost, slowClockEvery), slowClockMaxEvery)
}

const (
	costlyCall   = 500 * time.Microsecond
	costlyDuty   = 100
	costlyMaxGap = 2 * time.Second
)

// costGuard is one fast-tier call's recent cost on one device (fast
// goroutine only). Times are the backend's monotonic clock.
type costGuard struct {
	recent [3]time.Duration
	n      uint32
	next   time.Duration // not called again before this; 0: every reading
}

// costly: the call's last three answers each took longer than costlyCall.
func (c *costGuard) costly() bool { return c.next != 0 }

// cost is the cheapest of the last three answers while the call is costly,
// else 0.
func (c *costGuard) cost() time.Duration {
	if !c.costly() {
		return 0
	}
	return min(c.recent[0], c.recent[1], c.recent[2])
}

func (c *costGuard) record(at, took time.Duration) {
	c.recent[c.n%3] = took
	c.n++
	cheapest := min(c.recent[0], c.recent[1], c.recent[2])
	if c.n < 3 || cheapest < costlyCall {
		c.next = 0
		return
	}
	c.next = at + min(costlyDuty*cheapest, costlyMaxGap)
}

// spaced reports whether call k is being spaced out at now: the caller then
// carries the previous reading's value forward.
func (d *device) spaced(k callKind, now time.Duration) bool {
	next := d.cost[k].next
	return next != 0 && now < next
}
