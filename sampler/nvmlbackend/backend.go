// Package nvmlbackend reads NVIDIA GPUs through NVML (go-nvml). It is built
// on nvml.Interface so that go-nvml's mocks (pkg/nvml/mock, mock/dgxh100...)
// stand in for the library in tests.
//
// go-nvml loads libnvidia-ml.so.1 at run time: a binary built with it starts
// on a machine without a driver, and Open then says what is missing. Only
// Init may be called before the library loaded; any other call would jump to
// an unresolved C symbol and crash the process, so nothing else is called
// unless Init succeeded, and calls that newer drivers added are looked up by
// symbol before first use.
package nvmlbackend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
	"github.com/gputop/gputop/sampler"
)

// Options configures a Backend.
type Options struct {
	Logger *slog.Logger
	// CallStats turns on per-call latency accounting for the overhead view
	// (two monotonic clock reads per NVML call, about 50 ns).
	CallStats bool
	// EventTimeout is how often the Xid watcher asks NVML for events
	// (default 1 s): it asks without blocking and sleeps in between.
	EventTimeout time.Duration
	// RareEvery: the rare slow tier (MIG, persistence, compute mode, ECC
	// mode and lifetime counters, row remapping, retired pages, fabric,
	// PCIe replays) runs every RareEvery slow readings (default
	// 10, i.e. every 10 s); 1 reads everything every time.
	RareEvery int
	// MediumEvery: PCIe throughput (two 20 ms blocking calls that hold
	// NVML's lock), link state, memory temperature and the hardware
	// signals' counters every MediumEvery slow readings (default 5); 1
	// every time. (The sample buffers for peaks follow their own reach:
	// peaks.go.)
	MediumEvery int
	// EnergyEvery: the energy counter every EnergyEvery slow readings
	// (default 60, a minute); unavailable in between.
	EnergyEvery int
	// ClockEvery: SM and memory clocks at most this often (default 1 s);
	// negative reads them every fast reading.
	ClockEvery time.Duration
}

const defaultRareEvery = 10

// defaultMediumEvery: the medium tier every 5th slow reading (5 s).
const defaultMediumEvery = 5

const defaultClockEvery = time.Second

const defaultEventTimeout = time.Second

// Backend implements sampler.Backend and sampler.EventSource with NVML.
type Backend struct {
	// fastMu and slowMu serialise the readings of one tier across GPUs.
	// The sampler's one clock starts every GPU's reading at the same
	// instant; NVML serialises driver calls anyway, and GPUs entering it
	// together made the calls spin: on 2x H200 at 10 ms, 2 of 3 starts
	// burnt 13.6-13.9 % of a core (fast readings 950 µs instead of 140,
	// GetUtilizationRates 800 µs a call), the third 3.7 %. In Go, the
	// second GPU's goroutine waits parked instead.
	fastMu, slowAll sync.Mutex

	lib  nvml.Interface
	opts Options
	log  *slog.Logger

	epoch time.Time // origin of the monotonic call timings

	// Set by Open, read-only afterwards.
	devices []*device
	// useThrottleReasons: the library predates
	// GetCurrentClocksEventReasons; its older name returns the same bits.
	useThrottleReasons bool
	// useFabricInfoV, useTemperatureV: the library only has the versioned
	// call (the unversioned ones are deprecated since NVML 13 and may be
	// dropped). The unversioned call is preferred while it exists because
	// the versioned ones cannot be mocked (go-nvml returns a concrete
	// handler type).
	useFabricInfoV  bool
	useTemperatureV bool

	mu          sync.Mutex // guards initialized against Open/Close races
	initialized bool
	// closing tells Events to stop; events counts Events calls in flight,
	// so Close frees the event set before NVML shuts down under it.
	closing atomic.Bool
	events  sync.WaitGroup
	// waits counts EventSet.Wait calls and their time, for CallStats: a
	// Wait that returns at once shows up as a high count and a low mean.
	waits callCounter
}

