package nvmlbackend

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// valueNotAvailable is NVML's NVML_VALUE_NOT_AVAILABLE for unsigned long
// long values, e.g. a process's memory under some virtualisation modes.
const valueNotAvailable = math.MaxUint64

// firstWindow is how far back the first slow reading looks in NVML's sample
// buffers (later readings continue from the newest sample they saw).
const firstWindow = time.Second

// ReadSlow fills s with the calls that cost milliseconds (PCIe throughput
// blocks ~20 ms per direction by design), counters, rarely changing state,
// the processes, and the peaks of NVML's buffered samples since the previous
// slow reading. It may run at the same time as ReadFast for the same GPU.
func (b *Backend) ReadSlow(gpu int, s *model.SlowSample) error {
	d, err := b.device(gpu)
	if err != nil {
		return err
	}
	if err := b.enter(d); err != nil {
		return err
	}
	defer d.inFlight.Add(-1)
	b.slowAll.Lock() // see Backend.fastMu
	defer b.slowAll.Unlock()
	d.slowMu.Lock()
	defer d.slowMu.Unlock()
	*s = model.SlowSample{Time: s.Time}

	// Every slow reading: throughput, link, volatile ECC, peaks, processes.
	// The rare tier (state that seldom changes, and the energy counter that
	// costs ~3 ms of driver time) runs on the first reading and then every
	// RareEvery readings; in between its last values are carried forward,
	// so every slow sample is complete.
	d.slowReads++
	rare := b.opts.RareEvery <= 1 || d.slowReads%uint64(b.opts.RareEvery) == 1
	if rare {
		for _, step := range [...]func(*device, *model.SlowSample) error{
			b.readMIG, // first: a MIG change re-enables the calls it affects
			b.readECCState,
			b.readModes,
			b.readReplays,
		} {
			if err := step(d, s); err != nil {
				return err
			}
		}
		d.rare = *s
		d.eccEnabled = s.ECCEnabled.V && s.ECCEnabled.OK
	} else {
		carryRare(s, &d.rare)
	}
	// The energy counter costs 4-9 ms of CPU per call (H200, 1 s apart) and
	// nothing on screen uses it; it is cumulative since driver load, so
	// reading it once a minute loses nothing. Between reads it stays
	// unavailable rather than a stale counter.
	if (d.slowReads-1)%uint64(b.opts.EnergyEvery) == 0 {
		if err := b.readEnergy(d, s); err != nil {
			return err
		}
	}
	for _, step := range [...]func(*device, *model.SlowSample) error{
		b.readPCIe,
		b.readMemTemp,
		b.readECCVolatile,
		b.readPeaks,
		b.readProcesses,
	} {
		if err := step(d, s); err != nil {
			return err
		}
	}
	return b.readSignals(d, s, rare) // hardware signals: medium and rare tiers (signals.go)
}

// carryRare copies the rare tier's fields from the last rare reading.
func carryRare(dst, src *model.SlowSample) {
	dst.MIGCurrent, dst.MIGPending = src.MIGCurrent, src.MIGPending
	dst.ECCEnabled, dst.ECCAggregateUncorrected = src.ECCEnabled, src.ECCAggregateUncorrected
	dst.RowRemapCorrectable, dst.RowRemapUncorrectable = src.RowRemapCorrectable, src.RowRemapUncorrectable
	dst.RowRemapPending, dst.RowRemapFailure = src.RowRemapPending, src.RowRemapFailure
	dst.RetiredPagesSBE, dst.RetiredPagesDBE, dst.RetiredPagesPending = src.RetiredPagesSBE, src.RetiredPagesDBE, src.RetiredPagesPending
	dst.Persistence, dst.ComputeMode = src.Persistence, src.ComputeMode
	dst.FabricState, dst.FabricStatus = src.FabricState, src.FabricStatus
	dst.PCIeReplays = src.PCIeReplays
}

// get runs one call unless it was found unsupported; use receives the value
// only when the call succeeded.
func get[T any](b *Backend, d *device, k callKind, call func() (T, nvml.Return), use func(T)) error {
	if d.skipped(k) {
		return nil
	}
	t := b.begin()
	v, ret := call()
	ok, err := b.result(d, k, ret, t)
	if ok {
		use(v)
	}
	return err
}

