package nvmlbackend

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/gputop/gputop/model"
)

// sigFix is what the mock answers for the signals; tests change it between
// readings.
type sigFix struct {
	links       int  // NVLink count; 0: no NVLink
	down        int  // a link reported inactive, -1 none
	dlFields    bool // the DL error fields are supported
	power       uint64
	hwThermal   uint64
	replay      uint64
	recovery    int
	txKiB       uint64
	crc         uint64
	inforomBad  bool
	migInstance bool
}

func defaultSigFix() *sigFix { return &sigFix{links: 18, down: -1, dlFields: true} }

func putU64(fv *nvml.FieldValue, v uint64) {
	fv.ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_LONG_LONG)
	binary.NativeEndian.PutUint64(fv.Value[:], v)
	fv.NvmlReturn = uint32(nvml.SUCCESS)
}

// fillSignals installs the default answers on a dgxh100 mock device.
func fillSignals(d *server.Device, i int) { setSignals(d, i, defaultSigFix()) }

func setSignals(d *server.Device, i int, fx *sigFix) {
	d.ValidateInforomFunc = func() nvml.Return {
		if fx.inforomBad {
			return nvml.ERROR_CORRUPTED_INFOROM
		}
		return nvml.SUCCESS
	}
	d.GetInforomImageVersionFunc = func() (string, nvml.Return) { return "G520.0200.00.05", nvml.SUCCESS }
	d.GetNvLinkStateFunc = func(link int) (nvml.EnableState, nvml.Return) {
		if fx.links == 0 {
			return 0, nvml.ERROR_NOT_SUPPORTED
		}
		if link >= fx.links {
			return 0, nvml.ERROR_INVALID_ARGUMENT
		}
		if link == fx.down {
			return nvml.FEATURE_DISABLED, nvml.SUCCESS
		}
		return nvml.FEATURE_ENABLED, nvml.SUCCESS
	}
	d.GetNvLinkRemotePciInfoFunc = func(link int) (nvml.PciInfo, nvml.Return) {
		var p nvml.PciInfo
		for k, c := range "00000000:A0:00.0" {
			p.BusId[k] = int8(c)
		}
		return p, nvml.SUCCESS
	}
	d.GetNvLinkErrorCounterFunc = func(link int, c nvml.NvLinkErrorCounter) (uint64, nvml.Return) {
		if c == nvml.NVLINK_ERROR_DL_CRC_FLIT {
			return fx.crc, nvml.SUCCESS
		}
		return 0, nvml.SUCCESS
	}
	d.GetEncoderUtilizationFunc = func() (uint32, uint32, nvml.Return) { return 7, 167000, nvml.SUCCESS }
	d.GetDecoderUtilizationFunc = func() (uint32, uint32, nvml.Return) { return 11, 167000, nvml.SUCCESS }
	d.GetTopologyCommonAncestorFunc = func(nvml.Device) (nvml.GpuTopologyLevel, nvml.Return) {
		return nvml.TOPOLOGY_SYSTEM, nvml.SUCCESS
	}
	d.GetP2PStatusFunc = func(_ nvml.Device, idx nvml.GpuP2PCapsIndex) (nvml.GpuP2PStatus, nvml.Return) {
		if fx.links == 0 && idx == nvml.P2P_CAPS_INDEX_NVLINK {
			return nvml.P2P_STATUS_NOT_SUPPORTED, nvml.SUCCESS
		}
		return nvml.P2P_STATUS_OK, nvml.SUCCESS
	}
	d.GetMaxMigDeviceCountFunc = func() (int, nvml.Return) { return 7, nvml.SUCCESS }
	// No GPM unless a test installs it (mig_test.go).
	d.GpmQueryDeviceSupportFunc = func() (nvml.GpmSupport, nvml.Return) { return nvml.GpmSupport{}, nvml.ERROR_NOT_SUPPORTED }
	d.GetMigDeviceHandleByIndexFunc = func(idx int) (nvml.Device, nvml.Return) {
		if !fx.migInstance || idx != 0 {
			return nil, nvml.ERROR_NOT_FOUND
		}
		m := &mock.Device{
			GetGpuInstanceIdFunc:     func() (int, nvml.Return) { return 9, nvml.SUCCESS },
			GetComputeInstanceIdFunc: func() (int, nvml.Return) { return 0, nvml.SUCCESS },
			GetNameFunc:              func() (string, nvml.Return) { return "NVIDIA H100 80GB HBM3 MIG 1g.10gb", nvml.SUCCESS },
			GetUUIDFunc:              func() (string, nvml.Return) { return "MIG-0000", nvml.SUCCESS },
			GetMemoryInfoFunc: func() (nvml.Memory, nvml.Return) {
				return nvml.Memory{Total: 10 << 30, Used: 3 << 30}, nvml.SUCCESS
			},
			GetComputeRunningProcessesFunc: func() ([]nvml.ProcessInfo, nvml.Return) {
				return []nvml.ProcessInfo{{Pid: 4242}}, nvml.SUCCESS
			},
		}
		return m, nvml.SUCCESS
	}
	d.GetFieldValuesFunc = func(values []nvml.FieldValue) nvml.Return {
		for k := range values {
			fv := &values[k]
			fv.NvmlReturn = uint32(nvml.ERROR_NOT_SUPPORTED)
			switch fv.FieldId {
			case nvml.FI_DEV_MEMORY_TEMP:
				fv.ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_INT)
				binary.NativeEndian.PutUint32(fv.Value[:], fixMemTemp)
				fv.NvmlReturn = uint32(nvml.SUCCESS)
			case nvml.FI_DEV_NVLINK_LINK_COUNT:
				fv.ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_INT)
				binary.NativeEndian.PutUint32(fv.Value[:], uint32(fx.links))
				fv.NvmlReturn = uint32(nvml.SUCCESS)
			case nvml.FI_DEV_PERF_POLICY_POWER:
				putU64(fv, fx.power)
			case nvml.FI_DEV_PERF_POLICY_THERMAL, nvml.FI_DEV_PERF_POLICY_RELIABILITY, nvml.FI_DEV_PERF_POLICY_BOARD_LIMIT,
				nvml.FI_DEV_PERF_POLICY_LOW_UTILIZATION, nvml.FI_DEV_PERF_POLICY_SYNC_BOOST:
				putU64(fv, 0)
			case nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_THERM_SLOWDOWN:
				putU64(fv, fx.hwThermal)
			case nvml.FI_DEV_GET_GPU_RECOVERY_ACTION:
				putU64(fv, uint64(fx.recovery))
			case nvml.FI_DEV_PCIE_REPLAY_COUNTER:
				putU64(fv, fx.replay)
			case nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_TX:
				if fx.links > 0 && fv.ScopeId == scopeAll {
					putU64(fv, fx.txKiB)
				}
			case nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_RX:
				if fx.links > 0 && fv.ScopeId == scopeAll {
					putU64(fv, fx.txKiB/2)
				}
			case nvml.FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL:
				if fx.links > 0 {
					putU64(fv, fx.crc*uint64(fx.links))
				}
			case nvml.FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL, nvml.FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL, nvml.FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL:
				if fx.links > 0 {
					putU64(fv, 0)
				}
			case nvml.FI_DEV_NVLINK_ERROR_DL_CRC:
				if fx.dlFields && int(fv.ScopeId) < fx.links {
					putU64(fv, fx.crc)
				}
			case nvml.FI_DEV_NVLINK_ERROR_DL_REPLAY, nvml.FI_DEV_NVLINK_ERROR_DL_RECOVERY:
				if fx.dlFields && int(fv.ScopeId) < fx.links {
					putU64(fv, 0)
				}
			}
		}
		return nvml.SUCCESS
	}
}

