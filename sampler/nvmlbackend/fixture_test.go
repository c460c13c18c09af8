package nvmlbackend

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// The dgxh100 mock knows identity, PCI, memory and MIG; fixture values for
// the rest are derived from the GPU index so that a mixed-up index shows.
const (
	fixUsed      = 1 << 30 // bytes, plus index
	fixReserved  = 512 << 20
	fixPower     = 300_000 // mW, plus index
	fixTemp      = 40      // °C, plus index
	fixClockSM   = 1980
	fixClockMem  = 2619
	fixThrottle  = model.ThrottleSWPowerCap
	fixLimit     = 700_000
	fixEnergy    = 123_456_789
	fixPcieTX    = 1000 // KB/s, plus index
	fixPcieRX    = 2000
	fixReplay    = 3
	fixMemTemp   = 55
	fixBAR1      = 128 << 30
	fixMaxSM     = 1980
	fixMaxMem    = 2619
	fixSlowdown  = 90
	fixShutdown  = 92
	fixMemMax    = 95
	fixDefLimit  = 700_000
	fixMinLimit  = 200_000
	fixSerial    = "1650000000000"
	fixVBIOS     = "96.00.61.00.01"
	fixDriverVer = "550.54.15" // what dgxh100 reports
)

// newFleet returns the dgxh100 mock with every reading func the backend
// calls filled in, and its devices for per-test overrides.
func newFleet(t testing.TB) (*server.Server, []*server.Device) {
	t.Helper()
	srv := dgxh100.New()
	srv.SystemGetCudaDriverVersion_v2Func = func() (int, nvml.Return) { return srv.CudaDriverVersion, nvml.SUCCESS }
	devs := make([]*server.Device, len(srv.Devices))
	for i, d := range srv.Devices {
		devs[i] = d.(*server.Device)
		fillDevice(devs[i], i)
	}
	return srv, devs
}