func (b *Backend) readMIG(d *device, s *model.SlowSample) error {
	if d.skipped(callMigMode) {
		return nil
	}
	t := b.begin()
	current, pending, ret := d.handle.GetMigMode()
	ok, err := b.result(d, callMigMode, ret, t)
	if !ok {
		return err
	}
	s.MIGCurrent.Set(current)
	s.MIGPending.Set(pending)
	if d.lastMIG >= 0 && current != d.lastMIG {
		// With MIG on, device-wide utilisation and process lists answer
		// NOT_SUPPORTED; after a MIG change that memory is out of date.
		d.skip.And(^(callUtilization.bit() | callProcessUtilization.bit() | callSamplesUtilization.bit() |
			callComputeProcesses.bit() | callGraphicsProcesses.bit()))
		b.log.Info("nvml: MIG mode changed; asking again for what it affects", "gpu", d.index, "mig", current)
	}
	d.lastMIG = current
	return nil
}

func (b *Backend) readPCIe(d *device, s *model.SlowSample) error {
	h := d.handle
	// Throughput blocks ~20 ms per direction, and NVML serialises calls:
	// meanwhile every other GPU's fast reading waits (measured on 4x H200:
	// fast reads averaged 1.5 ms instead of ~15 µs). It is read every
	// MediumEvery slow readings and carried forward in between.
	if !b.medium(d) {
		s.PCIeTxKBps, s.PCIeRxKBps = d.lastTx, d.lastRx
	} else if err := b.readThroughput(d, s); err != nil {
		return err
	}
	// The link's generation and width change with its power state, which a
	// check judges; every 5 s is soon enough, and saves two driver calls a
	// second per GPU (each an RPC to the GPU's firmware on an H200).
	if !b.medium(d) {
		s.PCIeGen, s.PCIeWidth = d.lastGen, d.lastWidth
		return nil
	}
	defer func() { d.lastGen, d.lastWidth = s.PCIeGen, s.PCIeWidth }()
	if err := get(b, d, callPcieLinkGeneration, h.GetCurrPcieLinkGeneration,
		func(v int) { s.PCIeGen.Set(v) }); err != nil {
		return err
	}
	return get(b, d, callPcieLinkWidth, h.GetCurrPcieLinkWidth,
		func(v int) { s.PCIeWidth.Set(v) })
}

func (b *Backend) readThroughput(d *device, s *model.SlowSample) error {
	h := d.handle
	defer func() { d.lastTx, d.lastRx = s.PCIeTxKBps, s.PCIeRxKBps }()
	if err := get(b, d, callPcieThroughputTX, func() (uint32, nvml.Return) { return h.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES) },
		func(v uint32) { s.PCIeTxKBps.Set(v) }); err != nil {
		return err
	}
	return get(b, d, callPcieThroughputRX, func() (uint32, nvml.Return) { return h.GetPcieThroughput(nvml.PCIE_UTIL_RX_BYTES) },
		func(v uint32) { s.PCIeRxKBps.Set(v) })
}

func (b *Backend) readReplays(d *device, s *model.SlowSample) error {
	return get(b, d, callPcieReplayCounter, d.handle.GetPcieReplayCounter,
		func(v int) { s.PCIeReplays.Set(uint64(v)) })
}

func (b *Backend) readEnergy(d *device, s *model.SlowSample) error {
	return get(b, d, callTotalEnergy, d.handle.GetTotalEnergyConsumption,
		func(v uint64) { s.EnergyMilliJ.Set(v) })
}

func (b *Backend) readMemTemp(d *device, s *model.SlowSample) error {
	// HBM temperature moves slowly: with the medium tier (every 5 s); the
	// fast samples carry the last value (memTemp) in between.
	if d.skipped(callMemoryTemperature) || !b.medium(d) {
		return nil
	}
	d.fields[0] = nvml.FieldValue{FieldId: nvml.FI_DEV_MEMORY_TEMP}
	t := b.begin()
	ret := d.handle.GetFieldValues(d.fields[:])
	ok, err := b.result(d, callMemoryTemperature, ret, t)
	if !ok {
		return err
	}
	fv := d.fields[0]
	fieldRet := nvml.Return(fv.NvmlReturn)
	if fieldRet != nvml.SUCCESS {
		// The batch call worked but this field did not: judge the field's
		// own answer (NOT_SUPPORTED on boards without a memory sensor).
		_, err := b.judge(d, callMemoryTemperature, fieldRet)
		d.memTemp.Store(0)
		return err
	}
	if v, ok := fieldValue(fv.ValueType, fv.Value); ok && v > 0 && v < 200 {
		d.memTemp.Store(memTempValid | uint64(uint32(int32(v))))
	} else {
		d.memTemp.Store(0)
	}
	return nil
}

