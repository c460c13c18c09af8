package detect

import (
	"sort"
	"strconv"

	"github.com/gputop/gputop/model"
)

// slowCounters is the previous slow reading of every counter and flag the
// detector compares.
type slowCounters struct {
	eccCorr, eccUncorr, eccAggUncorr model.Opt[uint64]
	remapCorr, remapUncorr           model.Opt[int]
	remapPending, remapFailure       model.Opt[bool]
	retiredSBE, retiredDBE           model.Opt[int]
	retiredPending                   model.Opt[bool]
}

type procState struct {
	name    string
	mem     uint64
	peak    uint64
	missing int // consecutive lists it was absent from
}

// Slow inspects one slow sample: memory-error counters and the process list.
func (d *Detector) Slow(gpu int, s *model.SlowSample, emit func(model.Event)) {
	if gpu < 0 {
		return
	}
	g := d.gpu(gpu)
	g.slowMu.Lock()
	defer g.slowMu.Unlock()
	first := !g.slowSeen
	g.slowSeen = true
	e := eventer{gpu: gpu, now: s.Time, emit: emit, silent: first}
	d.memoryErrors(&e, &g.counters, s)
	d.processes(&e, g, s.Processes)
	d.signals(&e, &g.signals, s.Signals) // signals.go
}

// eventer builds the slow tier's events; on the first sample it only
// records the baseline.
type eventer struct {
	gpu    int
	now    model.Timestamp
	emit   func(model.Event)
	silent bool
}

func (e *eventer) add(kind model.EventKind, sev model.Severity, msg, action string) {
	if e.silent {
		return
	}
	e.emit(model.Event{Time: e.now, GPU: model.Some(e.gpu), Kind: kind, Severity: sev,
		Message: "GPU " + strconv.Itoa(e.gpu) + ": " + msg, Action: action})
}

// rise updates prev and returns how much the counter grew. A counter that
// went down was reset (driver reload, GPU reset): it becomes the new baseline.
func rise[T int | uint64](prev *model.Opt[T], cur model.Opt[T]) T {
	if !cur.OK {
		return 0 // unavailable this time: keep the last known value
	}
	var d T
	if prev.OK && cur.V > prev.V {
		d = cur.V - prev.V
	}
	*prev = cur
	return d
}

// flip updates prev and reports a change of an available flag.
func flip(prev *model.Opt[bool], cur model.Opt[bool]) (now, changed bool) {
	if !cur.OK {
		return false, false
	}
	changed = prev.OK && prev.V != cur.V
	*prev = cur
	return cur.V, changed
}

func count[T int | uint64](n T, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatUint(uint64(n), 10) + " " + many
}

func (d *Detector) memoryErrors(e *eventer, c *slowCounters, s *model.SlowSample) {
	if n := rise(&c.eccCorr, s.ECCVolatileCorrected); n > 0 {
		e.add(model.EventECC, model.SevWarn, count(n, "new corrected ECC error", "new corrected ECC errors")+
			" (volatile total "+strconv.FormatUint(c.eccCorr.V, 10)+")", "")
	}
	volUncorr := rise(&c.eccUncorr, s.ECCVolatileUncorrected)
	if volUncorr > 0 {
		e.add(model.EventECC, model.SevError, count(volUncorr, "new uncorrectable ECC error", "new uncorrectable ECC errors")+
			" (volatile total "+strconv.FormatUint(c.eccUncorr.V, 10)+")",
			"restart the applications on this GPU; reset the GPU if errors continue")
	}
	// The aggregate counter moves with the volatile one; report it only
	// when it is the sole witness (volatile unavailable).
	if n := rise(&c.eccAggUncorr, s.ECCAggregateUncorrected); n > 0 && volUncorr == 0 && !s.ECCVolatileUncorrected.OK {
		e.add(model.EventECC, model.SevError, count(n, "new uncorrectable ECC error", "new uncorrectable ECC errors")+
			" (lifetime total "+strconv.FormatUint(c.eccAggUncorr.V, 10)+")",
			"restart the applications on this GPU; reset the GPU if errors continue")
	}
	if n := rise(&c.remapCorr, s.RowRemapCorrectable); n > 0 {
		e.add(model.EventECC, model.SevWarn, count(n, "row remapped", "rows remapped")+" for correctable errors", "")
	}
	if n := rise(&c.remapUncorr, s.RowRemapUncorrectable); n > 0 {
		e.add(model.EventECC, model.SevError, count(n, "row remapped", "rows remapped")+" for uncorrectable errors",
			"reset the GPU when idle so the remap takes effect")
	}
	if on, changed := flip(&c.remapPending, s.RowRemapPending); changed {
		if on {
			e.add(model.EventECC, model.SevWarn, "row remap pending", "reset the GPU when idle (nvidia-smi -r -i "+strconv.Itoa(e.gpu)+") to apply it")
		} else {
			e.add(model.EventECC, model.SevInfo, "pending row remap applied", "")
		}
	}
	if on, changed := flip(&c.remapFailure, s.RowRemapFailure); changed {
		if on {
			e.add(model.EventECC, model.SevError, "row remapping failed: no spare rows left", "reset the GPU; if the failure stays, the GPU needs service")
		} else {
			e.add(model.EventECC, model.SevInfo, "row remapping failure cleared", "")
		}
	}
	if n := rise(&c.retiredSBE, s.RetiredPagesSBE); n > 0 {
		e.add(model.EventECC, model.SevWarn, count(n, "page retired", "pages retired")+" for single-bit errors", "")
	}
	if n := rise(&c.retiredDBE, s.RetiredPagesDBE); n > 0 {
		e.add(model.EventECC, model.SevError, count(n, "page retired", "pages retired")+" for double-bit errors",
			"reset the GPU when idle so the retirement takes effect")
	}
	if on, changed := flip(&c.retiredPending, s.RetiredPagesPending); changed && on {
		e.add(model.EventECC, model.SevWarn, "page retirement pending", "reset the GPU when idle to apply it")
	}
}

