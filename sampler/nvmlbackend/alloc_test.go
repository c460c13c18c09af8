package nvmlbackend

import (
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
)

// quietDevice answers the fast-tier getters from constants without
// recording calls, so it allocates nothing: what the backend allocates on
// top of the library shows alone. (go-nvml's mocks record every call,
// which allocates; its real getters allocate their results through cgo.)
// Any other method panics through the nil embedded interface.
type quietDevice struct{ nvml.Device }

func (quietDevice) GetMemoryInfo_v2() (nvml.Memory_v2, nvml.Return) {
	return nvml.Memory_v2{Total: 80 << 30, Used: 1 << 30, Reserved: 512 << 20}, nvml.SUCCESS
}
func (quietDevice) GetUtilizationRates() (nvml.Utilization, nvml.Return) {
	return nvml.Utilization{Gpu: 50, Memory: 20}, nvml.SUCCESS
}
func (quietDevice) GetTemperature(nvml.TemperatureSensors) (uint32, nvml.Return) {
	return 40, nvml.SUCCESS
}
func (quietDevice) GetPowerUsage() (uint32, nvml.Return)         { return 300_000, nvml.SUCCESS }
func (quietDevice) GetEnforcedPowerLimit() (uint32, nvml.Return) { return 700_000, nvml.SUCCESS }
func (quietDevice) GetClockInfo(nvml.ClockType) (uint32, nvml.Return) {
	return 1980, nvml.SUCCESS
}
func (quietDevice) GetPerformanceState() (nvml.Pstates, nvml.Return) {
	return nvml.PSTATE_0, nvml.SUCCESS
}
func (quietDevice) GetCurrentClocksEventReasons() (uint64, nvml.Return) {
	return model.ThrottleIdle, nvml.SUCCESS
}
func (quietDevice) GetFanSpeed() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }

func quietBackend(callStats bool) *Backend {
	b := New(nil, Options{CallStats: callStats})
	b.devices = []*device{{handle: quietDevice{}, lastMIG: -1}}
	return b
}

// The fast path itself must not allocate in steady state (after the first
// reading has learnt what is unsupported), with or without call accounting.
func TestReadFastDoesNotAllocate(t *testing.T) {
	for _, stats := range []bool{false, true} {
		b := quietBackend(stats)
		var s model.Sample
		if err := b.ReadFast(0, &s); err != nil { // learns the fan is unsupported
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(200, func() {
			s = model.Sample{}
			if err := b.ReadFast(0, &s); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("CallStats=%v: %v allocations per ReadFast", stats, allocs)
		}
		if !s.PowerDraw.OK || s.FanPercent.OK {
			t.Errorf("sample = %+v", s)
		}
	}
}

func BenchmarkReadFastQuietDevice(b *testing.B) {
	for _, stats := range []bool{false, true} {
		name := "plain"
		if stats {
			name = "callstats"
		}
		b.Run(name, func(b *testing.B) {
			be := quietBackend(stats)
			var s model.Sample
			b.ReportAllocs()
			for b.Loop() {
				s = model.Sample{}
				if err := be.ReadFast(0, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Against go-nvml's dgxh100 mock, for comparison: the mock's call recording
// allocates (amortised slice growth), the backend does not.
func BenchmarkReadFastMockDGXH100(b *testing.B) {
	be, _, _, _ := openFleet(b, Options{CallStats: true})
	var s model.Sample
	b.ReportAllocs()
	for b.Loop() {
		s = model.Sample{}
		if err := be.ReadFast(0, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadSlowMockDGXH100(b *testing.B) {
	be, _, _, _ := openFleet(b, Options{CallStats: true})
	b.ReportAllocs()
	for b.Loop() {
		var s model.SlowSample
		if err := be.ReadSlow(0, &s); err != nil {
			b.Fatal(err)
		}
	}
}