// fakeClock is a settable clock for the signal windows.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// signalsBackend opens the mock fleet with every tier on every reading and
// a fake clock on GPU 0.
func signalsBackend(t *testing.T, fx *sigFix, medium int) (*Backend, *fakeClock) {
	t.Helper()
	b, _, devs, _ := openFleet(t, Options{RareEvery: 1, MediumEvery: medium, EnergyEvery: 1000, CallStats: true})
	setSignals(devs[0], 0, fx)
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	b.devices[0].sig.clock = clk.now
	return b, clk
}

func readSig(t *testing.T, b *Backend) *model.Signals {
	t.Helper()
	var s model.SlowSample
	if err := b.ReadSlow(0, &s); err != nil {
		t.Fatalf("ReadSlow: %v", err)
	}
	if s.Signals == nil {
		t.Fatal("no signals")
	}
	return s.Signals
}

func TestSignalsWindowAndLinks(t *testing.T) {
	fx := defaultSigFix()
	fx.down = 3
	b, clk := signalsBackend(t, fx, 1)
	readSig(t, b)
	clk.t = clk.t.Add(time.Minute)
	fx.power = 40e9 // throttled 40 s of the minute
	fx.replay = 16
	fx.txKiB = 60000
	sg := readSig(t, b)

	if !sg.InfoROMValid.OK || !sg.InfoROMValid.V || sg.InfoROMVersion == "" {
		t.Errorf("inforom: %+v %q", sg.InfoROMValid, sg.InfoROMVersion)
	}
	if !sg.RecoveryAction.OK || sg.RecoveryAction.V != 0 {
		t.Errorf("recovery: %+v", sg.RecoveryAction)
	}
	if sg.ThrottleWindowS != 60 {
		t.Errorf("window %v, want 60", sg.ThrottleWindowS)
	}
	var power *model.ThrottleCounter
	for i := range sg.Throttle {
		if sg.Throttle[i].Reason == "power" {
			power = &sg.Throttle[i]
		}
	}
	if power == nil || !power.Window.OK || power.Window.V != 40e9 {
		t.Errorf("power counter: %+v", power)
	}
	if !sg.PCIeReplayPerMin.OK || sg.PCIeReplayPerMin.V != 16 {
		t.Errorf("replay rate %+v, want 16/min", sg.PCIeReplayPerMin)
	}
	active, total := sg.ActiveLinks()
	if total != 18 || active != 17 || sg.NVLinks[3].State != "inactive" || sg.NVLinks[0].Remote != "00000000:A0:00.0" {
		t.Errorf("links %d/%d: %+v", active, total, sg.NVLinks[:4])
	}
	if !sg.NVLinks[0].CRC.OK {
		t.Errorf("link 0 CRC counter missing: %+v", sg.NVLinks[0])
	}
	// 60000 KiB over 60 s between the two readings.
	if !sg.NVLinkTxKBps.OK || sg.NVLinkTxKBps.V != 1024 {
		t.Errorf("NVLink TX %+v, want 1024 kB/s", sg.NVLinkTxKBps)
	}
	if !sg.EncoderUtil.OK || sg.EncoderUtil.V != 7 || sg.DecoderUtil.V != 11 {
		t.Errorf("codecs %+v %+v", sg.EncoderUtil, sg.DecoderUtil)
	}
	if len(sg.Peers) != 7 || sg.Peers[0].Topology != "NV17" || sg.Peers[0].P2PRead != "OK" {
		t.Errorf("peers %+v", sg.Peers)
	}
}

