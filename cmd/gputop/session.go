package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gputop/gputop/checks"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/detect"
	"github.com/gputop/gputop/sampler/host"
	"github.com/gputop/gputop/sampler/nvmlbackend"
	"github.com/gputop/gputop/sampler/replay"
	"github.com/gputop/gputop/sampler/sim"
)

// session is one source of GPU data (NVML, the simulated fleet or a
// snapshot) with everything the dashboard and the subcommands share: the
// sampler, the checks' latest facts and results, and how to export them.
type session struct {
	opts     *options
	log      *slog.Logger
	backend  sampler.Backend
	sampler  *sampler.Sampler   // nil when no GPU could be opened
	openErr  *sampler.OpenError // why, then
	snap     *model.Snapshot    // the snapshot being replayed
	resolver *host.Resolver
	peaks    *model.ProcessPeaks // each process's peak GPU memory

	mu      sync.Mutex
	facts   model.Facts
	results []model.CheckResult
	checked bool
}

// demoHistory is how much simulated past the demo starts with, so the
// sparklines and a snapshot taken at once already have a minute of data.
const demoHistory = 60 * time.Second

// openSession picks and opens the backend. An NVML failure is not an error:
// the session then explains it (openErr) and the checks diagnose it.
func openSession(ctx context.Context, o *options, log *slog.Logger) (*session, error) {
	s := &session{opts: o, log: log, peaks: model.NewProcessPeaks(5*time.Minute, 4096)}
	sopts := sampler.Options{Interval: o.interval, Logger: log,
		Detector: peakDetector{Detector: detect.New(detect.Options{}), peaks: s.peaks}}
	switch {
	case o.replay != "":
		snap, err := model.LoadSnapshot(o.replay)
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		s.snap = snap
		if len(snap.GPUs) == 0 {
			// Recorded on a box where no GPU could be opened: the replay
			// shows that screen, with the recorded facts and checks.
			s.openErr = recordedOpenError(snap)
			return s, nil
		}
		s.backend = replay.Load(snap)
		ropts := replay.Options(snap)
		ropts.Logger = log
		smp, err := sampler.Open(ctx, s.backend, ropts)
		if err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("%s: %w", o.replay, err)}
		}
		if err := replay.Fill(smp, snap); err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("%s: %w", o.replay, err)}
		}
		s.sampler = smp
	case o.demo:
		now := time.Now()
		fleet := sim.New(sim.Options{GPUs: o.gpus, Seed: o.seed, Start: now.Add(-demoHistory),
			Faults: demoFaults(o.gpus)})
		s.backend = fleet
		smp, err := sampler.Open(ctx, fleet, sopts)
		if err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("simulated fleet: %w", err)}
		}
		prefill(smp, now.Add(-demoHistory), now, fleet.EventsBetween(now.Add(-demoHistory), now))
		s.sampler = smp
	default:
		s.resolver = host.NewResolver(host.Options{Logger: log})
		sopts.ResolveProcesses = s.resolver.Resolve
		s.backend = nvmlbackend.NewDefault()
		smp, err := sampler.Open(ctx, s.backend, sopts)
		if err != nil {
			oe, ok := sampler.AsOpenError(err)
			if !ok {
				oe = &sampler.OpenError{Code: "ERROR", Message: "NVML could not be opened", Err: err}
			}
			log.Warn("nvml open failed", "code", oe.Code, "err", err)
			s.openErr = oe
			return s, nil
		}
		s.sampler = smp
	}
	return s, nil
}

// demoFaults make the demo show every badge within its first minute: a GPU
// that stops answering for a few seconds (STALE), one that falls off the
// bus with Xid 79 (LOST) and one whose readings fail with Xid 119 (ERROR),
// both coming back. Offsets are from the fleet's
// Start, demoHistory before the dashboard opens. Fleets under four GPUs
// stay healthy: with one or two GPUs a lost card would be all there is.
func demoFaults(gpus int) []sim.Fault {
	if gpus < 4 {
		return nil
	}
	return []sim.Fault{
		{GPU: gpus - 2, Kind: sim.FaultHang, At: demoHistory + 8*time.Second, For: 5 * time.Second},
		{GPU: 3, Kind: sim.FaultLost, At: demoHistory + 15*time.Second, For: 40 * time.Second},
		// Readings that fail with RESET_REQUIRED (Xid 119): ✖ ERROR.
		{GPU: 1, Kind: sim.FaultResetRequired, At: demoHistory + 25*time.Second, For: 25 * time.Second},
	}
}

// peakDetector also keeps each process's peak memory from the slow samples.
type peakDetector struct {
	sampler.Detector
	peaks *model.ProcessPeaks
}

func (d peakDetector) Slow(gpu int, s *model.SlowSample, emit func(model.Event)) {
	d.peaks.Update(gpu, s)
	d.Detector.Slow(gpu, s, emit)
}