// readECCState is the rare part of memory errors: ECC mode, the lifetime
// counter, row remapping and page retirement.
func (b *Backend) readECCState(d *device, s *model.SlowSample) error {
	h := d.handle
	enabled := false
	if err := get(b, d, callEccMode, func() (nvml.EnableState, nvml.Return) {
		current, _, ret := h.GetEccMode()
		return current, ret
	}, func(v nvml.EnableState) {
		enabled = v == nvml.FEATURE_ENABLED
		s.ECCEnabled.Set(enabled)
	}); err != nil {
		return err
	}
	if enabled {
		if err := get(b, d, callEccAggregateUncorrected, func() (uint64, nvml.Return) {
			return h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.AGGREGATE_ECC)
		}, func(v uint64) { s.ECCAggregateUncorrected.Set(v) }); err != nil {
			return err
		}
	}

	if !d.skipped(callRemappedRows) {
		t := b.begin()
		corr, unc, pending, failed, ret := h.GetRemappedRows()
		ok, err := b.result(d, callRemappedRows, ret, t)
		if err != nil {
			return err
		}
		if ok {
			s.RowRemapCorrectable.Set(corr)
			s.RowRemapUncorrectable.Set(unc)
			s.RowRemapPending.Set(pending)
			s.RowRemapFailure.Set(failed)
		}
	}

	// Page retirement predates row remapping; Hopper answers NOT_SUPPORTED
	// once and is not asked again.
	if err := get(b, d, callRetiredPagesSBE, func() ([]uint64, nvml.Return) {
		return h.GetRetiredPages(nvml.PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS)
	}, func(v []uint64) { s.RetiredPagesSBE.Set(len(v)) }); err != nil {
		return err
	}
	if err := get(b, d, callRetiredPagesDBE, func() ([]uint64, nvml.Return) {
		return h.GetRetiredPages(nvml.PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR)
	}, func(v []uint64) { s.RetiredPagesDBE.Set(len(v)) }); err != nil {
		return err
	}
	return get(b, d, callRetiredPagesPending, h.GetRetiredPagesPendingStatus,
		func(v nvml.EnableState) { s.RetiredPagesPending.Set(v == nvml.FEATURE_ENABLED) })
}

