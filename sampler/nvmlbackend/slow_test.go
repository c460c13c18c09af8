package nvmlbackend

import (
	"encoding/binary"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

func TestReadSlowValues(t *testing.T) {
	b, _, devs, _ := openFleet(t, Options{})
	for i := range devs {
		var s model.SlowSample
		if err := b.ReadSlow(i, &s); err != nil {
			t.Fatalf("GPU %d: %v", i, err)
		}
		u := uint32(i)
		checks := []struct {
			name string
			ok   bool
		}{
			{"pcie tx", s.PCIeTxKBps == model.Some(fixPcieTX+u)},
			{"pcie rx", s.PCIeRxKBps == model.Some(fixPcieRX+u)},
			{"pcie gen/width", s.PCIeGen == model.Some(5) && s.PCIeWidth == model.Some(16)},
			{"replays", s.PCIeReplays == model.Some(uint64(fixReplay))},
			{"energy", s.EnergyMilliJ == model.Some(uint64(fixEnergy))},
			{"ecc", s.ECCEnabled == model.Some(true) && s.ECCVolatileCorrected == model.Some(uint64(7)) &&
				s.ECCVolatileUncorrected == model.Some(uint64(1)) && s.ECCAggregateUncorrected == model.Some(uint64(2))},
			{"row remap", s.RowRemapCorrectable == model.Some(4) && s.RowRemapUncorrectable == model.Some(1) &&
				s.RowRemapPending == model.Some(true) && s.RowRemapFailure == model.Some(false)},
			{"retired pages unsupported", !s.RetiredPagesSBE.OK && !s.RetiredPagesDBE.OK && !s.RetiredPagesPending.OK},
			{"persistence", s.Persistence == model.Some(true)},
			{"compute mode", s.ComputeMode == model.Some(0)},
			{"mig", s.MIGCurrent == model.Some(0) && s.MIGPending == model.Some(0)},
			{"fabric", s.FabricState == model.Some(int(nvml.GPU_FABRIC_STATE_COMPLETED)) && s.FabricStatus == model.Some(uint32(0))},
			{"no peaks without samples", !s.PowerPeak.OK && !s.UtilPeak.OK},
			{"no processes", len(s.Processes) == 0},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("GPU %d %s: %+v", i, c.name, s)
			}
		}
	}
}

func TestReadSlowUnsupportedAskedOnce(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetPcieReplayCounterFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	devs[0].GetMigModeFunc = func() (int, int, nvml.Return) { return 0, 0, nvml.ERROR_NOT_SUPPORTED }
	b := openServer(t, srv)
	for range 3 {
		var s model.SlowSample
		if err := b.ReadSlow(0, &s); err != nil {
			t.Fatal(err)
		}
		if s.PCIeReplays.OK || s.MIGCurrent.OK || s.RetiredPagesSBE.OK {
			t.Fatalf("unsupported values reported: %+v", s)
		}
	}
	d := devs[0]
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"GetPcieReplayCounter", len(d.GetPcieReplayCounterCalls()), 1},
		{"GetMigMode", len(d.GetMigModeCalls()), 1},
		{"GetRetiredPages", len(d.GetRetiredPagesCalls()), 2}, // SBE and DBE: once each
		{"GetRetiredPagesPendingStatus", len(d.GetRetiredPagesPendingStatusCalls()), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s asked %d times, want %d", c.name, c.got, c.want)
		}
	}
	if n := len(d.GetPcieThroughputCalls()); n != 6 {
		t.Errorf("PCIe throughput asked %d times, want 6 (2 per reading)", n)
	}
}