// prefill steps a time-pure backend (the simulated fleet) through [from, to)
// so history exists from the first frame.
// past are the backend's own events in [from, to) (the simulated Xids),
// emitted in time order between the steps so the timeline stays sorted: the
// demo then opens with the Xid its first minute had.
func prefill(smp *sampler.Sampler, from, to time.Time, past []model.Event) {
	o := smp.Options()
	nextSlow := from
	for t := from; t.Before(to); t = t.Add(o.Interval) {
		for len(past) > 0 && past[0].Time <= model.TimestampOf(t) {
			smp.Emit(past[0])
			past = past[1:]
		}
		slow := !t.Before(nextSlow)
		if slow {
			nextSlow = nextSlow.Add(o.SlowInterval)
		}
		smp.Step(t, slow)
	}
}

// close releases the backend. Call after the sampler stopped.
func (s *session) close() {
	if s.backend != nil {
		if err := s.backend.Close(); err != nil {
			s.log.Warn("closing backend", "err", err)
		}
	}
}

func (s *session) sourceName() string {
	switch {
	case s.snap != nil:
		return "replay"
	case s.opts.demo:
		return "demo"
	}
	return "nvml"
}

// recordedOpenError is the NVML error a GPU-less snapshot recorded.
func recordedOpenError(snap *model.Snapshot) *sampler.OpenError {
	if e := snap.NVMLError; e != nil {
		return &sampler.OpenError{Code: e.Code, Message: e.Message, Hint: e.Hint}
	}
	return &sampler.OpenError{Code: "NO_GPUS_RECORDED", Message: "the snapshot holds no GPU"}
}

// openFailure is the NVML error as the UI and snapshots carry it.
func openFailure(oe *sampler.OpenError) *model.OpenFailure {
	if oe == nil {
		return nil
	}
	return &model.OpenFailure{Code: oe.Code, Message: oe.Error(), Hint: oe.Hint}
}

// nvmlFacts is what NVML (or its stand-in) says, for the checks.
func (s *session) nvmlFacts() model.NVMLFacts {
	if s.openErr != nil {
		return checks.NVMLFromError(s.sourceName(), s.openErr.Code, s.openErr.Error())
	}
	var gpus []model.GPUFacts
	for _, g := range s.sampler.GPUs() {
		gpus = append(gpus, gpuFacts(g))
	}
	return checks.NVMLFromSystem(s.sampler.System(), gpus)
}

func gpuFacts(g *sampler.GPU) model.GPUFacts {
	fast, ok, slow, health := g.Latest()
	return checks.GPUFactsOf(g.Info, fast, ok, slow, health)
}

// refreshFacts updates the per-GPU readings inside facts so the live rules
// (throttling, PCIe, memory errors) judge the newest samples. A replay keeps
// what was recorded.
func (s *session) refreshFacts(f model.Facts) model.Facts {
	if s.sampler == nil || s.snap != nil {
		return f
	}
	gpus := s.sampler.GPUs()
	out := f
	out.NVML.GPUs = make([]model.GPUFacts, len(f.NVML.GPUs))
	copy(out.NVML.GPUs, f.NVML.GPUs)
	for i := range out.NVML.GPUs {
		if i < len(gpus) {
			out.NVML.GPUs[i] = gpuFacts(gpus[i])
		}
	}
	if n := s.sampler.EventCount(); n != uint64(len(f.Events)) {
		// The live Xid rule sees new events. (Once the ring has wrapped the
		// counts never match again and the copy is made every time: at most
		// one ring per re-evaluation.)
		out.Events = s.sampler.Events(nil, 1<<20)
	}
	return out
}

// runChecks gathers facts and judges them; it never runs on the UI goroutine.
func (s *session) runChecks(ctx context.Context) ([]model.CheckResult, model.Facts, error) {
	var f model.Facts
	var rs []model.CheckResult
	switch {
	case s.snap != nil:
		f = checks.FromSnapshot(s.snap) // the recorded facts and event timeline
		rs = checks.CompareRecorded(checks.Evaluate(f), s.snap.Checks)
	case s.opts.demo:
		f = checks.DemoFacts(s.nvmlFacts())
		f.Events = s.sampler.Events(nil, 1<<20) // the simulated Xids are judged like real ones
		rs = checks.Evaluate(f)
	default:
		// Rules on persistence, MIG, compute mode, power limit and memory
		// errors need a slow reading: judge them, do not skip them.
		s.waitFirstReadings(ctx, firstReadingsWait)
		f = checks.Gather(ctx, checks.DefaultEnv(), s.nvmlFacts())
		if s.sampler != nil {
			f.Events = s.sampler.Events(nil, 1<<20) // every held event: the Xid rule judges the timeline too
		}
		rs = checks.Evaluate(f)
	}
	if err := ctx.Err(); err != nil {
		return nil, f, err
	}
	s.mu.Lock()
	s.facts, s.results, s.checked = f, rs, true
	s.mu.Unlock()
	return rs, f, nil
}

