// Package sim is the simulated GPU fleet behind `gputop --demo`: a
// sampler.Backend whose cards behave like real ones (a model loading, a card
// at its power cap, one throttling on heat, idle ones, a desktop card...) and
// whose every value is a pure function of (seed, GPU index, sample time -
// Start). The same seed and the same sample times give the same readings, on
// any machine, which is what golden screens and replays need.
//
// Things a caller should know:
//   - Time comes from the sample: the sampler stamps s.Time before ReadFast
//     and ReadSlow, and the fleet computes from s.Time - Options.Start.
//   - Noise is a hash of (seed, GPU, channel, 100 ms tick), never a shared
//     generator, so concurrent reads of different GPUs cannot disturb it.
//   - Processes come pre-resolved (Resolved set, user, command, CPU, RSS
//     filled in): their PIDs exist on no host, so a /proc resolver must leave
//     Resolved processes alone (or not be installed in demo mode).
//   - Events (Xid 31 on GPU 5 at +40 s and every 3 min; Xid 79/119 when an
//     injected fault starts) follow the wall clock on a fixed schedule;
//     EventsBetween lists the same schedule without waiting.
//   - Faults (Options.Faults) make a GPU hang, get lost or need a reset.
package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// Options configures a Fleet.
type Options struct {
	GPUs int   // 1..MaxGPUs; 0 means DefaultGPUs. Takes the first N of the fleet.
	Seed int64 // noise seed: same seed, same readings
	// Start is time zero of the simulation: values depend on sample time
	// minus Start. The zero value means "now" (at New).
	Start time.Time
	// Faults are injected failures, for tests and for showing the UI's
	// stale and lost screens.
	Faults []Fault
}

// Fleet is the simulated backend. It implements sampler.Backend and
// sampler.EventSource and is safe for concurrent use.
type Fleet struct {
	opts    Options
	start   int64 // unix nanos
	gpus    []*gpuSim
	infos   []model.GPUInfo
	openErr error

	closeOnce sync.Once
	closed    chan struct{}
}

var (
	_ sampler.Backend     = (*Fleet)(nil)
	_ sampler.EventSource = (*Fleet)(nil)
)

// gpuSim is one simulated GPU. Everything in it is fixed at New; readings
// are computed from it and the sample time alone.
type gpuSim struct {
	index int
	slot  *slot
	seed  uint64

	steps   []loadStep // the loading GPU's plan (roleLoading only)
	loadEnd float64

	energyCycle []float64 // joules integrated over one period, every energyStep
	energyBase  float64   // joules since "driver load", before Start

	faults []*faultState

	fleetSize int // GPUs in the fleet, for the peers of signals.go
}