var (
	_ sampler.Backend     = (*Backend)(nil)
	_ sampler.EventSource = (*Backend)(nil)
)

// device is the state kept for one GPU.
type device struct {
	index  int
	handle nvml.Device
	uuid   string
	// broken is set when Open could not get a handle; every reading
	// returns it.
	broken *sampler.DeviceError

	// skip has one bit per callKind that answered NOT_SUPPORTED (or
	// similar) and is never asked again. The fast path only loads it.
	skip atomic.Uint64

	// memTemp caches the memory temperature read by the slow tier, for the
	// fast samples: memTempValid | uint32(int32 °C), or 0.
	memTemp atomic.Uint64

	// inFlight counts readings of this device in progress, so that Close
	// does not shut NVML down (go-nvml then unloads the library) under
	// one. Per device, so GPUs' goroutines do not share a cache line.
	inFlight atomic.Int32

	// slowMu guards the slow tier's cursors; the fast path never takes it.
	slowMu     sync.Mutex
	powerBuf   peakBuf // NVML's power and utilisation sample buffers (peaks.go)
	utilBuf    peakBuf
	prevSlowAt time.Duration // backend clock of the previous slow reading's peaks
	lastProcTS uint64
	lastMIG    int               // MIG mode seen by the previous slow read, -1 before one
	slowReads  uint64            // slow readings so far, for the rare tier
	rare       model.SlowSample  // the last rare-tier values, carried forward
	eccEnabled bool              // from the last rare reading
	lastTx     model.Opt[uint32] // PCIe throughput, carried between reads
	lastRx     model.Opt[uint32]
	lastGen    model.Opt[int] // PCIe link generation and width, carried between reads
	lastWidth  model.Opt[int]
	sig        sigState // hardware signals (signals.go)

	// Fast readings only (one at a time per GPU): the clocks' last reading
	// (sample time) and values.
	clockAt  model.Timestamp
	steadyAt model.Timestamp // the steady values' last read (see steadyEvery)
	// powerAveraged: GetPowerUsage is a one-second average on this GPU's
	// architecture (see powerAveraged), so it is one of the steady values.
	powerAveraged             bool
	lastClockSM, lastClockMem model.Opt[uint32]
	lastPowerLimit            model.Opt[uint32]
	fields                    [1]nvml.FieldValue
	prev                      model.Sample // the previous fast reading, for spaced calls
	cost                      [numFastKinds]costGuard

	stats [numCallKinds]callCounter
}

const memTempValid = 1 << 63

func (d *device) skipped(k callKind) bool { return d.skip.Load()&k.bit() != 0 }

// New returns a Backend over lib (the real library from nvml.New(), or a
// mock).
func New(lib nvml.Interface, opts Options) *Backend {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.EnergyEvery <= 0 {
		opts.EnergyEvery = 60
	}
	if opts.MediumEvery <= 0 {
		opts.MediumEvery = defaultMediumEvery
	}
	if opts.ClockEvery == 0 {
		opts.ClockEvery = defaultClockEvery
	}
	if opts.RareEvery <= 0 {
		opts.RareEvery = defaultRareEvery
	}
	if opts.EventTimeout <= 0 {
		opts.EventTimeout = defaultEventTimeout
	}
	return &Backend{lib: lib, opts: opts, log: opts.Logger, epoch: time.Now()}
}

// NewDefault returns a Backend over the system's libnvidia-ml.so.1, with
// call accounting on. Creating it loads nothing; Open does.
func NewDefault() *Backend {
	return New(nvml.New(), Options{CallStats: true})
}