func TestReadSlowECCDisabledSkipsCounters(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetEccModeFunc = func() (nvml.EnableState, nvml.EnableState, nvml.Return) {
		return nvml.FEATURE_DISABLED, nvml.FEATURE_DISABLED, nvml.SUCCESS
	}
	b := openServer(t, srv)
	var s model.SlowSample
	if err := b.ReadSlow(0, &s); err != nil {
		t.Fatal(err)
	}
	if s.ECCEnabled != model.Some(false) || s.ECCVolatileCorrected.OK || s.ECCAggregateUncorrected.OK {
		t.Errorf("ECC off: %v %v %v", s.ECCEnabled, s.ECCVolatileCorrected, s.ECCAggregateUncorrected)
	}
	if n := len(devs[0].GetTotalEccErrorsCalls()); n != 0 {
		t.Errorf("ECC counters read %d times with ECC off", n)
	}
}

func TestReadSlowFabricNotSupportedState(t *testing.T) {
	srv, devs := newFleet(t)
	// PCIe cards answer success with state NOT_SUPPORTED.
	devs[0].GetGpuFabricInfoFunc = func() (nvml.GpuFabricInfo, nvml.Return) {
		return nvml.GpuFabricInfo{State: nvml.GPU_FABRIC_STATE_NOT_SUPPORTED}, nvml.SUCCESS
	}
	b := openServer(t, srv)
	for range 2 {
		var s model.SlowSample
		if err := b.ReadSlow(0, &s); err != nil {
			t.Fatal(err)
		}
		if s.FabricState.OK || s.FabricStatus.OK {
			t.Errorf("fabric %v %v, want unavailable", s.FabricState, s.FabricStatus)
		}
	}
	if n := len(devs[0].GetGpuFabricInfoCalls()); n != 1 {
		t.Errorf("fabric asked %d times", n)
	}
}

func TestReadSlowProcesses(t *testing.T) {
	srv, devs := newFleet(t)
	d := devs[2]
	d.GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
		return []nvml.ProcessInfo{
			{Pid: 100, UsedGpuMemory: 4 << 30},
			{Pid: 200, UsedGpuMemory: valueNotAvailable},
		}, nvml.SUCCESS
	}
	d.GetGraphicsRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
		return []nvml.ProcessInfo{
			{Pid: 100, UsedGpuMemory: 4 << 30}, // both contexts: listed once
			{Pid: 300, UsedGpuMemory: 64 << 20},
		}, nvml.SUCCESS
	}
	now := uint64(time.Now().UnixMicro())
	var asked []uint64
	d.GetProcessUtilizationFunc = func(since uint64) ([]nvml.ProcessUtilizationSample, nvml.Return) {
		asked = append(asked, since)
		return []nvml.ProcessUtilizationSample{
			{Pid: 100, TimeStamp: now + 1, SmUtil: 80},
			{Pid: 100, TimeStamp: now + 2, SmUtil: 40},
			{Pid: 300, TimeStamp: now + 3, SmUtil: 5},
			{Pid: 999, TimeStamp: now + 4, SmUtil: 50}, // exited since the list was read
			{Pid: 300, TimeStamp: since, SmUtil: 100},  // not newer than asked: ignored
		}, nvml.SUCCESS
	}
	b := openServer(t, srv)
	var s model.SlowSample
	if err := b.ReadSlow(2, &s); err != nil {
		t.Fatal(err)
	}
	want := []model.Process{
		{PID: 100, GPUIndex: 2, Kind: "compute", UsedMemory: model.Some(uint64(4 << 30)), SMUtil: model.Some(uint32(60))},
		{PID: 200, GPUIndex: 2, Kind: "compute"},
		{PID: 300, GPUIndex: 2, Kind: "graphics", UsedMemory: model.Some(uint64(64 << 20)), SMUtil: model.Some(uint32(5))},
	}
	if !slices.Equal(s.Processes, want) {
		t.Errorf("processes:\n got %+v\nwant %+v", s.Processes, want)
	}
	// The next reading continues after the newest sample seen.
	if err := b.ReadSlow(2, &s); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || asked[1] != now+4 {
		t.Errorf("process utilisation asked since %v, want second = %d", asked, now+4)
	}
	if first := time.UnixMicro(int64(asked[0])); time.Since(first) > time.Minute || time.Since(first) < firstWindow {
		t.Errorf("first window starts at %v", first)
	}
}

