package nvmlbackend

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// Hardware signals (model.Signals): read on the slow goroutine, under
// slowMu, on the tiers their cost allows (measured on 2x H200, see
// docs/performance.md "Hardware signals"):
//
//   - medium tier (every MediumEvery slow readings): a batched
//     GetFieldValues for the throttle-violation counters, the recovery
//     action and the PCIe replay counter; a second small batch for NVLink
//     throughput and error totals on GPUs with links; the encoder and
//     decoder utilisation (~15 µs each);
//   - rare tier: NVLink link states and remote ends (~90 µs a link); the
//     per-link error counters (a batch of 3 fields a link that cost 12 ms of
//     CPU for 18 links on H200) only on the first reading, when the totals
//     rose, or every perLinkEvery rare readings where there are no totals;
//     MIG instances when MIG is on;
//   - once: InfoROM validity (ValidateInforom costs ~70 ms of CPU on H200;
//     in the first seconds, staggered by GPU over the first slow readings)
//     and version, peer topology and P2P status.
//
// Between reads the last published *model.Signals is carried forward; it is
// never modified after publication.

// sigWindow is the span rates and throttle time are judged over.
const sigWindow = 60 * time.Second

// inforomSpread staggers the InfoROM validation over this many slow
// readings by GPU index.
const inforomSpread = 4

// perLinkEvery: without error totals, the per-link counters are read every
// perLinkEvery rare readings (a minute at the defaults).
const perLinkEvery = 6

// counterSpacing: the throttle-violation and PCIe replay counters are read
// on the first medium reading at least counterSpacing (less a second of
// tick jitter) after their previous read: every 15 s at the defaults. Three of them
// (thermal, HW thermal and HW power-brake slowdown) cost ~1.1-1.2 ms of CPU
// each on an H200, the replay counter 0.57 ms, the batch 2.1 ms (the
// others ~20 µs; measured 2026-11-30). They are cumulative, so reading them
// less often loses nothing: the minute's throttle time is the difference
// of two readings up to 15 s apart. The recovery action (69 µs) stays on
// every medium reading.
const counterSpacing = 15 * time.Second

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
	// The batches; fields that answered NOT_SUPPORTED are dropped. base:
	// the counters (every counterSpacing); rec: the recovery action; nvl:
	// NVLink totals; perLink: per-link errors.
	base, rec, nvl, perLink []nvml.FieldValue
	countersAt              time.Time // the counters' last read
	hist                    []sigPoint
	links                   []model.NVLink // state and remote end, from the rare tier
	peers                   []model.Peer
	peerBus                 map[int]string // NVML bus id of each peer
	mig                     []model.MIGInstance
	migProcs                []migProc // the instances' processes (mig.go)
	gpm                     gpmState  // per-instance utilisation (mig.go)
	inforomDone             bool
	inforomValid            model.Opt[bool]
	inforomVersion          string
	rareReads               int
	// Per-link error counters from the last per-link reading.
	linkErr          map[int][3]model.Opt[uint64]
	totalsAtLinkRead [4]model.Opt[uint64]
	// useErrorCounter: the DL error fields are unsupported; the older
	// per-link GetNvLinkErrorCounter is read instead.
	useErrorCounter bool
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
	counters bool // throttle and replay were read (every counterSpacing)
	throttle [len(throttleFields)]model.Opt[uint64]
	replay   model.Opt[uint64]
	recovery model.Opt[int]
	tx, rx   model.Opt[uint64]
	// NVLink error totals over every link: CRC flit, CRC data, replay,
	// recovery.
	totals [4]model.Opt[uint64]
}

// readSignals reads the tiers due on this slow reading and sets s.Signals.
func (b *Backend) readSignals(d *device, s *model.SlowSample, rare bool) error {
	st := &d.sig
	if !st.started {
		st.started = true
		st.linkCount = -1
	}
	changed := false
	if b.medium(d) || st.cur == nil {
		if err := b.readSignalsMedium(d); err != nil {
			return err
		}
		changed = true
	}
	if done, err := b.readInforomOnce(d); err != nil {
		return err
	} else if done {
		changed = true
	}
	if rare {
		st.rareReads++
		if err := b.readSignalsRare(d, s); err != nil {
			return err
		}
		changed = true
	}
	if changed || st.cur == nil {
		st.cur = b.publishSignals(d, s.Time)
	}
	s.Signals = st.cur
	b.attributeMIG(d, s) // processes to MIG instances (mig.go)
	return nil
}

