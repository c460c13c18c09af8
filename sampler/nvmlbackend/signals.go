package nvmlbackend

import (
	"fmt"
	"math"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// Hardware signals (model.Signals): read on the slow goroutine, under
// slowMu, on the tiers their cost allows (measured on 2x H200, see
// docs/performance.md):
//
//   - medium tier (every MediumEvery slow readings): one batched
//     GetFieldValues for the throttle-violation counters, the recovery
//     action, the PCIe replay counter, NVLink throughput and the per-link
//     error counters; the encoder and decoder utilisation;
//   - rare tier: NVLink link states and remote ends, MIG instances;
//   - once (first rare reading), then every inforomEvery rare readings:
//     InfoROM validity and version; peer topology and P2P status once.
//
// Between reads the last published *model.Signals is carried forward; it is
// never modified after publication.

// sigWindow is the span rates and throttle time are judged over.
const sigWindow = 60 * time.Second

// inforomEvery: ValidateInforom walks the InfoROM; once in a while suffices.
const inforomEvery = 60

// sigHistory bounds the readings kept for the window (medium tier every 5 s:
// 13 covers a minute; more only if MediumEvery is set lower).
const sigHistory = 32

// throttleFields maps the violation counters to model reasons. The perf
// policy counters (74-79) exist since Kepler-era NVML; the slowdown ones
// (270, 271) are newer and answer NOT_SUPPORTED on older drivers.
var throttleFields = [...]struct {
	id     uint32
	reason string
}{
	{nvml.FI_DEV_PERF_POLICY_POWER, "power"},
	{nvml.FI_DEV_PERF_POLICY_THERMAL, "thermal"},
	{nvml.FI_DEV_PERF_POLICY_RELIABILITY, "reliability"},
	{nvml.FI_DEV_PERF_POLICY_BOARD_LIMIT, "board_limit"},
	{nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_THERM_SLOWDOWN, "hw_thermal"},
	{nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN, "hw_power_brake"},
	{nvml.FI_DEV_PERF_POLICY_LOW_UTILIZATION, "low_utilization"},
	{nvml.FI_DEV_PERF_POLICY_SYNC_BOOST, "sync_boost"},
}

// scopeAll is NVML's "every link" scope (UINT_MAX).
const scopeAll = math.MaxUint32

// sigState is a device's signal-reading state (guarded by slowMu).
type sigState struct {
	cur       *model.Signals // last published reading
	started   bool
	linkCount int // -1: unknown
	// fields is the batch asked on the medium tier; fields that answered
	// NOT_SUPPORTED are dropped from it.
	fields []nvml.FieldValue
	hist   []sigPoint
	links  []model.NVLink // state and remote end, from the rare tier
	peers  []model.Peer
	mig    []model.MIGInstance
	// inforom carries the InfoROM answer between its reads.
	inforomValid   model.Opt[bool]
	inforomVersion string
	rareReads      int
	// useErrorCounter: the DL error fields are unsupported; the older
	// per-link GetNvLinkErrorCounter is read on the rare tier instead.
	useErrorCounter bool
	legacyErr       map[int][3]model.Opt[uint64]
	// clock is time.Now unless a test sets it.
	clock func() time.Time
}

func (st *sigState) now() time.Time {
	if st.clock != nil {
		return st.clock()
	}
	return time.Now()
}

// sigPoint is one medium-tier reading of the counters.
type sigPoint struct {
	at       time.Time
	throttle [len(throttleFields)]model.Opt[uint64]
	replay   model.Opt[uint64]
	recovery model.Opt[int]
	tx, rx   model.Opt[uint64]
	// per link: CRC, replay, recovery.
	linkErr map[int][3]model.Opt[uint64]
}

// readSignals reads the tiers due on this slow reading and sets s.Signals.
func (b *Backend) readSignals(d *device, s *model.SlowSample, rare bool) error {
	st := &d.sig
	if !st.started {
		st.started = true
		st.linkCount = -1
	}
	changed := false
	if rare {
		st.rareReads++
		if err := b.readSignalsRare(d, s); err != nil {
			return err
		}
		changed = true
	}
	if b.medium(d) || st.cur == nil {
		if err := b.readSignalsMedium(d); err != nil {
			return err
		}
		changed = true
	}
	if changed || st.cur == nil {
		st.cur = b.publishSignals(d, s.Time)
	}
	s.Signals = st.cur
	return nil
}

// readSignalsRare: link states, InfoROM, peers, MIG instances.
func (b *Backend) readSignalsRare(d *device, s *model.SlowSample) error {
	st := &d.sig
	h := d.handle
	if st.rareReads == 1 || st.rareReads%inforomEvery == 0 {
		if !d.skipped(callInforomValidate) {
			t := b.begin()
			ret := h.ValidateInforom()
			switch {
			case ret == nvml.SUCCESS:
				b.countCall(d, callInforomValidate, t)
				st.inforomValid = model.Some(true)
			case ret == nvml.ERROR_CORRUPTED_INFOROM:
				b.countCall(d, callInforomValidate, t)
				st.inforomValid = model.Some(false)
			default:
				if _, err := b.result(d, callInforomValidate, ret, t); err != nil {
					return err
				}
			}
		}
		if err := get(b, d, callInforomVersion, h.GetInforomImageVersion,
			func(v string) { st.inforomVersion = v }); err != nil {
			return err
		}
	}
	if st.peers == nil {
		if err := b.readPeers(d); err != nil {
			return err
		}
	}
	if err := b.readLinks(d); err != nil {
		return err
	}
	if s.MIGCurrent.OK && s.MIGCurrent.V == 1 {
		return b.readMIGInstances(d)
	}
	st.mig = nil
	return nil
}

// countCall records a call's cost without judging its answer.
func (b *Backend) countCall(d *device, k callKind, started time.Duration) {
	if b.opts.CallStats {
		c := &d.stats[k]
		c.count.Add(1)
		c.nanos.Add(uint64(time.Since(b.epoch) - started))
	}
}

var topologyNames = map[nvml.GpuTopologyLevel]string{
	nvml.TOPOLOGY_INTERNAL:   "SELF",
	nvml.TOPOLOGY_SINGLE:     "PIX",
	nvml.TOPOLOGY_MULTIPLE:   "PXB",
	nvml.TOPOLOGY_HOSTBRIDGE: "PHB",
	nvml.TOPOLOGY_NODE:       "NODE",
	nvml.TOPOLOGY_SYSTEM:     "SYS",
}

// P2PStatusName renders NVML's P2P status.
func p2pStatusName(s nvml.GpuP2PStatus) string {
	switch s {
	case nvml.P2P_STATUS_OK:
		return "OK"
	case nvml.P2P_STATUS_CHIPSET_NOT_SUPPORTED:
		return "chipset not supported"
	case nvml.P2P_STATUS_GPU_NOT_SUPPORTED:
		return "GPU not supported"
	case nvml.P2P_STATUS_IOH_TOPOLOGY_NOT_SUPPORTED:
		return "IOH topology not supported"
	case nvml.P2P_STATUS_DISABLED_BY_REGKEY:
		return "disabled by regkey"
	case nvml.P2P_STATUS_NOT_SUPPORTED:
		return "not supported"
	}
	return "unknown"
}

// readPeers asks, once, how this GPU reaches every other one.
func (b *Backend) readPeers(d *device) error {
	st := &d.sig
	st.peers = []model.Peer{}
	for _, o := range b.devices {
		if o == d || o.broken != nil {
			continue
		}
		p := model.Peer{GPU: o.index}
		if err := get(b, d, callTopology, func() (nvml.GpuTopologyLevel, nvml.Return) {
			return d.handle.GetTopologyCommonAncestor(o.handle)
		}, func(v nvml.GpuTopologyLevel) { p.Topology = topologyNames[v] }); err != nil {
			return err
		}
		if err := get(b, d, callP2PStatus, func() (nvml.GpuP2PStatus, nvml.Return) {
			return d.handle.GetP2PStatus(o.handle, nvml.P2P_CAPS_INDEX_READ)
		}, func(v nvml.GpuP2PStatus) { p.P2PRead = p2pStatusName(v) }); err != nil {
			return err
		}
		if err := get(b, d, callP2PStatus, func() (nvml.GpuP2PStatus, nvml.Return) {
			return d.handle.GetP2PStatus(o.handle, nvml.P2P_CAPS_INDEX_NVLINK)
		}, func(v nvml.GpuP2PStatus) { p.P2PNVLink = p2pStatusName(v) }); err != nil {
			return err
		}
		if p.P2PNVLink == "OK" {
			p.Topology = "NV"
		}
		st.peers = append(st.peers, p)
	}
	return nil
}

// readLinks reads each link's state and remote end.
func (b *Backend) readLinks(d *device) error {
	st := &d.sig
	if d.skipped(callNvLinkState) || st.linkCount == 0 {
		st.links = nil
		return nil
	}
	n := st.linkCount
	probing := n < 0
	if probing {
		n = 18 // NVLink 4 (Hopper) has 18; stop at the first link that does not exist
	}
	links := make([]model.NVLink, 0, n)
	for l := range n {
		if d.skipped(callNvLinkState) {
			break
		}
		t := b.begin()
		state, ret := d.handle.GetNvLinkState(l)
		if ret == nvml.ERROR_INVALID_ARGUMENT {
			b.countCall(d, callNvLinkState, t)
			if probing {
				break
			}
			continue
		}
		ok, err := b.result(d, callNvLinkState, ret, t)
		if err != nil {
			return err
		}
		link := model.NVLink{Link: l}
		if ok {
			if state == nvml.FEATURE_ENABLED {
				link.State = "active"
			} else {
				link.State = "inactive"
			}
		}
		if link.State == "active" {
			if err := get(b, d, callNvLinkRemote, func() (nvml.PciInfo, nvml.Return) { return d.handle.GetNvLinkRemotePciInfo(l) },
				func(p nvml.PciInfo) { link.Remote = cString(p.BusId[:]) }); err != nil {
				return err
			}
		}
		if ok {
			links = append(links, link)
		}
	}
	st.links = links
	if st.useErrorCounter {
		return b.readLegacyLinkErrors(d)
	}
	return nil
}

// readLegacyLinkErrors reads the per-link counters with the older call,
// for drivers without the DL error fields.
func (b *Backend) readLegacyLinkErrors(d *device) error {
	st := &d.sig
	out := map[int][3]model.Opt[uint64]{}
	kinds := [3]nvml.NvLinkErrorCounter{nvml.NVLINK_ERROR_DL_CRC_FLIT, nvml.NVLINK_ERROR_DL_REPLAY, nvml.NVLINK_ERROR_DL_RECOVERY}
	for _, l := range st.links {
		if l.State != "active" {
			continue
		}
		var v [3]model.Opt[uint64]
		for i, k := range kinds {
			if err := get(b, d, callNvLinkErrors, func() (uint64, nvml.Return) { return d.handle.GetNvLinkErrorCounter(l.Link, k) },
				func(x uint64) { v[i].Set(x) }); err != nil {
				return err
			}
		}
		out[l.Link] = v
	}
	st.legacyErr = out
	return nil
}

// buildFields builds the medium tier's batch once the link count is known.
func (st *sigState) buildFields() {
	f := make([]nvml.FieldValue, 0, len(throttleFields)+4+3*max(st.linkCount, 0))
	for _, tf := range throttleFields {
		f = append(f, nvml.FieldValue{FieldId: tf.id})
	}
	f = append(f,
		nvml.FieldValue{FieldId: nvml.FI_DEV_GET_GPU_RECOVERY_ACTION},
		nvml.FieldValue{FieldId: nvml.FI_DEV_PCIE_REPLAY_COUNTER},
	)
	if st.linkCount > 0 {
		f = append(f,
			nvml.FieldValue{FieldId: nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_TX, ScopeId: scopeAll},
			nvml.FieldValue{FieldId: nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_RX, ScopeId: scopeAll},
		)
		for l := range st.linkCount {
			f = append(f,
				nvml.FieldValue{FieldId: nvml.FI_DEV_NVLINK_ERROR_DL_CRC, ScopeId: uint32(l)},
				nvml.FieldValue{FieldId: nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY, ScopeId: uint32(l)},
				nvml.FieldValue{FieldId: nvml.FI_DEV_NVLINK_ERROR_DL_RECOVERY, ScopeId: uint32(l)},
			)
		}
	}
	st.fields = f
}

// readSignalsMedium reads the batched counters and the encoder/decoder.
func (b *Backend) readSignalsMedium(d *device) error {
	st := &d.sig
	h := d.handle
	if st.linkCount < 0 && !d.skipped(callSignalFields) {
		// First time: how many links? One field, once.
		fv := []nvml.FieldValue{{FieldId: nvml.FI_DEV_NVLINK_LINK_COUNT}}
		t := b.begin()
		ret := h.GetFieldValues(fv)
		ok, err := b.result(d, callSignalFields, ret, t)
		if err != nil {
			return err
		}
		st.linkCount = 0
		if ok && nvml.Return(fv[0].NvmlReturn) == nvml.SUCCESS {
			if v, ok := fieldValue(fv[0].ValueType, fv[0].Value); ok && v > 0 && v <= nvml.NVLINK_MAX_LINKS {
				st.linkCount = int(v)
			}
		}
		st.buildFields()
	}
	p := sigPoint{at: st.now()}
	if len(st.fields) > 0 && !d.skipped(callSignalFields) {
		for i := range st.fields {
			st.fields[i].NvmlReturn, st.fields[i].ValueType, st.fields[i].Value = 0, 0, [8]byte{}
		}
		t := b.begin()
		ret := h.GetFieldValues(st.fields)
		ok, err := b.result(d, callSignalFields, ret, t)
		if err != nil {
			return err
		}
		if ok {
			b.decodeFields(d, &p)
		}
	}
	st.hist = append(st.hist, p)
	if len(st.hist) > sigHistory {
		st.hist = append(st.hist[:0], st.hist[len(st.hist)-sigHistory:]...)
	}
	return nil
}

// decodeFields stores the batch's answers in p and drops the fields that
// will never answer.
func (b *Backend) decodeFields(d *device, p *sigPoint) {
	st := &d.sig
	keep := st.fields[:0]
	dlErrors, dlUnsupported := 0, 0
	for _, fv := range st.fields {
		ret := nvml.Return(fv.NvmlReturn)
		isDL := fv.FieldId == nvml.FI_DEV_NVLINK_ERROR_DL_CRC || fv.FieldId == nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY || fv.FieldId == nvml.FI_DEV_NVLINK_ERROR_DL_RECOVERY
		if isDL {
			dlErrors++
		}
		if ret != nvml.SUCCESS {
			if neverAgain(ret) {
				if isDL {
					dlUnsupported++
				}
				continue
			}
			keep = append(keep, fv)
			continue
		}
		keep = append(keep, fv)
		v, ok := fieldValue(fv.ValueType, fv.Value)
		if !ok || v < 0 {
			continue
		}
		u := uint64(v)
		switch fv.FieldId {
		case nvml.FI_DEV_GET_GPU_RECOVERY_ACTION:
			p.recovery = model.Some(int(u))
		case nvml.FI_DEV_PCIE_REPLAY_COUNTER:
			p.replay.Set(u)
		case nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_TX:
			p.tx.Set(u)
		case nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_RX:
			p.rx.Set(u)
		case nvml.FI_DEV_NVLINK_ERROR_DL_CRC, nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY, nvml.FI_DEV_NVLINK_ERROR_DL_RECOVERY:
			if p.linkErr == nil {
				p.linkErr = map[int][3]model.Opt[uint64]{}
			}
			e := p.linkErr[int(fv.ScopeId)]
			switch fv.FieldId {
			case nvml.FI_DEV_NVLINK_ERROR_DL_CRC:
				e[0].Set(u)
			case nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY:
				e[1].Set(u)
			default:
				e[2].Set(u)
			}
			p.linkErr[int(fv.ScopeId)] = e
		default:
			for i, tf := range throttleFields {
				if tf.id == fv.FieldId {
					p.throttle[i].Set(u)
				}
			}
		}
	}
	st.fields = keep
	if dlErrors > 0 && dlUnsupported == dlErrors {
		st.useErrorCounter = true
	}
}

// publishSignals builds a new immutable reading from the state.
func (b *Backend) publishSignals(d *device, ts model.Timestamp) *model.Signals {
	st := &d.sig
	sg := &model.Signals{Time: ts, InfoROMValid: st.inforomValid, InfoROMVersion: st.inforomVersion}
	if len(st.peers) > 0 {
		sg.Peers = st.peers
	}
	if len(st.mig) > 0 {
		sg.MIG = st.mig
	}
	if err := b.readCodecs(d, sg); err != nil {
		b.log.Debug("nvml: encoder/decoder", "gpu", d.index, "err", err)
	}
	if len(st.hist) == 0 {
		sg.NVLinks = append([]model.NVLink(nil), st.links...)
		return sg
	}
	last := st.hist[len(st.hist)-1]
	sg.RecoveryAction = last.recovery
	// The window's start: the oldest reading no older than sigWindow.
	first := last
	for _, p := range st.hist {
		if last.at.Sub(p.at) <= sigWindow+time.Second {
			first = p
			break
		}
	}
	win := last.at.Sub(first.at)
	for i, tf := range throttleFields {
		if !last.throttle[i].OK {
			continue
		}
		c := model.ThrottleCounter{Reason: tf.reason, TotalNs: last.throttle[i].V}
		if win > 0 && first.throttle[i].OK && last.throttle[i].V >= first.throttle[i].V {
			c.Window.Set(last.throttle[i].V - first.throttle[i].V)
		}
		sg.Throttle = append(sg.Throttle, c)
	}
	if win > 0 {
		sg.ThrottleWindowS = win.Seconds()
		if last.replay.OK && first.replay.OK && last.replay.V >= first.replay.V {
			sg.PCIeReplayPerMin.Set(float64(last.replay.V-first.replay.V) / win.Minutes())
			sg.ReplayWindowS = win.Seconds()
		}
	}
	// Throughput and error rates: between the last two readings.
	if len(st.hist) >= 2 {
		prev := st.hist[len(st.hist)-2]
		if dt := last.at.Sub(prev.at).Seconds(); dt > 0 {
			if last.tx.OK && prev.tx.OK && last.tx.V >= prev.tx.V {
				sg.NVLinkTxKBps.Set(uint64(float64(last.tx.V-prev.tx.V) * 1.024 / dt))
			}
			if last.rx.OK && prev.rx.OK && last.rx.V >= prev.rx.V {
				sg.NVLinkRxKBps.Set(uint64(float64(last.rx.V-prev.rx.V) * 1.024 / dt))
			}
		}
	}
	links := make([]model.NVLink, len(st.links))
	copy(links, st.links)
	for i := range links {
		l := &links[i]
		cur, ok := last.linkErr[l.Link]
		if !ok && st.useErrorCounter {
			cur, ok = st.legacyErr[l.Link]
		}
		if !ok {
			continue
		}
		l.CRC, l.Replay, l.Recovery = cur[0], cur[1], cur[2]
		if len(st.hist) >= 2 {
			prev := st.hist[len(st.hist)-2]
			pe, ok := prev.linkErr[l.Link]
			dt := last.at.Sub(prev.at).Seconds()
			if ok && dt > 0 {
				rate := func(a, b model.Opt[uint64]) model.Opt[float64] {
					if !a.OK || !b.OK || a.V < b.V {
						return model.Opt[float64]{}
					}
					return model.Some(float64(a.V-b.V) / dt)
				}
				l.CRCPerS, l.ReplayPerS, l.RecoveryPerS = rate(cur[0], pe[0]), rate(cur[1], pe[1]), rate(cur[2], pe[2])
			}
		}
	}
	if len(links) > 0 {
		sg.NVLinks = links
	}
	return sg
}

// readCodecs reads the encoder and decoder utilisation.
func (b *Backend) readCodecs(d *device, sg *model.Signals) error {
	h := d.handle
	if err := get(b, d, callEncoderUtil, func() (uint32, nvml.Return) {
		u, _, ret := h.GetEncoderUtilization()
		return u, ret
	}, func(v uint32) { sg.EncoderUtil.Set(v) }); err != nil {
		return err
	}
	return get(b, d, callDecoderUtil, func() (uint32, nvml.Return) {
		u, _, ret := h.GetDecoderUtilization()
		return u, ret
	}, func(v uint32) { sg.DecoderUtil.Set(v) })
}

// readMIGInstances lists the MIG devices with their memory and processes.
func (b *Backend) readMIGInstances(d *device) error {
	st := &d.sig
	if d.skipped(callMigDevices) {
		st.mig = nil
		return nil
	}
	h := d.handle
	n, ret := h.GetMaxMigDeviceCount()
	if ret != nvml.SUCCESS || n <= 0 {
		st.mig = nil
		return nil
	}
	var out []model.MIGInstance
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
			inst.Name = v
		}
		if v, r := m.GetUUID(); r == nvml.SUCCESS {
			inst.UUID = v
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
		procs, r := m.GetComputeRunningProcesses()
		b.countCall(d, callMigProcesses, t)
		if r == nvml.SUCCESS {
			for _, p := range procs {
				inst.PIDs = append(inst.PIDs, p.Pid)
			}
		}
		out = append(out, inst)
	}
	st.mig = out
	return nil
}
