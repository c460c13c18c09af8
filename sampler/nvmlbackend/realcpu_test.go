package nvmlbackend

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// threadCPU is this OS thread's user+system time; the driver's work inside
// an NVML ioctl is system time of the calling thread.
func threadCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRealCallCPU measures, per costly NVML call, wall time and the CPU time
// it burns (user+system of the calling thread), with calls spaced as the
// slow tier spaces them. The wall/CPU split decides the tiering: a call that
// sleeps in the driver (PCIe throughput) costs wall time on its own
// goroutine but no CPU.
func TestRealCallCPU(t *testing.T) {
	b, _, _ := openReal(t)
	h := b.devices[0].handle
	calls := []struct {
		name string
		call func()
	}{
		{"GetPcieThroughput(TX)", func() { h.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES) }},
		{"GetTotalEnergyConsumption", func() { h.GetTotalEnergyConsumption() }},
		{"GetSamples(GPU_UTILIZATION)", func() { h.GetSamples(nvml.GPU_UTILIZATION_SAMPLES, uint64(time.Now().Add(-time.Second).UnixMicro())) }},
		{"GetSamples(TOTAL_POWER)", func() { h.GetSamples(nvml.TOTAL_POWER_SAMPLES, uint64(time.Now().Add(-time.Second).UnixMicro())) }},
		{"GetEccMode", func() { h.GetEccMode() }},
		{"GetTotalEccErrors(corrected, volatile)", func() { h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_CORRECTED, nvml.VOLATILE_ECC) }},
		{"GetMigMode", func() { h.GetMigMode() }},
		{"GetPcieReplayCounter", func() { h.GetPcieReplayCounter() }},
		{"GetComputeRunningProcesses", func() { h.GetComputeRunningProcesses() }},
		{"GetUtilizationRates", func() { h.GetUtilizationRates() }},
		{"GetMemoryInfo_v2", func() { h.GetMemoryInfo_v2() }},
		{"GetPowerUsage", func() { h.GetPowerUsage() }},
		{"GetTemperature", func() { h.GetTemperature(nvml.TEMPERATURE_GPU) }},
		{"GetClockInfo(SM)", func() { h.GetClockInfo(nvml.CLOCK_SM) }},
		{"GetClockInfo(MEM)", func() { h.GetClockInfo(nvml.CLOCK_MEM) }},
		{"GetPerformanceState", func() { h.GetPerformanceState() }},
		{"GetCurrentClocksEventReasons", func() { h.GetCurrentClocksEventReasons() }},
		{"GetEnforcedPowerLimit", func() { h.GetEnforcedPowerLimit() }},
		{"GetGraphicsRunningProcesses", func() { h.GetGraphicsRunningProcesses() }},
		{"GetCurrPcieLinkWidth", func() { h.GetCurrPcieLinkWidth() }},
		{"GetTotalEccErrors(uncorrected, volatile)", func() { h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.VOLATILE_ECC) }},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// GPUTOP_CALLCPU_SPACING (e.g. 1s) and GPUTOP_CALLCPU_N change how the
	// calls are spaced: the driver's caches make the cost depend on it.
	n, spacing := 10, 100*time.Millisecond
	if v, err := time.ParseDuration(os.Getenv("GPUTOP_CALLCPU_SPACING")); err == nil && v > 0 {
		spacing = v
	}
	if v, err := strconv.Atoi(os.Getenv("GPUTOP_CALLCPU_N")); err == nil && v > 0 {
		n = v
	}
	for _, c := range calls {
		c.call() // first call initialises
		var wall, cpu time.Duration
		for range n {
			time.Sleep(spacing)
			c0, w0 := threadCPU(t), time.Now()
			c.call()
			wall += time.Since(w0)
			cpu += threadCPU(t) - c0
		}
		t.Logf("%-42s wall %10v  cpu %10v  per call, %d calls %v apart", c.name, wall/time.Duration(n), cpu/time.Duration(n), n, spacing)
	}
}
