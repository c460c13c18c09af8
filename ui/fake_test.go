package ui

import (
	"fmt"
	"sync"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// t0 is the fixed instant every golden screen is drawn at.
var t0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// fakeSource is a deterministic Source: its values are functions of the
// GPU index and the sample number, so golden screens never change unless
// the rendering does.
type fakeSource struct {
	mu      sync.Mutex
	system  model.System
	gpus    []*fakeGPU
	updates chan struct{}
	events  []model.Event
	// quiet makes Updates a closed channel, for unit tests that deliver
	// updateMsg themselves: the UI's wait then ends at once instead of
	// blocking a test that runs every command to completion.
	quiet bool
}

type fakeGPU struct {
	src    *fakeSource
	info   model.GPUInfo
	fast   []model.Sample
	slow   []model.SlowSample
	health model.Health
	stats  sampler.Stats
}

func newFakeSource(n int) *fakeSource {
	s := &fakeSource{
		system: model.System{Host: "dgx-test-01", DriverVersion: "580.159.04", NVMLVersion: "13.580.159.04",
			CUDADriverVersion: model.Some(13000), Source: "demo"},
		updates: make(chan struct{}, 1),
	}
	for i := range n {
		s.gpus = append(s.gpus, &fakeGPU{src: s, info: fakeInfo(i), health: model.Health{State: model.Healthy},
			stats: sampler.Stats{FastReads: uint64(1200 + i), FastMean: 8900 * time.Nanosecond, SlowReads: 120,
				SlowMean: 24 * time.Millisecond, LateP50: 60 * time.Microsecond, LateP99: 900 * time.Microsecond,
				SkippedTicks: uint64(i % 3)}})
	}
	return s
}

func fakeInfo(i int) model.GPUInfo {
	return model.GPUInfo{
		Index: i, Name: "NVIDIA H100 80GB HBM3", UUID: fmt.Sprintf("GPU-%08d", i),
		BusID:        fmt.Sprintf("00000000:%02X:00.0", (0x18+i*0x10)%0x100),
		MemoryTotal:  model.Some[uint64](81559 << 20),
		TempSlowdown: model.Some[int32](87), TempShutdown: model.Some[int32](92),
		ClockMaxSM: model.Some[uint32](1980), ClockMaxMem: model.Some[uint32](2619),
		MaxPCIeGen: model.Some(5), MaxPCIeWidth: model.Some(16),
	}
}

// fakeSample is sample k of GPU i, taken at at.
func fakeSample(i, k int, at time.Time) model.Sample {
	util := uint32((i*23 + k*7) % 101)
	return model.Sample{
		Time:            model.TimestampOf(at),
		MemUsed:         model.Some(uint64(8+i*9%70) << 30),
		MemTotal:        model.Some[uint64](81559 << 20),
		UtilGPU:         model.Some(util),
		UtilMem:         model.Some(util / 2),
		TempGPU:         model.Some(int32(40 + (i*5+k)%40)),
		PowerDraw:       model.Some(uint32(100000 + util*5500)),
		PowerLimit:      model.Some[uint32](700000),
		ClockSM:         model.Some(uint32(1200 + util*7)),
		ClockMem:        model.Some[uint32](2619),
		PState:          model.Some(0),
		ThrottleReasons: model.Some(throttleFor(i)),
		// Passive H100s have no fan: NOT_SUPPORTED stays unavailable.
		FanPercent: model.None[uint32](),
	}
}

func throttleFor(i int) uint64 {
	switch i % 4 {
	case 1:
		return model.ThrottleSWPowerCap
	case 2:
		return model.ThrottleHWSlowdown | model.ThrottleSWThermal
	}
	return 0
}

func fakeSlow(i int, at time.Time) model.SlowSample {
	return model.SlowSample{
		Time:       model.TimestampOf(at),
		PCIeTxKBps: model.Some[uint32](1200), PCIeRxKBps: model.Some[uint32](53000),
		PCIeGen: model.Some(5), PCIeWidth: model.Some(16), PCIeReplays: model.Some[uint64](0),
		PowerPeak: model.Some[uint32](712000), UtilPeak: model.Some[uint32](100),
		ECCEnabled: model.Some(true), ECCVolatileCorrected: model.Some[uint64](0),
		ECCVolatileUncorrected: model.Some[uint64](0), ECCAggregateUncorrected: model.Some[uint64](0),
		RowRemapCorrectable: model.Some(0), RowRemapUncorrectable: model.Some(0),
		RowRemapPending: model.Some(false), RowRemapFailure: model.Some(false),
		Persistence: model.Some(true), ComputeMode: model.Some(0), MIGCurrent: model.Some(0),
		Processes: []model.Process{
			{PID: uint32(4242 + i), GPUIndex: i, Kind: "compute", UsedMemory: model.Some[uint64](38 << 30),
				Resolved: true, User: "alice", Name: "python", Command: "python train.py --model llama-70b"},
			{PID: 777, GPUIndex: i, Kind: "compute", UsedMemory: model.None[uint64]()},
		},
	}
}

// fill records n samples per GPU ending at end, every interval, plus one
// slow sample per second.
func (s *fakeSource) fill(n int, end time.Time, interval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for gi, g := range s.gpus {
		for k := range n {
			at := end.Add(-time.Duration(n-1-k) * interval)
			g.fast = append(g.fast, fakeSample(gi, k, at))
			if k%int(time.Second/interval) == 0 || k == n-1 {
				g.slow = append(g.slow, fakeSlow(gi, at))
			}
		}
	}
}

// push adds one sample to GPU i and notifies like the sampler does.
func (s *fakeSource) push(i int, sample model.Sample) {
	s.mu.Lock()
	s.gpus[i].fast = append(s.gpus[i].fast, sample)
	s.mu.Unlock()
	s.poke()
}

func (s *fakeSource) poke() {
	if s.quiet {
		return
	}
	select {
	case s.updates <- struct{}{}:
	default:
	}
}

func (s *fakeSource) setHealth(i int, h model.Health) {
	s.mu.Lock()
	s.gpus[i].health = h
	s.mu.Unlock()
}

func (s *fakeSource) emit(ev model.Event) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
}