// evaluateLive re-judges only the live rules (throttling, PCIe, memory
// errors) on refreshed facts and merges them into the last full results:
// about a sixth of a full evaluation, once a second while samples arrive.
func (s *session) evaluateLive(f model.Facts) []model.CheckResult {
	s.mu.Lock()
	base := s.results
	s.mu.Unlock()
	if base == nil {
		return checks.Evaluate(f)
	}
	return checks.MergeLive(base, checks.EvaluateLive(f))
}

// firstReadingsWait bounds how long the checks wait for the sampler's first
// fast and slow readings of every GPU (a slow reading takes ~60 ms).
const firstReadingsWait = 3 * time.Second

// waitFirstReadings returns once every GPU has a fast and a slow reading, or
// after max (a hung GPU is then judged on what there is, and says so).
func (s *session) waitFirstReadings(ctx context.Context, max time.Duration) {
	if s.sampler == nil {
		return
	}
	deadline := time.Now().Add(max)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		ready := true
		for _, g := range s.sampler.GPUs() {
			if _, ok, slow, _ := g.Latest(); !ok || slow.Time.IsZero() {
				ready = false
				break
			}
		}
		if ready || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// latestChecks returns the newest facts and results, running the checks
// first if they never ran (headless snapshot).
func (s *session) latestChecks(ctx context.Context) (model.Facts, []model.CheckResult, error) {
	s.mu.Lock()
	checked := s.checked
	f, rs := s.facts, s.results
	s.mu.Unlock()
	if !checked {
		var err error
		rs, f, err = s.runChecks(ctx)
		return f, rs, err
	}
	if s.snap != nil {
		return f, rs, nil // a replay exports what it shows
	}
	// Re-judge with the newest readings so the live rules are current.
	f = s.refreshFacts(f)
	return f, checks.Evaluate(f), nil
}

// buildSnapshot freezes the session. With no GPU it records what there is:
// the facts, the checks and the NVML error, so a broken box can be taken
// elsewhere and opened with --replay or check --from.
func (s *session) buildSnapshot(ctx context.Context) (*model.Snapshot, error) {
	f, rs, err := s.latestChecks(ctx)
	if err != nil {
		return nil, err
	}
	var in model.SnapshotInput
	if s.sampler != nil {
		in = s.sampler.CaptureInput(snapshotWindow)
	} else {
		if s.openErr == nil {
			return nil, errors.New("no GPU data to record")
		}
		in.Created = time.Now()
		in.System = model.System{Host: hostName(), Source: s.sourceName()}
		if s.snap != nil {
			in.System = s.snap.System
		}
		in.NVMLError = openFailure(s.openErr)
	}
	in.Version = gputopVersion()
	in.Facts = f
	in.Checks = rs
	in.Versions = versionsOf(f, in.System)
	in.Redact = model.RedactOptions{FullCommandLines: s.opts.includeCmdlines}
	return model.NewSnapshot(in), nil
}

// snapshotWindow is how much history a snapshot keeps.
const snapshotWindow = 120 * time.Second

// export writes a snapshot into the current directory (the `s` key).
func (s *session) export(ctx context.Context) (string, error) {
	snap, err := s.buildSnapshot(ctx)
	if err != nil {
		return "", err
	}
	name := model.DefaultSnapshotName(snap.Host, snap.Created.Time(), model.FormatJSON)
	if err := snap.Save(name, model.FormatJSON); err != nil {
		return "", err
	}
	if wd, err := os.Getwd(); err == nil {
		return wd + string(os.PathSeparator) + name, nil
	}
	return name, nil
}

// versionsOf summarises the stack for the Markdown report.
func versionsOf(f model.Facts, sys model.System) model.Versions {
	v := model.Versions{Driver: f.KernelModule.Version}
	if v.Driver == "" {
		v.Driver = sys.DriverVersion
	}
	if sys.CUDADriverVersion.OK {
		v.CUDADriver = model.CUDAVersionString(sys.CUDADriverVersion.V)
	}
	if f.NVCC.Found {
		v.Toolkit = append(v.Toolkit, fmt.Sprintf("%s (nvcc on PATH: %s)", f.NVCC.Version, f.NVCC.Path))
	}
	if f.CUDALink.Exists {
		v.Toolkit = append(v.Toolkit, fmt.Sprintf("%s (%s -> %s)", f.CUDALink.Version, f.CUDALink.Path, f.CUDALink.Resolved))
	}
	for _, c := range f.CuDNN {
		if c.Version != "" {
			v.CuDNN = append(v.CuDNN, fmt.Sprintf("%s (%s: %s)", c.Version, c.Origin, c.Header))
		}
	}
	for i, t := range f.Torch {
		if i > 0 {
			v.PyTorch += "; "
		}
		v.PyTorch += t.Version
		if t.CUDA != "" {
			v.PyTorch += " (CUDA " + t.CUDA + ")"
		}
	}
	return v
}

// hostName names this machine in a snapshot taken without a GPU (NVML
// normally supplies it).
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