// readSignalsRare: link states and per-link errors, peers, MIG.
func (b *Backend) readSignalsRare(d *device, s *model.SlowSample) error {
	st := &d.sig
	if st.peers == nil {
		if err := b.readPeers(d); err != nil {
			return err
		}
	}
	if err := b.readLinks(d); err != nil {
		return err
	}
	if s.MIGCurrent.OK && s.MIGCurrent.V == 1 {
		return b.readMIGInstances(d) // mig.go
	}
	b.dropMIG(d)
	return nil
}

// readInforomOnce validates the InfoROM and reads its version, once per
// session. ValidateInforom costs ~70 ms of CPU on an H200 (measured
// 2026-11-30, 69.8 and 70.4 ms) and holds NVML's lock meanwhile, so it is
// done in the first seconds, one GPU a slow reading (GPU i at reading
// 1+i%inforomSpread): at a 1 s slow tier it is over before a user looks at
// the numbers, and the other GPUs' fast readings never queue behind more
// than one of them.
func (b *Backend) readInforomOnce(d *device) (bool, error) {
	st := &d.sig
	if st.inforomDone || d.slowReads < 1+uint64(d.index%inforomSpread) {
		return false, nil
	}
	st.inforomDone = true
	h := d.handle
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
				return true, err
			}
		}
	}
	return true, get(b, d, callInforomVersion, h.GetInforomImageVersion,
		func(v string) { st.inforomVersion = printable(v) })
}

// printable drops control characters from a string the driver gave: a
// published reading is shared and never rewritten later, so it is clean
// from the start.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
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

// p2pStatusName renders NVML's P2P status.
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

// readPeers asks, once, how this GPU reaches every other one. The PCIe
// path is kept in Topology; NVLink reachability in P2PNVLink (the peer
// name "NV<n>" is made when the links are known, in publishSignals).
func (b *Backend) readPeers(d *device) error {
	st := &d.sig
	st.peers = []model.Peer{}
	for _, o := range b.devices {
		if o == d || o.broken != nil {
			continue
		}
		p := model.Peer{GPU: o.index}
		if pci, ret := o.handle.GetPciInfo(); ret == nvml.SUCCESS {
			if st.peerBus == nil {
				st.peerBus = map[int]string{}
			}
			st.peerBus[o.index] = busID(pci)
		}
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
		st.peers = append(st.peers, p)
	}
	return nil
}

// readLinks reads each link's state and remote end, and the per-link
// error counters when they are due.
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
		if !ok {
			continue
		}
		link := model.NVLink{Link: l, State: "inactive"}
		if state == nvml.FEATURE_ENABLED {
			link.State = "active"
			if err := get(b, d, callNvLinkRemote, func() (nvml.PciInfo, nvml.Return) { return d.handle.GetNvLinkRemotePciInfo(l) },
				func(p nvml.PciInfo) { link.Remote = printable(cString(p.BusId[:])) }); err != nil {
				return err
			}
		}
		links = append(links, link)
	}
	st.links = links
	if len(links) == 0 || !b.perLinkDue(d) {
		return nil
	}
	var last [4]model.Opt[uint64]
	if len(st.hist) > 0 {
		last = st.hist[len(st.hist)-1].totals
	}
	var err error
	if st.useErrorCounter {
		err = b.readLegacyLinkErrors(d)
	} else {
		err = b.readPerLinkFields(d)
	}
	st.totalsAtLinkRead = last
	return err
}

