package nvmlbackend

import (
	"fmt"
	"math"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// MIG instances (model.MIGInstance), read on the rare tier when MIG is on:
// each MIG device's ids, name, memory and processes, and the utilisation of
// its GPU instance.
//
// Utilisation: nvmlDeviceGetUtilizationRates does not work on MIG devices.
// NVML's GPM (GPU performance monitoring) does, from Hopper on (nvml.h: "For
// Hopper or newer fully supported devices"; nvmlGpmQueryDeviceSupport says
// whether this GPU has it): nvmlGpmMigSampleGet reads a GPU instance's
// counters into a sample buffer, and nvmlGpmMetricsGet turns two samples at
// least 100 ms apart into metrics. Each GPU instance keeps its previous
// sample, so one rare reading costs one sample read per instance and one
// metrics call, and the value is the mean over the span between two rare
// readings. The first reading has no previous sample: unavailable, never 0.
// On a GPU without GPM the reading says why (Signals.MIGUtilNote).
// The cost of the GPM calls is not measured (MIG cannot be turned on on the
// GPUs we can use).

// gpmMinInterval is NVML's minimum spacing of two GPM samples ("should be
// greater than 100ms due to the internal sample refresh rate", nvml.h).
const gpmMinInterval = 100 * time.Millisecond

// noInstance is NVML's "no MIG instance" id in a process entry (0xFFFFFFFF).
const noInstance = math.MaxUint32

// Notes for Signals.MIGUtilNote.
const (
	gpmNoteUnsupported = model.MIGUtilNoGPM
	gpmNoteNoLibrary   = "not available per MIG instance: this driver's NVML has no GPM calls"
)

// gpmState is a device's GPM state (guarded by slowMu).
type gpmState struct {
	checked bool
	// note: why utilisation cannot be read on this GPU; "" while it can.
	note string
	gi   map[int]*gpmInstance // by GPU instance id
	// req is the metrics request, reused (13 kB: allocated only on a MIG
	// GPU with GPM).
	req *nvml.GpmMetricsGetType
}

// gpmInstance holds a GPU instance's two sample buffers.
type gpmInstance struct {
	prev, cur nvml.GpmSample
	prevAt    time.Time
	havePrev  bool
	// uuid of the MIG device the previous sample was read for: a GPU
	// instance destroyed and created again between two readings can get
	// the same id, and a span across the two means nothing.
	uuid string
}

// migProc is a process that a MIG device lists, kept from the rare reading
// to attribute the slow tier's processes to instances.
type migProc struct {
	pid    uint32
	gi, ci model.Opt[int]
	mem    model.Opt[uint64]
}

// readMIGInstances lists the MIG devices with their memory and processes,
// and their GPU instances' utilisation.
func (b *Backend) readMIGInstances(d *device) error {
	st := &d.sig
	if d.skipped(callMigDevices) {
		b.dropMIG(d)
		return nil
	}
	h := d.handle
	n, ret := h.GetMaxMigDeviceCount()
	if ret != nvml.SUCCESS || n <= 0 {
		b.dropMIG(d)
		return nil
	}
	var out []model.MIGInstance
	var procs []migProc
	for i := range n {
		t := b.begin()
		m, ret := h.GetMigDeviceHandleByIndex(i)
		if ret == nvml.ERROR_NOT_FOUND || ret == nvml.ERROR_INVALID_ARGUMENT {
			b.countCall(d, callMigDevices, t)
			continue // an empty slot
		}
		ok, err := b.result(d, callMigDevices, ret, t)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		inst := model.MIGInstance{Index: i}
		if v, r := m.GetGpuInstanceId(); r == nvml.SUCCESS {
			inst.GI.Set(v)
		}
		if v, r := m.GetComputeInstanceId(); r == nvml.SUCCESS {
			inst.CI.Set(v)
		}
		if v, r := m.GetName(); r == nvml.SUCCESS {
			inst.Name = printable(v)
		}
		if v, r := m.GetUUID(); r == nvml.SUCCESS {
			inst.UUID = printable(v)
		}
		t = b.begin()
		mem, r := m.GetMemoryInfo()
		b.countCall(d, callMigMemory, t)
		if r == nvml.SUCCESS {
			inst.MemUsed.Set(mem.Used)
			inst.MemTotal.Set(mem.Total)
		} else {
			inst.Error = fmt.Sprintf("memory: %v", r)
		}
		t = b.begin()
		list, r := m.GetComputeRunningProcesses()
		b.countCall(d, callMigProcesses, t)
		if r == nvml.SUCCESS {
			for _, p := range list {
				inst.PIDs = append(inst.PIDs, p.Pid)
				mp := migProc{pid: p.Pid, gi: inst.GI, ci: inst.CI}
				if p.UsedGpuMemory != valueNotAvailable {
					mp.mem.Set(p.UsedGpuMemory)
				}
				procs = append(procs, mp)
			}
		}
		out = append(out, inst)
	}
	if err := b.readMIGUtil(d, out); err != nil {
		return err
	}
	st.mig, st.migProcs = out, procs
	return nil
}

// dropMIG forgets the instances (MIG off or unreadable) and frees their
// GPM samples.
func (b *Backend) dropMIG(d *device) {
	st := &d.sig
	st.mig, st.migProcs = nil, nil
	b.freeGPM(d, nil)
}

// readMIGUtil sets UtilGPU and SMUtil of the instances from GPM, or the
// note that says why it cannot.
func (b *Backend) readMIGUtil(d *device, out []model.MIGInstance) error {
	g := &d.sig.gpm
	if !g.checked {
		note, err := b.gpmSupport(d)
		if err != nil {
			return err
		}
		g.note = note
	}
	if g.note != "" || len(out) == 0 {
		b.freeGPM(d, nil)
		return nil
	}
	now := d.sig.now()
	seen := map[int]bool{}
	for _, inst := range out {
		if !inst.GI.OK || seen[inst.GI.V] {
			continue
		}
		gi := inst.GI.V
		seen[gi] = true
		s := g.gi[gi]
		if s == nil {
			var ok bool
			if s, ok = b.allocGPM(d); !ok {
				if g.note != "" {
					b.freeGPM(d, nil)
					return nil
				}
				continue
			}
			if g.gi == nil {
				g.gi = map[int]*gpmInstance{}
			}
			g.gi[gi] = s
		}
		if s.uuid != inst.UUID {
			s.havePrev, s.uuid = false, inst.UUID
		}
		if s.havePrev && now.Sub(s.prevAt) < gpmMinInterval {
			continue // too soon for NVML: keep the older sample
		}
		t := b.begin()
		ret := d.handle.GpmMigSampleGet(gi, s.cur)
		ok, err := b.gpmResult(d, callGpmSample, ret, t)
		if err != nil {
			return err
		}
		if !ok {
			if d.skipped(callGpmSample) {
				g.note = "not available per MIG instance: GPM sampling answered " + codeName(ret)
				b.freeGPM(d, nil)
				return nil
			}
			// The instance went away meanwhile, or a passing error: the
			// next sample starts a new span.
			s.havePrev = false
			continue
		}
		if s.havePrev {
			util, sm, err := b.gpmMetrics(d, s.prev, s.cur)
			if err != nil {
				return err
			}
			for i := range out {
				if out[i].GI.OK && out[i].GI.V == gi {
					out[i].UtilGPU, out[i].SMUtil = util, sm
				}
			}
		}
		s.prev, s.cur = s.cur, s.prev
		s.prevAt, s.havePrev = now, true
	}
	b.freeGPM(d, seen) // instances that are gone
	return nil
}

// gpmSupport asks once whether the GPU has GPM; a passing error asks again
// on the next rare reading. It returns the note for a GPU without it.
func (b *Backend) gpmSupport(d *device) (string, error) {
	g := &d.sig.gpm
	if d.skipped(callGpmSupport) || d.skipped(callGpmAlloc) || d.skipped(callGpmSample) || d.skipped(callGpmMetrics) ||
		!b.hasSymbol("nvmlGpmSampleFree") {
		g.checked = true
		return gpmNoteNoLibrary, nil
	}
	t := b.begin()
	sup, ret := d.handle.GpmQueryDeviceSupport()
	ok, err := b.gpmResult(d, callGpmSupport, ret, t)
	switch {
	case err != nil:
		return "", err
	case ok:
		g.checked = true
		if sup.IsSupportedDevice == 0 {
			return gpmNoteUnsupported, nil
		}
		return "", nil
	case d.skipped(callGpmSupport):
		g.checked = true
		return gpmNoteUnsupported, nil
	}
	return "not available per MIG instance: GPM support query answered " + codeName(ret), nil
}

// allocGPM allocates a GPU instance's two sample buffers; on failure it
// frees what it got. An allocation NVML refuses for good sets the note.
func (b *Backend) allocGPM(d *device) (*gpmInstance, bool) {
	s := &gpmInstance{}
	for _, p := range []*nvml.GpmSample{&s.prev, &s.cur} {
		t := b.begin()
		smp, ret := b.lib.GpmSampleAlloc()
		ok, _ := b.gpmResult(d, callGpmAlloc, ret, t)
		if !ok {
			if s.prev != nil {
				b.lib.GpmSampleFree(s.prev)
			}
			if d.skipped(callGpmAlloc) {
				d.sig.gpm.note = "not available per MIG instance: GPM sample buffers answered " + codeName(ret)
			}
			return nil, false
		}
		*p = smp
	}
	return s, true
}

// freeGPM frees the sample buffers of every GPU instance not in keep (all
// of them when keep is nil).
func (b *Backend) freeGPM(d *device, keep map[int]bool) {
	g := &d.sig.gpm
	for gi, s := range g.gi {
		if keep[gi] {
			continue
		}
		b.lib.GpmSampleFree(s.prev)
		b.lib.GpmSampleFree(s.cur)
		delete(g.gi, gi)
	}
}

// closeGPM frees every device's sample buffers before NVML shuts down.
// Close calls it once no reading is in flight.
func (b *Backend) closeGPM() {
	for _, d := range b.devices {
		if d.broken != nil {
			continue
		}
		d.slowMu.Lock()
		b.freeGPM(d, nil)
		d.slowMu.Unlock()
	}
}

// gpmMetrics asks GRAPHICS_UTIL and SM_UTIL between two samples. A metric
// NVML could not compute, or one outside 0-100, stays unavailable.
func (b *Backend) gpmMetrics(d *device, s1, s2 nvml.GpmSample) (util, sm model.Opt[uint32], err error) {
	g := &d.sig.gpm
	if d.skipped(callGpmMetrics) {
		return util, sm, nil
	}
	if g.req == nil {
		g.req = &nvml.GpmMetricsGetType{}
	}
	r := g.req
	r.NumMetrics, r.Sample1, r.Sample2 = 2, s1, s2
	r.Metrics[0] = nvml.GpmMetric{MetricId: uint32(nvml.GPM_METRIC_GRAPHICS_UTIL)}
	r.Metrics[1] = nvml.GpmMetric{MetricId: uint32(nvml.GPM_METRIC_SM_UTIL)}
	t := b.begin()
	ret := b.lib.GpmMetricsGet(r)
	ok, err := b.gpmResult(d, callGpmMetrics, ret, t)
	if !ok {
		return util, sm, err
	}
	return gpmPercent(r.Metrics[0]), gpmPercent(r.Metrics[1]), nil
}

// gpmPercent is a percentage metric rounded, when NVML computed it and it
// is a percentage.
func gpmPercent(m nvml.GpmMetric) model.Opt[uint32] {
	v := m.Value
	if nvml.Return(m.NvmlReturn) != nvml.SUCCESS || math.IsNaN(v) || v < 0 || v > 100.5 {
		return model.Opt[uint32]{}
	}
	return model.Some(uint32(min(math.Round(v), 100)))
}

// gpmResult judges a GPM answer like any call's, except that only a lost
// GPU fails the reading: a GPM error leaves the utilisation unavailable.
func (b *Backend) gpmResult(d *device, k callKind, ret nvml.Return, started time.Duration) (bool, error) {
	ok, err := b.result(d, k, ret, started)
	if err != nil && ret != nvml.ERROR_GPU_IS_LOST {
		b.log.Debug("nvml: GPM call failed", "gpu", d.index, "call", k.String(), "code", codeName(ret))
		err = nil
	}
	return ok, err
}

// migIDs are a process entry's GPU and compute instance ids, when MIG is on
// and NVML gave them.
func migIDs(mig bool, p nvml.ProcessInfo) (gi, ci model.Opt[int]) {
	if !mig {
		return gi, ci
	}
	if p.GpuInstanceId != noInstance {
		gi.Set(int(p.GpuInstanceId))
	}
	if p.ComputeInstanceId != noInstance {
		ci.Set(int(p.ComputeInstanceId))
	}
	return gi, ci
}

// attributeMIG gives the slow tier's processes of a MIG GPU the instance
// that lists them (from the last rare reading), and, where the whole GPU's
// process list is not available (it needs privileges in MIG mode) or holds
// none of the instances' processes, lists the instances' processes.
func (b *Backend) attributeMIG(d *device, s *model.SlowSample) {
	st := &d.sig
	if !s.MIGCurrent.OK || s.MIGCurrent.V != 1 || len(st.migProcs) == 0 {
		return
	}
	at := make(map[uint32]int, len(s.Processes))
	for i, p := range s.Processes {
		at[p.PID] = i
	}
	// The whole GPU's list is current when NVML gave it and it holds at
	// least one of the instances' processes; then a process only the
	// instances list (read up to RareEvery readings ago) has ended. A list
	// NVML refused, or one without any of them (NVML documents the whole
	// GPU's list in MIG mode as needing privileges), gives way to the
	// instances' lists.
	whole := false
	if !d.skipped(callComputeProcesses) {
		for _, mp := range st.migProcs {
			if _, ok := at[mp.pid]; ok {
				whole = true
				break
			}
		}
	}
	for _, mp := range st.migProcs {
		if i, ok := at[mp.pid]; ok {
			p := &s.Processes[i]
			if !p.GI.OK {
				p.GI, p.CI = mp.gi, mp.ci
			}
			if !p.UsedMemory.OK {
				p.UsedMemory = mp.mem
			}
			continue
		}
		if whole {
			continue // the whole GPU's list is current; this one has ended
		}
		at[mp.pid] = len(s.Processes)
		s.Processes = append(s.Processes, model.Process{PID: mp.pid, GPUIndex: d.index, Kind: "compute",
			UsedMemory: mp.mem, GI: mp.gi, CI: mp.ci})
	}
}
