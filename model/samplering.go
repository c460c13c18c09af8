package model

// SampleRing is a Ring of fast samples stored packed: 88 bytes a sample
// instead of Sample's 160 (every Opt pads its flag to the value's
// alignment). The sampler keeps 120 s of history per GPU, 12,000 samples at
// 10 ms: 1.06 MB instead of 1.92 MB per GPU (docs/performance.md,
// "Memory"). Values and flags come back exactly as pushed
// (TestSampleRingRoundTrip fills every field of Sample by reflection, so a
// field added to Sample and not packed here fails it).
type SampleRing struct {
	buf   []packedSample
	next  int
	count int
}

// packedSample holds a Sample's values without their Opt padding and the
// availability flags as one bit each.
type packedSample struct {
	t                                        Timestamp
	memUsed, memTotal, memReserved, throttle uint64
	pstate                                   int
	utilGPU, utilMem                         uint32
	powerDraw, powerLimit                    uint32
	clockSM, clockMem, fan                   uint32
	tempGPU, tempMem                         int32
	ok                                       uint16
}

const (
	okMemUsed uint16 = 1 << iota
	okMemTotal
	okMemReserved
	okUtilGPU
	okUtilMem
	okTempGPU
	okTempMem
	okPowerDraw
	okPowerLimit
	okClockSM
	okClockMem
	okPState
	okThrottle
	okFan
)

func okIf(set bool, bit uint16) uint16 {
	if set {
		return bit
	}
	return 0
}

func pack(s *Sample) packedSample {
	return packedSample{
		t:           s.Time,
		memUsed:     s.MemUsed.V,
		memTotal:    s.MemTotal.V,
		memReserved: s.MemReserved.V,
		throttle:    s.ThrottleReasons.V,
		pstate:      s.PState.V,
		utilGPU:     s.UtilGPU.V,
		utilMem:     s.UtilMem.V,
		powerDraw:   s.PowerDraw.V,
		powerLimit:  s.PowerLimit.V,
		clockSM:     s.ClockSM.V,
		clockMem:    s.ClockMem.V,
		fan:         s.FanPercent.V,
		tempGPU:     s.TempGPU.V,
		tempMem:     s.TempMem.V,
		ok: okIf(s.MemUsed.OK, okMemUsed) | okIf(s.MemTotal.OK, okMemTotal) | okIf(s.MemReserved.OK, okMemReserved) |
			okIf(s.UtilGPU.OK, okUtilGPU) | okIf(s.UtilMem.OK, okUtilMem) |
			okIf(s.TempGPU.OK, okTempGPU) | okIf(s.TempMem.OK, okTempMem) |
			okIf(s.PowerDraw.OK, okPowerDraw) | okIf(s.PowerLimit.OK, okPowerLimit) |
			okIf(s.ClockSM.OK, okClockSM) | okIf(s.ClockMem.OK, okClockMem) |
			okIf(s.PState.OK, okPState) | okIf(s.ThrottleReasons.OK, okThrottle) | okIf(s.FanPercent.OK, okFan),
	}
}

func (p *packedSample) unpack() Sample {
	ok := p.ok
	return Sample{
		Time:            p.t,
		MemUsed:         Opt[uint64]{p.memUsed, ok&okMemUsed != 0},
		MemTotal:        Opt[uint64]{p.memTotal, ok&okMemTotal != 0},
		MemReserved:     Opt[uint64]{p.memReserved, ok&okMemReserved != 0},
		UtilGPU:         Opt[uint32]{p.utilGPU, ok&okUtilGPU != 0},
		UtilMem:         Opt[uint32]{p.utilMem, ok&okUtilMem != 0},
		TempGPU:         Opt[int32]{p.tempGPU, ok&okTempGPU != 0},
		TempMem:         Opt[int32]{p.tempMem, ok&okTempMem != 0},
		PowerDraw:       Opt[uint32]{p.powerDraw, ok&okPowerDraw != 0},
		PowerLimit:      Opt[uint32]{p.powerLimit, ok&okPowerLimit != 0},
		ClockSM:         Opt[uint32]{p.clockSM, ok&okClockSM != 0},
		ClockMem:        Opt[uint32]{p.clockMem, ok&okClockMem != 0},
		PState:          Opt[int]{p.pstate, ok&okPState != 0},
		ThrottleReasons: Opt[uint64]{p.throttle, ok&okThrottle != 0},
		FanPercent:      Opt[uint32]{p.fan, ok&okFan != 0},
	}
}

// NewSampleRing returns a ring holding at most capacity samples (at least 1).
func NewSampleRing(capacity int) *SampleRing {
	return &SampleRing{buf: make([]packedSample, max(capacity, 1))}
}

// Push appends s, overwriting the oldest sample when full. It never allocates.
func (r *SampleRing) Push(s Sample) {
	r.buf[r.next] = pack(&s)
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
	}
	if r.count < len(r.buf) {
		r.count++
	}
}

// Len is the number of samples held.
func (r *SampleRing) Len() int { return r.count }

// Cap is the capacity.
func (r *SampleRing) Cap() int { return len(r.buf) }

// At returns the i-th sample, 0 being the oldest held.
func (r *SampleRing) At(i int) Sample {
	j := r.next - r.count + i
	if j < 0 {
		j += len(r.buf)
	}
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return r.buf[j].unpack()
}

// Last returns the newest sample and whether there is one.
func (r *SampleRing) Last() (Sample, bool) {
	if r.count == 0 {
		return Sample{}, false
	}
	return r.At(r.count - 1), true
}

// AppendLast appends the newest n samples (oldest first) to dst.
func (r *SampleRing) AppendLast(dst []Sample, n int) []Sample {
	n = min(n, r.count)
	for i := r.count - n; i < r.count; i++ {
		dst = append(dst, r.At(i))
	}
	return dst
}