// perLinkDue: the per-link counters are costly; read them first, then
// when the totals rose since, or every perLinkEvery rare readings where
// there are no totals.
func (b *Backend) perLinkDue(d *device) bool {
	st := &d.sig
	if st.linkErr == nil {
		return true
	}
	if len(st.hist) == 0 {
		return false
	}
	cur := st.hist[len(st.hist)-1].totals
	anyTotal := false
	for i, c := range cur {
		if !c.OK {
			continue
		}
		anyTotal = true
		if was := st.totalsAtLinkRead[i]; !was.OK || c.V != was.V {
			return true
		}
	}
	return !anyTotal && st.rareReads%perLinkEvery == 0
}

func (st *sigState) storeLinkErr(m map[int][3]model.Opt[uint64]) { st.linkErr = m }

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
	st.storeLinkErr(out)
	return nil
}

// readPerLinkFields reads the DL error fields of every link in one batch;
// if the driver has none of them, it falls back to the older call.
func (b *Backend) readPerLinkFields(d *device) error {
	st := &d.sig
	if st.perLink == nil {
		for _, l := range st.links {
			for _, id := range [...]uint32{nvml.FI_DEV_NVLINK_ERROR_DL_CRC, nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY, nvml.FI_DEV_NVLINK_ERROR_DL_RECOVERY} {
				st.perLink = append(st.perLink, nvml.FieldValue{FieldId: id, ScopeId: uint32(l.Link)})
			}
		}
	}
	out := map[int][3]model.Opt[uint64]{}
	n := len(st.perLink)
	kept, err := b.readBatch(d, callNvLinkLinkFields, &st.perLink, func(fv nvml.FieldValue, v uint64) {
		e := out[int(fv.ScopeId)]
		switch fv.FieldId {
		case nvml.FI_DEV_NVLINK_ERROR_DL_CRC:
			e[0].Set(v)
		case nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY:
			e[1].Set(v)
		default:
			e[2].Set(v)
		}
		out[int(fv.ScopeId)] = e
	})
	if err != nil {
		return err
	}
	if n > 0 && kept == 0 {
		st.useErrorCounter = true
		return b.readLegacyLinkErrors(d)
	}
	st.storeLinkErr(out)
	return nil
}

// readBatch asks one batch of fields, hands each successful value to use,
// drops the fields that will never answer, and returns how many remain.
func (b *Backend) readBatch(d *device, k callKind, fields *[]nvml.FieldValue, use func(nvml.FieldValue, uint64)) (int, error) {
	f := *fields
	if len(f) == 0 || d.skipped(k) {
		return len(f), nil
	}
	for i := range f {
		f[i].NvmlReturn, f[i].ValueType, f[i].Value = uint32(nvml.ERROR_UNKNOWN), 0, [8]byte{}
	}
	t := b.begin()
	ret := d.handle.GetFieldValues(f)
	ok, err := b.result(d, k, ret, t)
	if !ok {
		return len(f), err
	}
	keep := f[:0]
	for _, fv := range f {
		r := nvml.Return(fv.NvmlReturn)
		if r != nvml.SUCCESS {
			if !neverAgain(r) {
				keep = append(keep, fv)
			}
			continue
		}
		keep = append(keep, fv)
		if v, ok := fieldValue(fv.ValueType, fv.Value); ok && v >= 0 {
			use(fv, uint64(v))
		}
	}
	*fields = keep
	return len(keep), nil
}

// buildFields builds the medium tier's batches once the link count is known.
func (st *sigState) buildFields() {
	st.base = make([]nvml.FieldValue, 0, len(throttleFields)+2)
	for _, tf := range throttleFields {
		st.base = append(st.base, nvml.FieldValue{FieldId: tf.id})
	}
	st.base = append(st.base, nvml.FieldValue{FieldId: nvml.FI_DEV_PCIE_REPLAY_COUNTER})
	st.rec = []nvml.FieldValue{{FieldId: nvml.FI_DEV_GET_GPU_RECOVERY_ACTION}}
	if st.linkCount > 0 {
		st.nvl = []nvml.FieldValue{
			{FieldId: nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_TX, ScopeId: scopeAll},
			{FieldId: nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_RX, ScopeId: scopeAll},
			{FieldId: nvml.FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL},
			{FieldId: nvml.FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL},
			{FieldId: nvml.FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL},
			{FieldId: nvml.FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL},
		}
	}
}