func TestSignalsCRCRateAndLegacyCounters(t *testing.T) {
	fx := defaultSigFix()
	fx.dlFields = false
	b, clk := signalsBackend(t, fx, 1)
	readSig(t, b)
	clk.t = clk.t.Add(5 * time.Second)
	fx.crc = 1000
	sg := readSig(t, b)
	if !b.devices[0].sig.useErrorCounter {
		t.Fatal("DL fields unsupported but the legacy counter is not used")
	}
	if l := sg.NVLinks[0]; !l.CRC.OK || l.CRC.V != 1000 {
		t.Errorf("legacy CRC %+v", l)
	}
	// With the fields: the totals rose, so the links are read again.
	fx2 := defaultSigFix()
	b2, clk2 := signalsBackend(t, fx2, 1)
	readSig(t, b2)
	clk2.t = clk2.t.Add(5 * time.Second)
	fx2.crc = 1000
	sg = readSig(t, b2)
	if l := sg.NVLinks[1]; !l.CRC.OK || l.CRC.V != 1000 {
		t.Errorf("link CRC %+v, want 1000 after the totals rose", l.CRC)
	}
	if !sg.NVLinkCRCPerS.OK || sg.NVLinkCRCPerS.V != 3600 {
		t.Errorf("total CRC rate %+v, want 18 links x 200/s", sg.NVLinkCRCPerS)
	}
	// Unchanged totals: the per-link batch is not asked again.
	calls := len(b2.devices[0].sig.perLink)
	before := perLinkReads(b2)
	clk2.t = clk2.t.Add(5 * time.Second)
	readSig(t, b2)
	if before != 2 {
		t.Errorf("per-link batch read %d times in two rare readings whose totals rose, want 2", before)
	}
	if after := perLinkReads(b2); after != before || calls != 54 {
		t.Errorf("per-link batch (%d fields) asked %d more times with unchanged totals", calls, after-before)
	}
}