func (s *fakeSource) System() model.System { return s.system }
func (s *fakeSource) GPUCount() int        { return len(s.gpus) }
func (s *fakeSource) GPU(i int) GPUSource  { return s.gpus[i] }
func (s *fakeSource) Updates() <-chan struct{} {
	if s.quiet {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return s.updates
}
func (s *fakeSource) EventCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.events))
}
func (s *fakeSource) Events(dst []model.Event, n int) []model.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(dst, s.events[max(len(s.events)-n, 0):]...)
}

func (g *fakeGPU) Info() model.GPUInfo { return g.info }
func (g *fakeGPU) Latest() (model.Sample, bool, model.SlowSample, model.Health) {
	g.src.mu.Lock()
	defer g.src.mu.Unlock()
	var f model.Sample
	var sl model.SlowSample
	if len(g.fast) > 0 {
		f = g.fast[len(g.fast)-1]
	}
	if len(g.slow) > 0 {
		sl = g.slow[len(g.slow)-1]
	}
	return f, len(g.fast) > 0, sl, g.health
}
func (g *fakeGPU) History(dst []model.Sample, n int) []model.Sample {
	g.src.mu.Lock()
	defer g.src.mu.Unlock()
	return append(dst, g.fast[max(len(g.fast)-n, 0):]...)
}
func (g *fakeGPU) SlowHistory(dst []model.SlowSample, n int) []model.SlowSample {
	g.src.mu.Lock()
	defer g.src.mu.Unlock()
	return append(dst, g.slow[max(len(g.slow)-n, 0):]...)
}
func (g *fakeGPU) Stats() sampler.Stats { return g.stats }