// New builds a fleet. Options out of range are reported by Open, the first
// call a backend gets.
func New(opts Options) *Fleet {
	if opts.GPUs == 0 {
		opts.GPUs = DefaultGPUs
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	f := &Fleet{opts: opts, start: opts.Start.UnixNano(), closed: make(chan struct{})}
	n := opts.GPUs
	if n < 1 || n > MaxGPUs {
		f.openErr = fmt.Errorf("simulated fleet: --gpus must be 1..%d, got %d", MaxGPUs, n)
		n = 0
	}
	for i := range n {
		g := &gpuSim{index: i, slot: &fleet[i], seed: gpuSeed(opts.Seed, i), fleetSize: n}
		if g.slot.role == roleLoading {
			g.planLoad()
		}
		g.planEnergy()
		f.gpus = append(f.gpus, g)
		f.infos = append(f.infos, g.info(opts.Seed))
	}
	for i := range opts.Faults {
		ft := &opts.Faults[i]
		if ft.GPU < 0 || ft.GPU >= n {
			if f.openErr == nil {
				f.openErr = fmt.Errorf("simulated fleet: fault %d names GPU %d of %d", i, ft.GPU, n)
			}
			continue
		}
		f.gpus[ft.GPU].faults = append(f.gpus[ft.GPU].faults, newFaultState(*ft))
	}
	return f
}

// Start is time zero of the simulation.
func (f *Fleet) Start() time.Time { return f.opts.Start }

// Describe says in words what GPU i is simulating ("" when out of range).
func (f *Fleet) Describe(gpu int) string {
	if gpu < 0 || gpu >= len(f.gpus) {
		return ""
	}
	return f.gpus[gpu].slot.describe
}

// System describes the simulated host.
func (f *Fleet) System() model.System {
	return model.System{
		Host:              "gputop-demo",
		DriverVersion:     "580.159.04",
		NVMLVersion:       "13.580.159.04",
		CUDADriverVersion: model.Some(13000),
		Source:            "demo",
	}
}

// Infos returns the static description of every GPU (a copy).
func (f *Fleet) Infos() []model.GPUInfo { return append([]model.GPUInfo(nil), f.infos...) }

// Open returns the simulated host and GPUs.
func (f *Fleet) Open(ctx context.Context) (model.System, []model.GPUInfo, error) {
	if f.openErr != nil {
		return model.System{}, nil, f.openErr
	}
	if err := ctx.Err(); err != nil {
		return model.System{}, nil, fmt.Errorf("open simulated fleet: %w", err)
	}
	return f.System(), f.Infos(), nil
}

// Close ends the simulation: reads hung by a FaultHang return.
func (f *Fleet) Close() error {
	f.closeOnce.Do(func() { close(f.closed) })
	return nil
}

var errNoSuchGPU = errors.New("no such simulated GPU")

func (f *Fleet) gpu(i int) (*gpuSim, error) {
	if i < 0 || i >= len(f.gpus) {
		return nil, &sampler.DeviceError{GPU: i, Code: "INVALID_ARGUMENT", State: model.Failed, Err: errNoSuchGPU}
	}
	return f.gpus[i], nil
}

// offset is the sample time relative to Start, in nanoseconds.
func (f *Fleet) offset(ts model.Timestamp) int64 { return int64(ts) - f.start }

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// ReadFast fills the fast-tier sample for s.Time. It does not allocate.
func (f *Fleet) ReadFast(gpu int, s *model.Sample) error {
	g, err := f.gpu(gpu)
	if err != nil {
		return err
	}
	off := f.offset(s.Time)
	if err := g.checkFaults(off, f.closed); err != nil {
		return err
	}
	g.fillFast(seconds(off), s)
	return nil
}

// ReadSlow fills the slow-tier sample for s.Time.
func (f *Fleet) ReadSlow(gpu int, s *model.SlowSample) error {
	g, err := f.gpu(gpu)
	if err != nil {
		return err
	}
	off := f.offset(s.Time)
	if err := g.checkFaults(off, f.closed); err != nil {
		return err
	}
	g.fillSlow(seconds(off), s)
	return nil
}

// fillSlow computes one slow-tier sample at t seconds after Start.
func (g *gpuSim) fillSlow(t float64, s *model.SlowSample) {
	c := g.slot.card
	seed := g.seed
	tick := int64(math.Floor(t))
	u := g.util(t)

	// An idle link drops to Gen1 to save power; under load it runs at its best.
	if busy(u) {
		s.PCIeGen.Set(c.pcieGen)
	} else {
		s.PCIeGen.Set(1)
	}
	s.PCIeWidth.Set(g.slot.linkWidth)
	var replays uint64
	if g.slot.linkWidth < 16 {
		// A degraded link is usually a marginal one: a few replays, slowly rising.
		replays = 12 + uint64(math.Max(t, 0)/600)
	}
	s.PCIeReplays.Set(replays)
	rx, tx := g.pcieKBps(t)
	s.PCIeRxKBps.Set(uint32(rx * (1 + 0.1*jitter(seed, chPCIeRx, tick))))
	s.PCIeTxKBps.Set(uint32(tx * (1 + 0.1*jitter(seed, chPCIeTx, tick))))

	s.EnergyMilliJ.Set(uint64(g.energyJ(t) * 1000))

	// Peaks since the previous slow reading: the fast-tier values on the
	// driver's 100 ms grid over the last second.
	var peak model.Sample
	var powerPeak, utilPeak uint32
	for k := range 10 {
		peak = model.Sample{}
		g.fillFast(t-0.1*float64(k), &peak)
		powerPeak = max(powerPeak, peak.PowerDraw.V)
		utilPeak = max(utilPeak, peak.UtilGPU.V)
	}
	s.PowerPeak.Set(powerPeak)
	if !g.migOn() {
		s.UtilPeak.Set(utilPeak)
	}

	switch {
	case c.datacenter:
		s.ECCEnabled.Set(true)
		var corrected uint64
		if g.slot.role == roleThermal {
			// A hot HBM stack: a slow trickle of corrected errors.
			corrected = 3 + uint64(math.Max(t, 0)/300)
		}
		s.ECCVolatileCorrected.Set(corrected)
		s.ECCVolatileUncorrected.Set(0)
		s.ECCAggregateUncorrected.Set(0)
	case c.geforce:
		s.ECCEnabled.Set(false) // supported, off by default; counters then read N/A
	}
	if c.rowRemap {
		s.RowRemapCorrectable.Set(0)
		s.RowRemapUncorrectable.Set(0)
		s.RowRemapPending.Set(false)
		s.RowRemapFailure.Set(false)
	}
	if c.retiredPages {
		s.RetiredPagesSBE.Set(0)
		s.RetiredPagesDBE.Set(0)
		s.RetiredPagesPending.Set(false)
	}
	s.Persistence.Set(g.slot.persistence)
	s.ComputeMode.Set(0)
	if c.mig {
		mig := 0
		if migDemo(g.index) {
			mig = 1 // the MIG GPUs of the demo (mig.go)
		}
		s.MIGCurrent.Set(mig)
		s.MIGPending.Set(mig)
	}
	if c.fabric {
		s.FabricState.Set(3) // NVML_GPU_FABRIC_STATE_COMPLETED
		s.FabricStatus.Set(0)
	}
	s.Processes = g.processes(t)
	s.Processes = append(s.Processes, g.migProcesses(t, s)...) // mig.go
	s.Signals = g.signals(t, g.fleetSize, s)
}

// pcieKBps is the clean PCIe traffic (receive, transmit) at t, KB/s.
func (g *gpuSim) pcieKBps(t float64) (rx, tx float64) {
	u := g.util(t)
	switch g.slot.role {
	case roleLoading:
		phase, _ := floorMod(t, loadPeriod)
		if phase >= loadStart && phase < g.loadEnd {
			return 10.5e6, 0.2e6 // weights streaming in: ~10 GB/s
		}
		return 500e3 * u, 90e3 * u // input batches
	case rolePowerCap:
		return 40e3, 18e3
	case roleThermal:
		return 1e3, 1e3
	case roleDesktop:
		return 60e3 + 400e3*u, 20e3 + 100e3*u
	case roleBursty:
		return 1.4e6 * u, 0.6e6 * u
	case roleLight:
		return 30e3 + 100e3*u, 10e3 + 50e3*u
	}
	return 2, 1
}

// info is the GPU's static identity.
func (g *gpuSim) info(seed int64) model.GPUInfo {
	c := g.slot.card
	idSeed := gpuSeed(seed, g.index)
	h1, h2 := hash(idSeed, chIdentity, 1), hash(idSeed, chIdentity, 2)
	uuid := fmt.Sprintf("GPU-%08x-%04x-%04x-%04x-%012x",
		uint32(h1>>32), uint16(h1>>16), 0x4000|uint16(h1)&0x0fff, 0x8000|uint16(h2>>48)&0x3fff, h2&0xffffffffffff)
	in := model.GPUInfo{
		Index:             g.index,
		Name:              c.name,
		UUID:              uuid,
		BusID:             g.slot.busID,
		VBIOS:             c.vbios,
		Architecture:      c.arch,
		PCIDeviceID:       model.Some(c.deviceID),
		CCMajor:           model.Some(c.ccMajor),
		CCMinor:           model.Some(c.ccMinor),
		MemoryTotal:       model.Some(c.memMiB * mib),
		BAR1Total:         model.Some(c.bar1MiB * mib),
		PowerLimitDefault: model.Some(c.powerDefaultW * 1000),
		PowerLimitMin:     model.Some(c.powerMinW * 1000),
		PowerLimitMax:     model.Some(c.powerMaxW * 1000),
		TempSlowdown:      model.Some(c.slowdownC),
		TempShutdown:      model.Some(c.shutdownC),
		ClockMaxSM:        model.Some(c.maxSM),
		ClockMaxMem:       model.Some(c.maxMem),
		MaxPCIeGen:        model.Some(c.pcieGen),
		MaxPCIeWidth:      model.Some(16),
		GPUMaxPCIeGen:     model.Some(c.gpuPCIeGen),
		NumFans:           model.Some(c.fans),
	}
	if c.memMaxC > 0 {
		in.TempMemMax = model.Some(c.memMaxC)
	}
	if c.datacenter {
		in.Serial = fmt.Sprintf("1654%09d", h2%1_000_000_000)
	}
	return in
}