// perLinkReads counts GPU 0's per-link batch calls.
func perLinkReads(b *Backend) int {
	return int(b.devices[0].stats[callNvLinkLinkFields].count.Load())
}

func TestSignalsNoNVLinkRecoveryInforomMIG(t *testing.T) {
	fx := defaultSigFix()
	fx.links = 0
	fx.recovery = model.RecoveryGPUReset
	fx.inforomBad = true
	fx.migInstance = true
	b, _, devs, _ := openFleet(t, Options{RareEvery: 1, MediumEvery: 1, EnergyEvery: 1000, CallStats: true})
	setSignals(devs[0], 0, fx)
	devs[0].GetMigModeFunc = func() (int, int, nvml.Return) { return 1, 1, nvml.SUCCESS }
	// The InfoROM is validated once, in the first seconds: GPU 0 on its
	// first slow reading, GPU 1 on its second (one ~70 ms validation at a
	// time holds NVML's lock), never again.
	if first := readSig(t, b); !first.InfoROMValid.OK || first.InfoROMValid.V {
		t.Errorf("GPU 0's corrupted InfoROM not judged on its first reading: %+v", first.InfoROMValid)
	}
	setSignals(devs[1], 1, defaultSigFix())
	var s1 model.SlowSample
	for n := 1; n <= 3; n++ {
		if err := b.ReadSlow(1, &s1); err != nil {
			t.Fatal(err)
		}
		if got := s1.Signals.InfoROMValid.OK; got != (n >= 2) {
			t.Errorf("GPU 1 reading %d: InfoROM validated %v, want from the 2nd reading on", n, got)
		}
	}
	if n := b.devices[1].stats[callInforomValidate].count.Load() + b.devices[0].stats[callInforomValidate].count.Load(); n != 2 {
		t.Errorf("ValidateInforom called %d times, want once per GPU", n)
	}
	sg := readSig(t, b)
	if len(sg.NVLinks) != 0 || sg.NVLinkTxKBps.OK {
		t.Errorf("a GPU without NVLink reports links: %+v", sg.NVLinks)
	}
	if sg.RecoveryAction.V != model.RecoveryGPUReset {
		t.Errorf("recovery %+v", sg.RecoveryAction)
	}
	if !sg.InfoROMValid.OK || sg.InfoROMValid.V {
		t.Errorf("corrupted InfoROM read as %+v", sg.InfoROMValid)
	}
	if len(sg.MIG) != 1 || sg.MIG[0].GI.V != 9 || sg.MIG[0].MemUsed.V != 3<<30 || len(sg.MIG[0].PIDs) != 1 {
		t.Errorf("MIG %+v", sg.MIG)
	}
	if sg.Peers[0].Topology != "SYS" || sg.Peers[0].P2PNVLink != "not supported" {
		t.Errorf("peer without NVLink %+v", sg.Peers[0])
	}
}

