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

// TestRealClockSources compares, in one process, the calls that can give
// the SM and memory clocks, spaced as the fast tier spaces the clocks (1 s):
// on an H200 some starts of a process get GetClockInfo on a slow path (1.2-
// 6.3 ms a call instead of 17 µs) for their whole life. Run it as several
// processes to catch such a start:
//
//	for i in $(seq 10); do GPUTOP_CLOCK_SOURCES=1 ./nvmlbackend.test -test.run RealClockSources -test.v; done
func TestRealClockSources(t *testing.T) {
	if os.Getenv("GPUTOP_CLOCK_SOURCES") == "" {
		t.Skip("GPUTOP_CLOCK_SOURCES not set")
	}
	b, _, _ := openReal(t)
	h := b.devices[0].handle
	since := func() uint64 { return uint64(time.Now().Add(-2 * time.Second).UnixMicro()) }
	calls := []struct {
		name string
		call func() nvml.Return
	}{
		{"GetClockInfo(SM)", func() nvml.Return { _, r := h.GetClockInfo(nvml.CLOCK_SM); return r }},
		{"GetClockInfo(MEM)", func() nvml.Return { _, r := h.GetClockInfo(nvml.CLOCK_MEM); return r }},
		{"GetClock(SM,CURRENT)", func() nvml.Return { _, r := h.GetClock(nvml.CLOCK_SM, nvml.CLOCK_ID_CURRENT); return r }},
		{"GetClock(MEM,CURRENT)", func() nvml.Return { _, r := h.GetClock(nvml.CLOCK_MEM, nvml.CLOCK_ID_CURRENT); return r }},
		{"GetSamples(PROCESSOR_CLK)", func() nvml.Return { _, _, r := h.GetSamples(nvml.PROCESSOR_CLK_SAMPLES, since()); return r }},
		{"GetSamples(MEMORY_CLK)", func() nvml.Return { _, _, r := h.GetSamples(nvml.MEMORY_CLK_SAMPLES, since()); return r }},
		{"GetPerformanceState", func() nvml.Return { _, r := h.GetPerformanceState(); return r }},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 3
	wall := make([]time.Duration, len(calls))
	cpu := make([]time.Duration, len(calls))
	rets := make([]nvml.Return, len(calls))
	for range n {
		time.Sleep(time.Second)
		for i, c := range calls {
			c0, w0 := threadCPUNs(t), time.Now()
			rets[i] = c.call()
			wall[i] += time.Since(w0)
			cpu[i] += threadCPUNs(t) - c0
		}
	}
	for i, c := range calls {
		t.Logf("%-26s %-14v wall %9v cpu %9v", c.name, rets[i], wall[i]/n, cpu[i]/n)
	}
}

// TestRealMemoryCallCost compares the two memory getters' cost at the
// fastest interval (calls 10 ms apart), in wall time and the calling
// thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID): the memory
// reading is the one call a 10 ms tick makes, and its CPU is most of what
// 10 ms costs beyond 100 ms.
//
//	GPUTOP_MEMCALL=1 ./nvmlbackend.test -test.run RealMemoryCallCost -test.v
func TestRealMemoryCallCost(t *testing.T) {
	if os.Getenv("GPUTOP_MEMCALL") == "" {
		t.Skip("GPUTOP_MEMCALL not set")
	}
	b, _, _ := openReal(t)
	h := b.devices[0].handle
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	calls := []struct {
		name string
		call func() nvml.Return
	}{
		{"GetMemoryInfo (v1)", func() nvml.Return { _, r := h.GetMemoryInfo(); return r }},
		{"GetMemoryInfo_v2", func() nvml.Return { _, r := h.GetMemoryInfo_v2(); return r }},
	}
	const n, blocks = 100, 3
	for blk := range blocks {
		for _, c := range calls {
			var wall, cpu time.Duration
			var ret nvml.Return
			for range n {
				time.Sleep(10 * time.Millisecond)
				c0, w0 := threadCPUNs(t), time.Now()
				ret = c.call()
				wall += time.Since(w0)
				cpu += threadCPUNs(t) - c0
			}
			t.Logf("block %d %-20s %v wall %9v cpu %9v per call, %d calls 10 ms apart", blk, c.name, ret, wall/n, cpu/n, n)
		}
	}
}