// Open starts NVML and reads what does not change. Its errors are
// *sampler.OpenError with the next step for the user.
func (b *Backend) Open(ctx context.Context) (model.System, []model.GPUInfo, error) {
	if err := ctx.Err(); err != nil {
		return model.System{}, nil, fmt.Errorf("open NVML: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.initialized {
		return model.System{}, nil, errors.New("open NVML: already open")
	}
	if ret := b.lib.Init(); ret != nvml.SUCCESS {
		return model.System{}, nil, openError("nvml.Init", ret)
	}
	b.initialized = true
	b.closing.Store(false)

	count, ret := b.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		_ = b.shutdownLocked()
		return model.System{}, nil, openError("nvml.DeviceGetCount", ret)
	}
	if count == 0 {
		_ = b.shutdownLocked()
		return model.System{}, nil, noDevicesError()
	}

	sys := b.readSystem()
	missing := b.missingCalls()

	b.devices = make([]*device, count)
	infos := make([]model.GPUInfo, count)
	for i := range count {
		d := &device{index: i, lastMIG: -1}
		d.skip.Store(missing)
		b.devices[i] = d
		infos[i] = model.GPUInfo{Index: i}
		h, ret := b.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			// One unreachable GPU must not hide the others: it is listed
			// and every reading reports why.
			state, fatal := deviceFailure(ret)
			if !fatal {
				state = model.Failed
			}
			d.broken = newDeviceError(i, "nvml.DeviceGetHandleByIndex", ret, state)
			infos[i].Name = "unreachable GPU (" + codeName(ret) + ")"
			b.log.Warn("nvml: no handle for GPU", "gpu", i, "code", codeName(ret))
			continue
		}
		d.handle = h
		b.readStatic(d, &infos[i])
	}
	// Strings from the driver (names, VBIOS, bus ids) and the host name
	// reach the terminal: through model/safe, like all outside text.
	safe.Walk(&sys)
	safe.Walk(&infos)
	return sys, infos, nil
}

func (b *Backend) readSystem() model.System {
	sys := model.System{Source: "nvml"}
	sys.Host, _ = os.Hostname()
	if v, ret := b.lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		sys.DriverVersion = v
	}
	if v, ret := b.lib.SystemGetNVMLVersion(); ret == nvml.SUCCESS {
		sys.NVMLVersion = v
	}
	if b.hasSymbol("nvmlSystemGetCudaDriverVersion_v2") {
		if v, ret := b.lib.SystemGetCudaDriverVersion_v2(); ret == nvml.SUCCESS && v > 0 {
			sys.CUDADriverVersion.Set(v)
		}
	} else if v, ret := b.lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS && v > 0 {
		sys.CUDADriverVersion.Set(v)
	}
	return sys
}

// hasSymbol reports whether the loaded library exports name. A library
// without the Extensions hook (a bare mock) is assumed complete.
func (b *Backend) hasSymbol(name string) bool {
	ext := b.lib.Extensions()
	if ext == nil {
		return true
	}
	return ext.LookupSymbol(name) == nil
}

// missingCalls is the mask of call kinds whose symbol the library lacks,
// after choosing the older spellings some of them have.
func (b *Backend) missingCalls() uint64 {
	var mask uint64
	seen := map[string]bool{}
	for k := range numCallKinds {
		sym := callInfo[k].symbol
		ok, known := seen[sym]
		if !known {
			ok = b.hasSymbol(sym)
			seen[sym] = ok
		}
		if ok {
			continue
		}
		switch {
		case k == callClocksEventReasons && b.hasSymbol("nvmlDeviceGetCurrentClocksThrottleReasons"):
			b.useThrottleReasons = true
		case k == callFabricInfo && b.hasSymbol("nvmlDeviceGetGpuFabricInfoV"):
			b.useFabricInfoV = true
		case k == callTemperature && b.hasSymbol("nvmlDeviceGetTemperatureV"):
			b.useTemperatureV = true
		default:
			b.log.Info("nvml: library lacks a call; its value stays unavailable", "call", k.String(), "symbol", sym)
			mask |= k.bit()
		}
	}
	return mask
}