func TestReadSlowNoProcessesSkipsUtilisation(t *testing.T) {
	b, _, devs, _ := openFleet(t, Options{})
	var s model.SlowSample
	if err := b.ReadSlow(0, &s); err != nil {
		t.Fatal(err)
	}
	if n := len(devs[0].GetProcessUtilizationCalls()); n != 0 {
		t.Errorf("GetProcessUtilization (2 ms) called %d times with no process", n)
	}
	if s.Processes != nil {
		t.Errorf("processes = %v", s.Processes)
	}
}

func TestReadSlowProcessUtilisationNotFound(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
		return []nvml.ProcessInfo{{Pid: 1, UsedGpuMemory: 1}}, nvml.SUCCESS
	}
	b := openServer(t, srv) // the fixture answers NOT_FOUND: no sample in the window
	var s model.SlowSample
	for range 2 {
		if err := b.ReadSlow(0, &s); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.Processes) != 1 || s.Processes[0].SMUtil.OK {
		t.Errorf("processes = %+v", s.Processes)
	}
	if n := len(devs[0].GetProcessUtilizationCalls()); n != 2 {
		t.Errorf("NOT_FOUND must not be remembered: asked %d times", n)
	}
}

// A 30 ms spike between two fast polls shows up in the slow reading's peak.
func TestReadSlowPeaksFromSamples(t *testing.T) {
	srv, devs := newFleet(t)
	now := uint64(time.Now().UnixMicro())
	type call struct {
		typ   nvml.SamplingType
		since uint64
	}
	var calls []call
	devs[0].GetSamplesFunc = func(typ nvml.SamplingType, since uint64) (nvml.ValueType, []nvml.Sample, nvml.Return) {
		calls = append(calls, call{typ, since})
		// The driver keeps the samples: later reads return them again.
		switch typ {
		case nvml.TOTAL_POWER_SAMPLES:
			return nvml.VALUE_TYPE_UNSIGNED_INT, []nvml.Sample{
				sampleOf(now+10_000, 310_000),
				sampleOf(now+30_000, 695_000), // the spike
				sampleOf(now+50_000, 320_000),
			}, nvml.SUCCESS
		case nvml.GPU_UTILIZATION_SAMPLES:
			return nvml.VALUE_TYPE_UNSIGNED_INT, []nvml.Sample{
				sampleOf(now+20_000, 12),
				sampleOf(now+40_000, 100),
				sampleOf(now+60_000, 7),
			}, nvml.SUCCESS
		}
		return 0, nil, nvml.ERROR_INVALID_ARGUMENT
	}
	b := openServer(t, srv)
	var s model.SlowSample
	if err := b.ReadSlow(0, &s); err != nil {
		t.Fatal(err)
	}
	if s.PowerPeak != model.Some(uint32(695_000)) || s.UtilPeak != model.Some(uint32(100)) {
		t.Errorf("peaks = %v %v", s.PowerPeak, s.UtilPeak)
	}
	var next model.SlowSample
	if err := b.ReadSlow(0, &next); err != nil {
		t.Fatal(err)
	}
	if next.PowerPeak.OK || next.UtilPeak.OK {
		t.Errorf("no new samples, but peaks %v %v", next.PowerPeak, next.UtilPeak)
	}
	if len(calls) != 4 {
		t.Errorf("two readings made %d GetSamples calls, want 4", len(calls))
	}
}

