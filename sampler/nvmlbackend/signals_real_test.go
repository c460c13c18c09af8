package nvmlbackend

// Real-GPU tests of the hardware signals; they skip without
// libnvidia-ml.so.1. Run on a GPU machine with
//
//	./signals.test -test.run 'RealSignals' -test.v

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// TestRealSignalsCallCost measures wall and CPU time per call of every
// call the signals make, spaced as a tier spaces them.
func TestRealSignalsCallCost(t *testing.T) {
	b, _, infos := openReal(t)
	d := b.devices[0]
	h := d.handle
	// Build the medium tier's batch as the backend does.
	var s model.SlowSample
	if err := b.ReadSlow(0, &s); err != nil {
		t.Fatalf("ReadSlow: %v", err)
	}
	d.slowMu.Lock()
	base := append([]nvml.FieldValue(nil), d.sig.base...)
	nvl := append([]nvml.FieldValue(nil), d.sig.nvl...)
	perLink := append([]nvml.FieldValue(nil), d.sig.perLink...)
	links := d.sig.linkCount
	d.slowMu.Unlock()
	t.Logf("GPU 0 %s: %d NVLinks (field), batches of %d, %d and %d fields", infos[0].Name, links, len(base), len(nvl), len(perLink))
	batch := func(f []nvml.FieldValue) func() {
		return func() { h.GetFieldValues(append([]nvml.FieldValue(nil), f...)) }
	}
	tput := []nvml.FieldValue{{FieldId: nvml.FI_DEV_NVLINK_THROUGHPUT_DATA_TX, ScopeId: scopeAll}}
	total := []nvml.FieldValue{{FieldId: nvml.FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL}}
	recov := []nvml.FieldValue{{FieldId: nvml.FI_DEV_GET_GPU_RECOVERY_ACTION}}
	var other nvml.Device
	if len(b.devices) > 1 && b.devices[1].broken == nil {
		other = b.devices[1].handle
	}
	one := []nvml.FieldValue{{FieldId: nvml.FI_DEV_PERF_POLICY_POWER}}
	calls := []struct {
		name string
		call func()
	}{
		{"GetFieldValues(base batch)", batch(base)},
		{"GetFieldValues(NVLink totals batch)", batch(nvl)},
		{"GetFieldValues(per-link batch)", batch(perLink)},
		{"GetFieldValues(NVLINK_THROUGHPUT_DATA_TX)", batch(tput)},
		{"GetFieldValues(NVLINK_CRC_FLIT_TOTAL)", batch(total)},
		{"GetFieldValues(RECOVERY_ACTION)", batch(recov)},
		{"GetFieldValues(1 violation field)", func() { h.GetFieldValues(one) }},
		{"GetViolationStatus(POWER)", func() { h.GetViolationStatus(nvml.PERF_POLICY_POWER) }},
		{"ValidateInforom", func() { h.ValidateInforom() }},
		{"GetInforomImageVersion", func() { h.GetInforomImageVersion() }},
		{"GetNvLinkState(0)", func() { h.GetNvLinkState(0) }},
		{"GetNvLinkRemotePciInfo(0)", func() { h.GetNvLinkRemotePciInfo(0) }},
		{"GetNvLinkErrorCounter(0, CRC_FLIT)", func() { h.GetNvLinkErrorCounter(0, nvml.NVLINK_ERROR_DL_CRC_FLIT) }},
		{"GetEncoderUtilization", func() { h.GetEncoderUtilization() }},
		{"GetDecoderUtilization", func() { h.GetDecoderUtilization() }},
		{"GetMaxMigDeviceCount", func() { h.GetMaxMigDeviceCount() }},
	}
	if other != nil {
		calls = append(calls,
			struct {
				name string
				call func()
			}{"GetTopologyCommonAncestor", func() { h.GetTopologyCommonAncestor(other) }},
			struct {
				name string
				call func()
			}{"GetP2PStatus(READ)", func() { h.GetP2PStatus(other, nvml.P2P_CAPS_INDEX_READ) }},
		)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n, spacing = 10, 50 * time.Millisecond
	for _, c := range calls {
		c.call()
		var wall, cpu time.Duration
		for range n {
			time.Sleep(spacing)
			c0, w0 := threadCPU(t), time.Now()
			c.call()
			wall += time.Since(w0)
			cpu += threadCPU(t) - c0
		}
		t.Logf("COST %-36s wall %10v  cpu %10v  per call, %d calls %v apart", c.name, wall/n, cpu/n, n, spacing)
	}
}

// TestRealSignalsEvidence prints what the signals read on every GPU, and
// the raw NVLink/P2P answers they come from, for comparison with
// `nvidia-smi topo -m` and `nvidia-smi nvlink -s`.
func TestRealSignalsEvidence(t *testing.T) {
	b, _, infos := openReal(t)
	b.opts.RareEvery, b.opts.MediumEvery = 1, 1
	var last []model.SlowSample
	start := time.Now()
	for round := range 3 {
		last = make([]model.SlowSample, len(infos))
		for i := range infos {
			last[i].Time = model.TimestampOf(time.Now())
			if err := b.ReadSlow(i, &last[i]); err != nil {
				t.Fatalf("GPU %d ReadSlow: %v", i, err)
			}
		}
		if round < 2 {
			time.Sleep(2 * time.Second)
		}
	}
	t.Logf("3 slow readings of %d GPU(s) with every tier, %v", len(infos), time.Since(start))
	for i, s := range last {
		js, _ := json.MarshalIndent(s.Signals, "", " ")
		t.Logf("GPU %d %s %s signals:\n%s", i, infos[i].Name, infos[i].BusID, js)
	}
	for i, d := range b.devices {
		if d.broken != nil {
			continue
		}
		h := d.handle
		for l := range 18 {
			st, ret := h.GetNvLinkState(l)
			if ret != nvml.SUCCESS {
				t.Logf("RAW gpu%d link%d state: %v", i, l, ret)
				if ret == nvml.ERROR_NOT_SUPPORTED {
					break
				}
				continue
			}
			ver, vret := h.GetNvLinkVersion(l)
			pci, pret := h.GetNvLinkRemotePciInfo(l)
			crc, cret := h.GetNvLinkErrorCounter(l, nvml.NVLINK_ERROR_DL_CRC_FLIT)
			rep, rret := h.GetNvLinkErrorCounter(l, nvml.NVLINK_ERROR_DL_REPLAY)
			rec, eret := h.GetNvLinkErrorCounter(l, nvml.NVLINK_ERROR_DL_RECOVERY)
			t.Logf("RAW gpu%d link%d state=%d version=%d(%v) remote=%s(%v) crc=%d(%v) replay=%d(%v) recovery=%d(%v)",
				i, l, st, ver, vret, cString(pci.BusId[:]), pret, crc, cret, rep, rret, rec, eret)
		}
		for j, o := range b.devices {
			if j == i || o.broken != nil {
				continue
			}
			topo, tret := h.GetTopologyCommonAncestor(o.handle)
			line := ""
			for _, idx := range []nvml.GpuP2PCapsIndex{nvml.P2P_CAPS_INDEX_READ, nvml.P2P_CAPS_INDEX_WRITE, nvml.P2P_CAPS_INDEX_NVLINK, nvml.P2P_CAPS_INDEX_ATOMICS, nvml.P2P_CAPS_INDEX_PCI} {
				st, ret := h.GetP2PStatus(o.handle, idx)
				line += " " + p2pStatusName(st) + "(" + ret.Error() + ")"
			}
			t.Logf("RAW gpu%d->gpu%d topology=%s(%v) p2p read/write/nvlink/atomics/pci:%s", i, j, topologyNames[topo], tret, line)
		}
	}
	for _, c := range b.CallStats() {
		t.Logf("STAT %-36s n=%d mean=%v", c.Name, c.Count, c.Mean)
	}
}
