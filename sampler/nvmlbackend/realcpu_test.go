package nvmlbackend

import (
	"runtime"
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
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 10
	const spacing = 100 * time.Millisecond
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
		t.Logf("%-42s wall %10v  cpu %10v  per call, %d calls %v apart", c.name, wall/n, cpu/n, n, spacing)
	}
}