func TestFieldValueDecoding(t *testing.T) {
	u32 := func(v uint32) (b [8]byte) { binary.NativeEndian.PutUint32(b[:], v); return }
	u64 := func(v uint64) (b [8]byte) { binary.NativeEndian.PutUint64(b[:], v); return }
	tests := []struct {
		name string
		typ  nvml.ValueType
		raw  [8]byte
		want float64
		ok   bool
	}{
		{"double", nvml.VALUE_TYPE_DOUBLE, float64Bytes(312.5), 312.5, true},
		{"uint", nvml.VALUE_TYPE_UNSIGNED_INT, u32(700_000), 700_000, true},
		{"ulong", nvml.VALUE_TYPE_UNSIGNED_LONG, u64(1 << 40), 1 << 40, true},
		{"ulonglong", nvml.VALUE_TYPE_UNSIGNED_LONG_LONG, u64(5), 5, true},
		{"slonglong", nvml.VALUE_TYPE_SIGNED_LONG_LONG, u64(^uint64(0)), -1, true},
		{"sint", nvml.VALUE_TYPE_SIGNED_INT, u32(^uint32(2)), -3, true},
		{"ushort", nvml.VALUE_TYPE_UNSIGNED_SHORT, u32(0x1_0042), 0x42, true},
		{"unknown", nvml.VALUE_TYPE_COUNT, u32(1), 0, false},
	}
	for _, tt := range tests {
		got, ok := fieldValue(uint32(tt.typ), tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: %v %v, want %v %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMemoryTemperatureFromSlowTier(t *testing.T) {
	b, _, _, _ := openFleet(t, Options{})
	var before model.Sample
	if err := b.ReadFast(0, &before); err != nil {
		t.Fatal(err)
	}
	if before.TempMem.OK {
		t.Fatal("memory temperature before any slow reading")
	}
	var slow model.SlowSample
	if err := b.ReadSlow(0, &slow); err != nil {
		t.Fatal(err)
	}
	var after model.Sample
	if err := b.ReadFast(0, &after); err != nil {
		t.Fatal(err)
	}
	if after.TempMem != model.Some(int32(fixMemTemp)) {
		t.Errorf("memory temperature = %v", after.TempMem)
	}
	var other model.Sample
	_ = b.ReadFast(1, &other)
	if other.TempMem.OK {
		t.Error("GPU 1 got GPU 0's memory temperature")
	}
}

func TestMemoryTemperatureFieldUnsupported(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetFieldValuesFunc = func(values []nvml.FieldValue) nvml.Return {
		values[0].NvmlReturn = uint32(nvml.ERROR_NOT_SUPPORTED)
		return nvml.SUCCESS
	}
	b := openServer(t, srv)
	for range 3 {
		var slow model.SlowSample
		if err := b.ReadSlow(0, &slow); err != nil {
			t.Fatal(err)
		}
	}
	var s model.Sample
	_ = b.ReadFast(0, &s)
	if s.TempMem.OK {
		t.Errorf("memory temperature %v from an unsupported field", s.TempMem)
	}
	n := 0
	for _, c := range devs[0].GetFieldValuesCalls() {
		if c.FieldValues[0].FieldId == nvml.FI_DEV_MEMORY_TEMP {
			n++ // the signals' batch (signals.go) is a separate call
		}
	}
	if n != 1 {
		t.Errorf("field asked %d times", n)
	}
}

// With MIG on, utilisation answers NOT_SUPPORTED; when MIG is turned off
// again, the backend asks again instead of showing nothing forever.
func TestMIGChangeAsksAgain(t *testing.T) {
	srv, devs := newFleet(t)
	d := devs[0]
	d.MigMode = 1
	utilOK := false
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		if !utilOK {
			return nvml.Utilization{}, nvml.ERROR_NOT_SUPPORTED
		}
		return nvml.Utilization{Gpu: 9}, nvml.SUCCESS
	}
	b := openServer(t, srv)
	var slow model.SlowSample
	var s model.Sample
	if err := b.ReadSlow(0, &slow); err != nil {
		t.Fatal(err)
	}
	_ = b.ReadFast(0, &s)
	_ = b.ReadFast(0, &s)
	if s.UtilGPU.OK || len(d.GetUtilizationRatesCalls()) != 1 {
		t.Fatalf("with MIG on: util %v, %d calls", s.UtilGPU, len(d.GetUtilizationRatesCalls()))
	}
	d.MigMode, utilOK = 0, true
	if err := b.ReadSlow(0, &slow); err != nil {
		t.Fatal(err)
	}
	s = model.Sample{}
	_ = b.ReadFast(0, &s)
	if s.UtilGPU != model.Some(uint32(9)) {
		t.Errorf("after MIG off: util %v", s.UtilGPU)
	}
}

// The rare tier (modes, ECC state, energy...) runs on the first slow reading
// and then every RareEvery readings; in between its values are carried
// forward so each slow sample is complete, and it is not asked.
func TestRareTierCarriedForward(t *testing.T) {
	srv, devs := newFleet(t)
	d := devs[0]
	var energy uint64 = 1000
	d.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { energy += 1000; return energy, nvml.SUCCESS }
	b := openServerWith(t, srv, Options{RareEvery: 3, EnergyEvery: 3})
	var got []model.Opt[uint64]
	for range 4 {
		var slow model.SlowSample
		if err := b.ReadSlow(0, &slow); err != nil {
			t.Fatal(err)
		}
		got = append(got, slow.EnergyMilliJ)
		if !slow.Persistence.OK {
			t.Fatalf("reading %d: persistence not carried forward", len(got))
		}
	}
	// Energy (a counter) is not carried: unavailable between its reads.
	want := []model.Opt[uint64]{model.Some[uint64](2000), {}, {}, model.Some[uint64](3000)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("energy over 4 readings = %v, want %v (read on 1st and 4th only)", got, want)
	}
	if n := len(d.GetTotalEnergyConsumptionCalls()); n != 2 {
		t.Fatalf("energy asked %d times in 4 slow readings, want 2", n)
	}
}

// PCIe throughput (20 ms per direction, holding NVML's lock) is read every
// MediumEvery slow readings and carried forward in between.
func TestPCIeThroughputEveryN(t *testing.T) {
	srv, devs := newFleet(t)
	d := devs[0]
	var tx uint32
	d.GetPcieThroughputFunc = func(c nvml.PcieUtilCounter) (uint32, nvml.Return) {
		if c == nvml.PCIE_UTIL_TX_BYTES {
			tx += 100
			return tx, nvml.SUCCESS
		}
		return 7, nvml.SUCCESS
	}
	b := openServerWith(t, srv, Options{RareEvery: 1, MediumEvery: 2})
	var got []uint32
	for range 4 {
		var slow model.SlowSample
		if err := b.ReadSlow(0, &slow); err != nil {
			t.Fatal(err)
		}
		if !slow.PCIeTxKBps.OK || !slow.PCIeRxKBps.OK || !slow.PCIeGen.OK {
			t.Fatalf("reading %d: throughput or link not carried: %+v", len(got), slow)
		}
		got = append(got, slow.PCIeTxKBps.V)
	}
	if want := []uint32{100, 100, 200, 200}; !reflect.DeepEqual(got, want) {
		t.Fatalf("TX over 4 readings = %v, want %v", got, want)
	}
	if n := len(d.GetPcieThroughputCalls()); n != 4 {
		t.Fatalf("throughput asked %d times in 4 readings with MediumEvery 2, want 4 (TX+RX twice)", n)
	}
	// The link's generation and width, and the memory temperature, go with
	// the medium tier too (carried forward, as checked above).
	f := 0
	for _, c := range d.GetFieldValuesCalls() {
		if len(c.FieldValues) > 0 && c.FieldValues[0].FieldId == nvml.FI_DEV_MEMORY_TEMP {
			f++
		}
	}
	if g, w := len(d.GetCurrPcieLinkGenerationCalls()), len(d.GetCurrPcieLinkWidthCalls()); g != 2 || w != 2 || f != 2 {
		t.Errorf("in 4 readings with MediumEvery 2: link generation asked %d, width %d, memory temperature %d times; want 2 each", g, w, f)
	}
}