// Close shuts NVML down. It is safe to call more than once, and after a
// failed Open.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.initialized {
		return nil
	}
	b.closing.Store(true)
	if !b.quiesce(2*b.opts.EventTimeout + closeGrace) {
		// A driver call hangs. Shutting down under it would unload the
		// library it runs in; leaving NVML initialised at exit is harmless.
		b.initialized = false
		b.log.Warn("nvml: calls still running at close; NVML left initialised")
		return errors.New("nvml: calls still running at close; NVML left initialised")
	}
	b.closeGPM() // MIG utilisation sample buffers (mig.go)
	return b.shutdownLocked()
}

// closeGrace is how long Close waits for readings in progress (a slow
// reading takes ~50 ms) beyond the event watcher's wait timeouts.
const closeGrace = 250 * time.Millisecond

// quiesce waits until Events has returned and no reading is in progress,
// or the timeout passed; it reports whether everything stopped.
func (b *Backend) quiesce(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	eventsDone := make(chan struct{})
	go func() { b.events.Wait(); close(eventsDone) }()
	select {
	case <-eventsDone:
	case <-time.After(timeout):
		return false
	}
	// Readings are short and their goroutines are already told to stop:
	// polling is simpler than a condition variable on the hot path.
	for b.readsInFlight() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

func (b *Backend) readsInFlight() bool {
	for _, d := range b.devices {
		if d.inFlight.Load() != 0 {
			return true
		}
	}
	return false
}

// errClosed is what a reading gets once Close has begun.
var errClosed = errors.New("nvml: backend closed")

// enter marks a reading of d in progress; it fails once Close has begun.
// The order (count, then check) pairs with Close's (flag, then wait).
func (b *Backend) enter(d *device) error {
	d.inFlight.Add(1)
	if b.closing.Load() {
		d.inFlight.Add(-1)
		return errClosed
	}
	return nil
}

func (b *Backend) shutdownLocked() error {
	b.initialized = false
	if ret := b.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("nvml.Shutdown: %w", ret)
	}
	return nil
}

// device returns the state of GPU gpu, or the error every reading of it
// gives.
func (b *Backend) device(gpu int) (*device, error) {
	if gpu < 0 || gpu >= len(b.devices) {
		return nil, fmt.Errorf("nvml: no GPU %d (have %d)", gpu, len(b.devices))
	}
	d := b.devices[gpu]
	if d.broken != nil {
		return nil, d.broken
	}
	return d, nil
}

// begin starts timing one call (a monotonic clock read, ~25 ns).
func (b *Backend) begin() time.Duration {
	return time.Since(b.epoch)
}

// result records a call's cost and judges its answer: ok means the value
// may be used; err is a *sampler.DeviceError when the whole GPU is
// unreadable. A fast-tier call's cost also feeds its costGuard.
func (b *Backend) result(d *device, k callKind, ret nvml.Return, started time.Duration) (ok bool, err error) {
	took := time.Since(b.epoch) - started
	if b.opts.CallStats {
		c := &d.stats[k]
		c.count.Add(1)
		c.nanos.Add(uint64(took))
	}
	if k < numFastKinds {
		d.cost[k].record(started, took)
	}
	return b.judge(d, k, ret)
}

// judge classifies an answer. One that will not change marks the call never
// to be made again on this device.
func (b *Backend) judge(d *device, k callKind, ret nvml.Return) (ok bool, err error) {
	if ret == nvml.SUCCESS {
		return true, nil
	}
	if neverAgain(ret) {
		if d.skip.Or(k.bit())&k.bit() == 0 {
			b.log.Debug("nvml: call unsupported, not asking again", "gpu", d.index, "call", k.String(), "code", codeName(ret))
		}
		return false, nil
	}
	if state, fatal := deviceFailure(ret); fatal {
		return false, newDeviceError(d.index, k.String(), ret, state)
	}
	return false, nil
}

// cString turns a fixed C char array into a Go string.
func cString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