type procChange struct {
	pid  uint32
	name string
	mem  uint64
	peak uint64
	has  bool // memory reading available
}

func (d *Detector) processes(e *eventer, g *gpuState, list []model.Process) {
	// One entry per PID: NVML lists a process once per context kind.
	cur := make(map[uint32]procChange, len(list))
	for _, p := range list {
		c := cur[p.PID]
		c.pid = p.PID
		if p.Resolved && p.Name != "" {
			c.name = p.Name
		}
		if m, ok := p.UsedMemory.Get(); ok {
			c.mem += m
			c.has = true
		}
		cur[p.PID] = c
	}
	var started, left []procChange
	for pid, c := range cur {
		st, ok := g.procs[pid]
		if !ok {
			st = &procState{}
			g.procs[pid] = st
			started = append(started, c)
		}
		st.missing = 0
		if c.name != "" {
			st.name = c.name
		}
		st.mem = c.mem
		st.peak = max(st.peak, c.mem)
	}
	for pid, st := range g.procs {
		if _, ok := cur[pid]; ok {
			continue
		}
		st.missing++
		if st.missing >= d.opts.ProcessGoneAfter {
			left = append(left, procChange{pid: pid, name: st.name, peak: st.peak, has: st.peak > 0})
			delete(g.procs, pid)
		}
	}
	sortChanges(started)
	sortChanges(left)
	gpu := strconv.Itoa(e.gpu)
	if len(started) > d.opts.MaxProcessEvents {
		e.addProc(strconv.Itoa(len(started)) + " processes started on GPU " + gpu)
	} else {
		for _, c := range started {
			msg := procName(c) + " started on GPU " + gpu
			if c.has {
				msg += ", " + formatBytes(c.mem)
			}
			e.addProc(msg)
		}
	}
	if len(left) > d.opts.MaxProcessEvents {
		e.addProc(strconv.Itoa(len(left)) + " processes left GPU " + gpu)
	} else {
		for _, c := range left {
			msg := procName(c) + " left GPU " + gpu
			if c.has {
				msg += " (peak " + formatBytes(c.peak) + ")"
			}
			e.addProc(msg)
		}
	}
}

// addProc emits a process event; its message names the GPU itself.
func (e *eventer) addProc(msg string) {
	if e.silent {
		return
	}
	e.emit(model.Event{Time: e.now, GPU: model.Some(e.gpu), Kind: model.EventProcess, Severity: model.SevInfo, Message: msg})
}

func procName(c procChange) string {
	pid := "PID " + strconv.FormatUint(uint64(c.pid), 10)
	if c.name == "" {
		return pid
	}
	return c.name + " (" + pid + ")"
}

func sortChanges(cs []procChange) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].pid < cs[j].pid })
}