// readSignalsMedium reads the batched counters.
func (b *Backend) readSignalsMedium(d *device) error {
	st := &d.sig
	if st.linkCount < 0 {
		st.linkCount = 0
		if !d.skipped(callSignalFields) {
			// First time: how many links? One field, once.
			fv := []nvml.FieldValue{{FieldId: nvml.FI_DEV_NVLINK_LINK_COUNT}}
			t := b.begin()
			ret := d.handle.GetFieldValues(fv)
			ok, err := b.result(d, callSignalFields, ret, t)
			if err != nil {
				return err
			}
			if ok && nvml.Return(fv[0].NvmlReturn) == nvml.SUCCESS {
				if v, ok := fieldValue(fv[0].ValueType, fv[0].Value); ok && v > 0 && v <= nvml.NVLINK_MAX_LINKS {
					st.linkCount = int(v)
				}
			}
		}
		st.buildFields()
	}
	p := sigPoint{at: st.now()}
	p.counters = st.countersAt.IsZero() || p.at.Sub(st.countersAt) >= counterSpacing-time.Second
	if _, err := b.readBatch(d, callSignalFields, &st.rec, func(fv nvml.FieldValue, v uint64) {
		p.recovery = model.Some(int(v))
	}); err != nil {
		return err
	}
	// Without them this time, publishSignals uses the newest reading that
	// has them.
	if !p.counters {
		return b.readNvLinkTotals(d, &p)
	}
	st.countersAt = p.at
	if _, err := b.readBatch(d, callSignalFields, &st.base, func(fv nvml.FieldValue, v uint64) {
		switch fv.FieldId {
		case nvml.FI_DEV_PCIE_REPLAY_COUNTER:
			p.replay.Set(v)
		default:
			for i, tf := range throttleFields {
				if tf.id == fv.FieldId {
					p.throttle[i].Set(v)
				}
			}
		}
	}); err != nil {
		return err
	}
	return b.readNvLinkTotals(d, &p)
}

// readNvLinkTotals reads the NVLink batch into p and appends p to the
// history.
func (b *Backend) readNvLinkTotals(d *device, p *sigPoint) error {
	st := &d.sig
	if _, err := b.readBatch(d, callNvLinkFields, &st.nvl, func(fv nvml.FieldValue, v uint64) {
		switch fv.FieldId {
		case nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_TX:
			p.tx.Set(v)
		case nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_RX:
			p.rx.Set(v)
		case nvml.FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL:
			p.totals[0].Set(v)
		case nvml.FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL:
			p.totals[1].Set(v)
		case nvml.FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL:
			p.totals[2].Set(v)
		case nvml.FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL:
			p.totals[3].Set(v)
		}
	}); err != nil {
		return err
	}
	st.hist = append(st.hist, *p)
	if len(st.hist) > sigHistory {
		st.hist = append(st.hist[:0], st.hist[len(st.hist)-sigHistory:]...)
	}
	return nil
}

// rateOf is (a-b)/dt, unavailable when either is or the counter went back.
func rateOf(a, b model.Opt[uint64], dt float64) model.Opt[float64] {
	if !a.OK || !b.OK || a.V < b.V || dt <= 0 {
		return model.Opt[float64]{}
	}
	return model.Some(float64(a.V-b.V) / dt)
}