func fillDevice(d *server.Device, i int) {
	u := uint32(i)
	d.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) {
		p := nvml.PciInfo{PciDeviceId: d.Config.PciDeviceId, Domain: 0, Bus: uint32(0x18 + i), Device: 0}
		return p, nvml.SUCCESS
	}
	d.GetSerialFunc = func() (string, nvml.Return) { return fixSerial, nvml.SUCCESS }
	d.GetVbiosVersionFunc = func() (string, nvml.Return) { return fixVBIOS, nvml.SUCCESS }
	d.GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) {
		total := d.MemoryInfo.Total
		return nvml.Memory_v2{Total: total, Reserved: fixReserved, Used: fixUsed + uint64(i), Free: total - fixUsed - fixReserved - uint64(i)}, nvml.SUCCESS
	}
	d.GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) {
		total := d.MemoryInfo.Total
		return nvml.Memory{Total: total, Used: fixUsed + uint64(i), Free: total - fixUsed - uint64(i)}, nvml.SUCCESS
	}
	d.GetBAR1MemoryInfoFunc = func() (nvml.BAR1Memory, nvml.Return) { return nvml.BAR1Memory{Bar1Total: fixBAR1}, nvml.SUCCESS }
	d.GetPowerManagementDefaultLimitFunc = func() (uint32, nvml.Return) { return fixDefLimit, nvml.SUCCESS }
	d.GetPowerManagementLimitConstraintsFunc = func() (uint32, uint32, nvml.Return) { return fixMinLimit, fixDefLimit, nvml.SUCCESS }
	d.GetTemperatureThresholdFunc = func(t nvml.TemperatureThresholds) (uint32, nvml.Return) {
		switch t {
		case nvml.TEMPERATURE_THRESHOLD_SLOWDOWN:
			return fixSlowdown, nvml.SUCCESS
		case nvml.TEMPERATURE_THRESHOLD_SHUTDOWN:
			return fixShutdown, nvml.SUCCESS
		case nvml.TEMPERATURE_THRESHOLD_MEM_MAX:
			return fixMemMax, nvml.SUCCESS
		}
		return 0, nvml.ERROR_NOT_SUPPORTED
	}
	d.GetMaxClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_SM {
			return fixMaxSM, nvml.SUCCESS
		}
		return fixMaxMem, nvml.SUCCESS
	}
	d.GetMaxPcieLinkGenerationFunc = func() (int, nvml.Return) { return 5, nvml.SUCCESS }
	d.GetMaxPcieLinkWidthFunc = func() (int, nvml.Return) { return 16, nvml.SUCCESS }
	d.GetGpuMaxPcieLinkGenerationFunc = func() (int, nvml.Return) { return 5, nvml.SUCCESS }
	d.GetNumFansFunc = func() (int, nvml.Return) { return 0, nvml.SUCCESS } // SXM: passive

	// Fast tier.
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		return nvml.Utilization{Gpu: 50 + u, Memory: 20 + u}, nvml.SUCCESS
	}
	d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return fixTemp + u, nvml.SUCCESS }
	d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return fixPower + u, nvml.SUCCESS }
	d.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return fixLimit, nvml.SUCCESS }
	d.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_SM {
			return fixClockSM, nvml.SUCCESS
		}
		return fixClockMem, nvml.SUCCESS
	}
	d.GetPerformanceStateFunc = func() (nvml.Pstates, nvml.Return) { return nvml.PSTATE_0, nvml.SUCCESS }
	d.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return fixThrottle, nvml.SUCCESS }
	d.GetCurrentClocksThrottleReasonsFunc = func() (uint64, nvml.Return) { return fixThrottle, nvml.SUCCESS }
	d.GetFanSpeedFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }

	// Slow tier.
	d.GetPcieThroughputFunc = func(c nvml.PcieUtilCounter) (uint32, nvml.Return) {
		if c == nvml.PCIE_UTIL_TX_BYTES {
			return fixPcieTX + u, nvml.SUCCESS
		}
		return fixPcieRX + u, nvml.SUCCESS
	}
	d.GetCurrPcieLinkGenerationFunc = func() (int, nvml.Return) { return 5, nvml.SUCCESS }
	d.GetCurrPcieLinkWidthFunc = func() (int, nvml.Return) { return 16, nvml.SUCCESS }
	d.GetPcieReplayCounterFunc = func() (int, nvml.Return) { return fixReplay, nvml.SUCCESS }
	d.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return fixEnergy, nvml.SUCCESS }
	d.GetFieldValuesFunc = func(values []nvml.FieldValue) nvml.Return {
		for i := range values {
			if values[i].FieldId == nvml.FI_DEV_MEMORY_TEMP {
				values[i].ValueType = uint32(nvml.VALUE_TYPE_UNSIGNED_INT)
				binary.NativeEndian.PutUint32(values[i].Value[:], fixMemTemp)
				values[i].NvmlReturn = uint32(nvml.SUCCESS)
			} else {
				values[i].NvmlReturn = uint32(nvml.ERROR_NOT_SUPPORTED)
			}
		}
		return nvml.SUCCESS
	}
	d.GetEccModeFunc = func() (nvml.EnableState, nvml.EnableState, nvml.Return) {
		return nvml.FEATURE_ENABLED, nvml.FEATURE_ENABLED, nvml.SUCCESS
	}
	d.GetTotalEccErrorsFunc = func(e nvml.MemoryErrorType, c nvml.EccCounterType) (uint64, nvml.Return) {
		switch {
		case e == nvml.MEMORY_ERROR_TYPE_CORRECTED && c == nvml.VOLATILE_ECC:
			return 7, nvml.SUCCESS
		case e == nvml.MEMORY_ERROR_TYPE_UNCORRECTED && c == nvml.VOLATILE_ECC:
			return 1, nvml.SUCCESS
		case e == nvml.MEMORY_ERROR_TYPE_UNCORRECTED && c == nvml.AGGREGATE_ECC:
			return 2, nvml.SUCCESS
		}
		return 0, nvml.ERROR_INVALID_ARGUMENT
	}
	d.GetRemappedRowsFunc = func() (int, int, bool, bool, nvml.Return) { return 4, 1, true, false, nvml.SUCCESS }
	// Hopper retired pages in favour of row remapping.
	d.GetRetiredPagesFunc = func(nvml.PageRetirementCause) ([]uint64, nvml.Return) { return nil, nvml.ERROR_NOT_SUPPORTED }
	d.GetRetiredPagesPendingStatusFunc = func() (nvml.EnableState, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	d.GetPersistenceModeFunc = func() (nvml.EnableState, nvml.Return) { return nvml.FEATURE_ENABLED, nvml.SUCCESS }
	d.GetComputeModeFunc = func() (nvml.ComputeMode, nvml.Return) { return nvml.COMPUTEMODE_DEFAULT, nvml.SUCCESS }
	d.GetGpuFabricInfoFunc = func() (nvml.GpuFabricInfo, nvml.Return) {
		return nvml.GpuFabricInfo{State: nvml.GPU_FABRIC_STATE_COMPLETED, Status: uint32(nvml.SUCCESS)}, nvml.SUCCESS
	}
	d.GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) { return nil, nvml.SUCCESS }
	d.GetGraphicsRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) { return nil, nvml.SUCCESS }
	d.GetProcessUtilizationFunc = func(uint64) ([]nvml.ProcessUtilizationSample, nvml.Return) {
		return nil, nvml.ERROR_NOT_FOUND
	}
	d.GetSamplesFunc = func(nvml.SamplingType, uint64) (nvml.ValueType, []nvml.Sample, nvml.Return) {
		return nvml.VALUE_TYPE_UNSIGNED_INT, nil, nvml.ERROR_NOT_FOUND
	}
	d.RegisterEventsFunc = func(uint64, nvml.EventSet) nvml.Return { return nvml.SUCCESS }
	fillSignals(d, i) // hardware signals (signals_test.go)
}

// openFleet opens a backend over the filled dgxh100 mock.
func openFleet(t testing.TB, opts Options) (*Backend, *server.Server, []*server.Device, []model.GPUInfo) {
	t.Helper()
	srv, devs := newFleet(t)
	b := New(srv, opts)
	_, infos, err := b.Open(context.Background())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, srv, devs, infos
}

// sampleOf encodes a GetSamples entry.
func sampleOf(ts uint64, v uint32) nvml.Sample {
	s := nvml.Sample{TimeStamp: ts}
	binary.NativeEndian.PutUint32(s.SampleValue[:], v)
	return s
}

func float64Bytes(f float64) [8]byte {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], math.Float64bits(f))
	return b
}

func asDeviceError(t *testing.T, err error) *sampler.DeviceError {
	t.Helper()
	var de *sampler.DeviceError
	if !errors.As(err, &de) {
		t.Fatalf("want *sampler.DeviceError, got %T %v", err, err)
	}
	return de
}