// Between medium readings the same immutable reading is carried forward.
func TestSignalsCarriedBetweenTiers(t *testing.T) {
	fx := defaultSigFix()
	b, _, devs, _ := openFleet(t, Options{RareEvery: 10, MediumEvery: 5, EnergyEvery: 1000})
	setSignals(devs[0], 0, fx)
	signalCalls := func() int {
		n := 0
		for _, c := range devs[0].GetFieldValuesCalls() {
			if c.FieldValues[0].FieldId != nvml.FI_DEV_MEMORY_TEMP {
				n++
			}
		}
		return n
	}
	first := readSig(t, b)
	calls := signalCalls()
	second := readSig(t, b)
	if first != second {
		t.Error("a reading between tiers is not the carried one")
	}
	// No signals batch is asked between tiers (only, perhaps, the memory
	// temperature of the slow tier).
	if got := signalCalls() - calls; got != 0 {
		t.Errorf("%d signals GetFieldValues calls between tiers, want 0", got)
	}
}

// A field that answers NOT_SUPPORTED is dropped from the batch.
func TestSignalsDropsUnsupportedFields(t *testing.T) {
	fx := defaultSigFix()
	b, _ := signalsBackend(t, fx, 1)
	readSig(t, b)
	for _, f := range b.devices[0].sig.base {
		if f.FieldId == nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN {
			t.Fatal("an unsupported field is still asked")
		}
	}
}

// The costly counters (throttle violation, PCIe replay: 2.1 ms a batch on
// an H200) are read every 15 s, the recovery action on every medium
// reading; the minute's throttle time is still the difference over the
// window, between counter readings.
func TestSignalCountersEvery15s(t *testing.T) {
	fx := defaultSigFix()
	b, clk := signalsBackend(t, fx, 1)
	inner := b.lib.(*server.Server).Devices[0].(*server.Device).GetFieldValuesFunc
	counterReads, recoveryReads := 0, 0
	b.lib.(*server.Server).Devices[0].(*server.Device).GetFieldValuesFunc = func(v []nvml.FieldValue) nvml.Return {
		for _, f := range v {
			switch f.FieldId {
			case nvml.FI_DEV_PERF_POLICY_THERMAL:
				counterReads++
			case nvml.FI_DEV_GET_GPU_RECOVERY_ACTION:
				recoveryReads++
			}
		}
		return inner(v)
	}
	var sg *model.Signals
	for i := 0; i <= 12; i++ { // a minute of medium readings 5 s apart
		if i > 0 {
			clk.t = clk.t.Add(5 * time.Second)
		}
		fx.power = uint64(i) * 5e9 * 2 / 3 // throttled 2/3 of the time
		sg = readSig(t, b)
	}
	if counterReads != 5 || recoveryReads != 13 {
		t.Errorf("in a minute: counters read %d times (want 5: every 15 s), recovery %d (want 13: every reading)", counterReads, recoveryReads)
	}
	if sg.ThrottleWindowS != 60 {
		t.Errorf("window %v s, want 60", sg.ThrottleWindowS)
	}
	for _, c := range sg.Throttle {
		if c.Reason == "power" && (!c.Window.OK || c.Window.V != 40e9) {
			t.Errorf("power throttle over the minute %+v, want 40 s", c.Window)
		}
	}
	// Between counter readings the published throttle figures stay those
	// of the last counter reading.
	clk.t = clk.t.Add(5 * time.Second)
	fx.power = 1e12
	if next := readSig(t, b); next.ThrottleWindowS != 60 || next.Throttle[0].TotalNs == 1e12 {
		t.Errorf("counters read again 5 s after: window %v, %+v", next.ThrottleWindowS, next.Throttle[0])
	}
}