// readECCVolatile reads the since-boot ECC counters every slow reading, so
// a new error reaches the timeline within a second.
func (b *Backend) readECCVolatile(d *device, s *model.SlowSample) error {
	if !d.eccEnabled {
		return nil
	}
	h := d.handle
	counters := [...]struct {
		kind    callKind
		errType nvml.MemoryErrorType
		dst     *model.Opt[uint64]
	}{
		{callEccVolatileCorrected, nvml.MEMORY_ERROR_TYPE_CORRECTED, &s.ECCVolatileCorrected},
		{callEccVolatileUncorrected, nvml.MEMORY_ERROR_TYPE_UNCORRECTED, &s.ECCVolatileUncorrected},
	}
	for _, c := range counters {
		if err := get(b, d, c.kind, func() (uint64, nvml.Return) { return h.GetTotalEccErrors(c.errType, nvml.VOLATILE_ECC) },
			func(v uint64) { c.dst.Set(v) }); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) readModes(d *device, s *model.SlowSample) error {
	h := d.handle
	if err := get(b, d, callPersistenceMode, h.GetPersistenceMode,
		func(v nvml.EnableState) { s.Persistence.Set(v == nvml.FEATURE_ENABLED) }); err != nil {
		return err
	}
	if err := get(b, d, callComputeMode, h.GetComputeMode,
		func(v nvml.ComputeMode) { s.ComputeMode.Set(int(v)) }); err != nil {
		return err
	}
	if d.skipped(callFabricInfo) {
		return nil
	}
	t := b.begin()
	var state uint8
	var status uint32
	var ret nvml.Return
	if b.useFabricInfoV {
		var info nvml.GpuFabricInfo_v2
		info, ret = h.GetGpuFabricInfoV().V2()
		state, status = info.State, info.Status
	} else {
		var info nvml.GpuFabricInfo
		info, ret = h.GetGpuFabricInfo()
		state, status = info.State, info.Status
	}
	ok, err := b.result(d, callFabricInfo, ret, t)
	if !ok {
		return err
	}
	if state == nvml.GPU_FABRIC_STATE_NOT_SUPPORTED {
		// GPUs outside an NVSwitch fabric say so with success; treat it
		// as the unsupported answer it is.
		d.skip.Or(callFabricInfo.bit())
		return nil
	}
	s.FabricState.Set(int(state))
	s.FabricStatus.Set(status)
	return nil
}

// medium reports whether this slow reading runs the medium tier.
func (b *Backend) medium(d *device) bool {
	return b.opts.MediumEvery <= 1 || (d.slowReads-1)%uint64(b.opts.MediumEvery) == 0
}

// fieldValue decodes NVML's value union (host byte order) as a number.
func fieldValue(valueType uint32, raw [8]byte) (float64, bool) {
	switch nvml.ValueType(valueType) {
	case nvml.VALUE_TYPE_DOUBLE:
		return math.Float64frombits(binary.NativeEndian.Uint64(raw[:])), true
	case nvml.VALUE_TYPE_UNSIGNED_INT:
		return float64(binary.NativeEndian.Uint32(raw[:])), true
	case nvml.VALUE_TYPE_UNSIGNED_LONG, nvml.VALUE_TYPE_UNSIGNED_LONG_LONG:
		return float64(binary.NativeEndian.Uint64(raw[:])), true
	case nvml.VALUE_TYPE_SIGNED_LONG_LONG:
		return float64(int64(binary.NativeEndian.Uint64(raw[:]))), true
	case nvml.VALUE_TYPE_SIGNED_INT:
		return float64(int32(binary.NativeEndian.Uint32(raw[:]))), true
	case nvml.VALUE_TYPE_UNSIGNED_SHORT:
		return float64(binary.NativeEndian.Uint16(raw[:])), true
	}
	return 0, false
}

// readProcesses lists the compute and graphics processes with their memory,
// and each one's mean SM utilisation since the previous slow reading.
func (b *Backend) readProcesses(d *device, s *model.SlowSample) error {
	var procs []model.Process
	index := map[uint32]int{} // PID -> position in procs
	add := func(kind string) func([]nvml.ProcessInfo) {
		return func(list []nvml.ProcessInfo) {
			for _, p := range list {
				if _, dup := index[p.Pid]; dup {
					// A process with both contexts is listed once, as
					// compute; its memory is the same allocation.
					continue
				}
				mp := model.Process{PID: p.Pid, GPUIndex: d.index, Kind: kind}
				mp.GI, mp.CI = migIDs(s.MIGCurrent.OK && s.MIGCurrent.V == 1, p) // mig.go
				if p.UsedGpuMemory != valueNotAvailable {
					mp.UsedMemory.Set(p.UsedGpuMemory)
				}
				index[p.Pid] = len(procs)
				procs = append(procs, mp)
			}
		}
	}
	h := d.handle
	if err := get(b, d, callComputeProcesses, h.GetComputeRunningProcesses, add("compute")); err != nil {
		return err
	}
	if err := get(b, d, callGraphicsProcesses, h.GetGraphicsRunningProcesses, add("graphics")); err != nil {
		return err
	}
	s.Processes = procs
	if len(procs) == 0 || d.skipped(callProcessUtilization) {
		return nil
	}

	since := d.lastProcTS
	if since == 0 {
		since = uint64(time.Now().Add(-firstWindow).UnixMicro())
	}
	t := b.begin()
	samples, ret := h.GetProcessUtilization(since)
	// NOT_FOUND: no process ran on the GPU in the window; SM util stays
	// unavailable rather than a guessed 0.
	ok, err := b.result(d, callProcessUtilization, ret, t)
	if !ok {
		return err
	}
	type acc struct {
		sum uint64
		n   uint64
	}
	sums := map[uint32]acc{}
	for _, smp := range samples {
		if smp.TimeStamp <= since {
			continue
		}
		d.lastProcTS = max(d.lastProcTS, smp.TimeStamp)
		a := sums[smp.Pid]
		a.sum += uint64(smp.SmUtil)
		a.n++
		sums[smp.Pid] = a
	}
	for pid, a := range sums {
		if i, ok := index[pid]; ok {
			procs[i].SMUtil.Set(uint32(a.sum / a.n))
		}
	}
	return nil
}