// publishSignals builds a new immutable reading from the state.
func (b *Backend) publishSignals(d *device, ts model.Timestamp) *model.Signals {
	st := &d.sig
	sg := &model.Signals{Time: ts, InfoROMValid: st.inforomValid, InfoROMVersion: st.inforomVersion}
	if len(st.mig) > 0 {
		sg.MIG, sg.MIGUtilNote = st.mig, st.gpm.note
	}
	if err := b.readCodecs(d, sg); err != nil {
		b.log.Debug("nvml: encoder/decoder", "gpu", d.index, "err", err)
	}
	// Links with their counters from the last per-link read.
	if len(st.links) > 0 {
		links := make([]model.NVLink, len(st.links))
		copy(links, st.links)
		for i := range links {
			l := &links[i]
			if cur, ok := st.linkErr[l.Link]; ok {
				l.CRC, l.Replay, l.Recovery = cur[0], cur[1], cur[2]
			}
		}
		sg.NVLinks = links
	}
	if len(st.peers) > 0 {
		sg.Peers = make([]model.Peer, len(st.peers))
		copy(sg.Peers, st.peers)
		for i := range sg.Peers {
			sg.Peers[i].Topology = b.peerTopology(d, sg.Peers[i])
		}
	}
	if len(st.hist) == 0 {
		return sg
	}
	last := st.hist[len(st.hist)-1]
	sg.RecoveryAction = last.recovery
	// The counters: the newest reading that has them, and the window's
	// start, the oldest such reading no older than sigWindow.
	var lastC, first sigPoint
	for i := len(st.hist) - 1; i >= 0; i-- {
		if st.hist[i].counters {
			lastC = st.hist[i]
			break
		}
	}
	first = lastC
	for _, p := range st.hist {
		if p.counters && lastC.at.Sub(p.at) <= sigWindow+time.Second {
			first = p
			break
		}
	}
	win := lastC.at.Sub(first.at)
	for i, tf := range throttleFields {
		if !lastC.throttle[i].OK {
			continue
		}
		c := model.ThrottleCounter{Reason: tf.reason, TotalNs: lastC.throttle[i].V}
		if win > 0 && first.throttle[i].OK && lastC.throttle[i].V >= first.throttle[i].V {
			c.Window.Set(lastC.throttle[i].V - first.throttle[i].V)
		}
		sg.Throttle = append(sg.Throttle, c)
	}
	if win > 0 {
		sg.ThrottleWindowS = win.Seconds()
		if r := rateOf(lastC.replay, first.replay, win.Minutes()); r.OK {
			sg.PCIeReplayPerMin = r
			sg.ReplayWindowS = win.Seconds()
		}
	}
	// Throughput and error-total rates: between the last two readings.
	if len(st.hist) >= 2 {
		prev := st.hist[len(st.hist)-2]
		dt := last.at.Sub(prev.at).Seconds()
		if r := rateOf(last.tx, prev.tx, dt); r.OK {
			sg.NVLinkTxKBps.Set(uint64(r.V * 1.024)) // KiB/s to kB/s
		}
		if r := rateOf(last.rx, prev.rx, dt); r.OK {
			sg.NVLinkRxKBps.Set(uint64(r.V * 1.024))
		}
		crc := rateOf(last.totals[0], prev.totals[0], dt)
		if data := rateOf(last.totals[1], prev.totals[1], dt); data.OK {
			crc.V += data.V
			crc.OK = true
		}
		sg.NVLinkCRCPerS = crc
		sg.NVLinkReplayPerS = rateOf(last.totals[2], prev.totals[2], dt)
		sg.NVLinkRecoveryPerS = rateOf(last.totals[3], prev.totals[3], dt)
	}
	for i, t := range last.totals {
		if t.OK {
			sg.NVLinkErrorTotals[i] = t
		}
	}
	return sg
}

// peerTopology is nvidia-smi topo -m's name for the path to a peer: NV<n>
// over n NVLinks (counted by remote end when the remote is that GPU, else
// every active link, as through an NVSwitch), else the PCIe path.
func (b *Backend) peerTopology(d *device, p model.Peer) string {
	if p.P2PNVLink != "OK" {
		return p.Topology
	}
	st := &d.sig
	peerBus := st.peerBus[p.GPU]
	direct, active := 0, 0
	for _, l := range st.links {
		if l.State != "active" {
			continue
		}
		active++
		if peerBus != "" && strings.EqualFold(l.Remote, peerBus) {
			direct++
		}
	}
	switch {
	case direct > 0:
		return fmt.Sprintf("NV%d", direct)
	case active > 0:
		return fmt.Sprintf("NV%d", active)
	}
	return "NV"
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
