package nvmlbackend

import (
	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// ReadFast fills s with the cheap getters (about 9 µs per GPU on an H100).
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
	h := d.handle
	// Start from unavailable, so that a value that fails this time is not
	// the previous reading's (the sample may be reused).
	*s = model.Sample{Time: s.Time}

	if !d.skipped(callMemoryInfoV2) {
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
	if d.skipped(callMemoryInfoV2) && !d.skipped(callMemoryInfo) {
		t := b.begin()
		m, ret := h.GetMemoryInfo()
		if ok, err := b.result(d, callMemoryInfo, ret, t); err != nil {
			return err
		} else if ok {
			s.MemUsed.Set(m.Used)
			s.MemTotal.Set(m.Total)
		}
	}

	if !d.skipped(callUtilization) {
		t := b.begin()
		u, ret := h.GetUtilizationRates()
		if ok, err := b.result(d, callUtilization, ret, t); err != nil {
			return err
		} else if ok {
			s.UtilGPU.Set(u.Gpu)
			s.UtilMem.Set(u.Memory)
		}
	}

	if !d.skipped(callTemperature) {
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

	if !d.skipped(callPowerUsage) {
		t := b.begin()
		v, ret := h.GetPowerUsage()
		if ok, err := b.result(d, callPowerUsage, ret, t); err != nil {
			return err
		} else if ok {
			s.PowerDraw.Set(v)
		}
	}
	if !d.skipped(callEnforcedPowerLimit) {
		t := b.begin()
		v, ret := h.GetEnforcedPowerLimit()
		if ok, err := b.result(d, callEnforcedPowerLimit, ret, t); err != nil {
			return err
		} else if ok {
			s.PowerLimit.Set(v)
		}
	}

	// Clocks: GetClockInfo(SM) cost 1-3 ms of CPU per call on an H200 when
	// calls are 100 ms apart (cheap back to back: the driver caches the
	// answer briefly), the largest cost of the fast tier. Clocks move
	// slowly; they are read at most every ClockEvery and carried forward.
	if b.opts.ClockEvery > 0 && d.clockAt != 0 && s.Time >= d.clockAt &&
		s.Time.Sub(d.clockAt) < b.opts.ClockEvery {
		s.ClockSM, s.ClockMem = d.lastClockSM, d.lastClockMem
	} else if err := b.readClocks(d, s); err != nil {
		return err
	}
	return b.readFastRest(d, s)
}

func (b *Backend) readClocks(d *device, s *model.Sample) error {
	h := d.handle
	defer func() { d.clockAt, d.lastClockSM, d.lastClockMem = s.Time, s.ClockSM, s.ClockMem }()
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
func (b *Backend) readFastRest(d *device, s *model.Sample) error {
	h := d.handle

	if !d.skipped(callPerformanceState) {
		t := b.begin()
		v, ret := h.GetPerformanceState()
		if ok, err := b.result(d, callPerformanceState, ret, t); err != nil {
			return err
		} else if ok && v != nvml.PSTATE_UNKNOWN {
			s.PState.Set(int(v))
		}
	}

	if !d.skipped(callClocksEventReasons) {
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

	if !d.skipped(callFanSpeed) {
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
