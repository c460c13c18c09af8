package nvmlbackend

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/sampler/procmem"
)

// memStatus is this process's resident memory by kind, in kB, and the
// resident kB of each mapped file (from /proc/self/smaps).
type memStatus struct {
	anon, file int
	byFile     map[string]int
}

func readMemStatus(t testing.TB) memStatus {
	t.Helper()
	st, err := procmem.ReadStatus("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	maps, err := procmem.ReadSmaps("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	m := memStatus{anon: int(st["RssAnon"]), file: int(st["RssFile"]), byFile: map[string]int{}}
	for _, mp := range maps {
		m.byFile[mp.Name] += int(mp.RssKB)
	}
	return m
}

// TestRealRSSSteps logs the process's resident memory (anonymous and
// file-backed, and per mapped file) after each kind of NVML use, so that
// what each costs in memory can be seen on a real GPU: NVML is most of
// gputop's resident memory, and which calls make it grow decides what a
// smaller gputop can do.
//
//	GPUTOP_RSS_STEPS=1 go test -run TestRealRSSSteps -v ./sampler/nvmlbackend
func TestRealRSSSteps(t *testing.T) {
	if os.Getenv("GPUTOP_RSS_STEPS") == "" {
		t.Skip("GPUTOP_RSS_STEPS not set")
	}
	if ok, err := libraryLoadable(); !ok {
		t.Skipf("no NVML: %v", err)
	}
	lib := nvml.New()
	var devs []nvml.Device
	prev := readMemStatus(t)
	t.Logf("%-28s anon %6d kB  file %6d kB", "start", prev.anon, prev.file)
	step := func(name string, f func()) {
		f()
		runtime.GC()
		debug.FreeOSMemory()
		time.Sleep(50 * time.Millisecond)
		m := readMemStatus(t)
		var grew []string
		for file, kb := range m.byFile {
			if d := kb - prev.byFile[file]; d >= 256 || d <= -256 {
				grew = append(grew, fmt.Sprintf("%s %+d", file, d))
			}
		}
		slices.Sort(grew)
		t.Logf("%-28s anon %6d kB (%+6d)  file %6d kB (%+6d)  %s", name, m.anon, m.anon-prev.anon, m.file, m.file-prev.file, strings.Join(grew, ", "))
		prev = m
	}
	step("nvmlInit", func() {
		if ret := lib.Init(); ret != nvml.SUCCESS {
			t.Fatalf("Init: %v", ret)
		}
	})
	t.Cleanup(func() { lib.Shutdown() })
	step("driver/NVML version", func() { lib.SystemGetDriverVersion(); lib.SystemGetNVMLVersion() })
	step("handles + static info", func() {
		n, _ := lib.DeviceGetCount()
		for i := range n {
			h, ret := lib.DeviceGetHandleByIndex(i)
			if ret != nvml.SUCCESS {
				t.Fatalf("handle %d: %v", i, ret)
			}
			devs = append(devs, h)
			h.GetName()
			h.GetUUID()
			h.GetPciInfo()
			h.GetArchitecture()
			h.GetBAR1MemoryInfo()
			h.GetMaxPcieLinkGeneration()
			h.GetPowerManagementLimitConstraints()
		}
	})
	each := func(f func(h nvml.Device)) func() {
		return func() {
			for _, h := range devs {
				f(h)
			}
		}
	}
	step("fast getters", each(func(h nvml.Device) {
		h.GetMemoryInfo_v2()
		h.GetUtilizationRates()
		h.GetTemperature(nvml.TEMPERATURE_GPU)
		h.GetPowerUsage()
		h.GetClockInfo(nvml.CLOCK_SM)
		h.GetClockInfo(nvml.CLOCK_MEM)
		h.GetEnforcedPowerLimit()
		h.GetPerformanceState()
		h.GetCurrentClocksEventReasons()
	}))
	step("GetSamples power+util", each(func(h nvml.Device) {
		h.GetSamples(nvml.TOTAL_POWER_SAMPLES, 0)
		h.GetSamples(nvml.GPU_UTILIZATION_SAMPLES, 0)
	}))
	step("field values", each(func(h nvml.Device) {
		fv := []nvml.FieldValue{{FieldId: nvml.FI_DEV_MEMORY_TEMP}, {FieldId: nvml.FI_DEV_PERF_POLICY_THERMAL},
			{FieldId: nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN}, {FieldId: nvml.FI_DEV_PCIE_REPLAY_COUNTER}}
		h.GetFieldValues(fv)
	}))
	step("processes", each(func(h nvml.Device) {
		h.GetComputeRunningProcesses()
		h.GetGraphicsRunningProcesses()
		h.GetProcessUtilization(0)
	}))
	step("PCIe throughput", each(func(h nvml.Device) { h.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES) }))
	step("ECC, remap, persistence", each(func(h nvml.Device) {
		h.GetEccMode()
		h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.VOLATILE_ECC)
		h.GetRemappedRows()
		h.GetPersistenceMode()
		h.GetMigMode()
	}))
	var set nvml.EventSet
	step("event set (Xid)", func() {
		s, ret := lib.EventSetCreate()
		if ret != nvml.SUCCESS {
			t.Logf("EventSetCreate: %v", ret)
			return
		}
		set = s
		for _, h := range devs {
			h.RegisterEvents(nvml.EventTypeXidCriticalError, set)
		}
		set.Wait(0)
	})
	step("GPM support", each(func(h nvml.Device) { h.GpmQueryDeviceSupport() }))
	step("ValidateInforom", each(func(h nvml.Device) { h.ValidateInforom() }))
	step("CUDA driver version v2", func() { lib.SystemGetCudaDriverVersion_v2() })
	step("CUDA driver version v1", func() { lib.SystemGetCudaDriverVersion() })
	step("fast getters again x100", func() {
		for range 100 {
			for _, h := range devs {
				h.GetMemoryInfo_v2()
				h.GetPowerUsage()
			}
		}
	})
	if set != nil {
		step("event set freed", func() { set.Free() })
	}
	m := readMemStatus(t)
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range m.byFile {
		all = append(all, kv{k, v})
	}
	slices.SortFunc(all, func(a, b kv) int { return b.v - a.v })
	var sb strings.Builder
	for _, e := range all[:min(12, len(all))] {
		fmt.Fprintf(&sb, "  %7d kB  %s\n", e.v, e.k)
	}
	t.Logf("resident by mapping at the end:\n%s", sb.String())
}

// TestRealMemoryInfoVersions compares GetMemoryInfo (v1) with
// GetMemoryInfo_v2 on a real GPU, read back to back: whether v2's "used"
// is v1's "used" less v2's "reserved" with the same free and total.
func TestRealMemoryInfoVersions(t *testing.T) {
	if os.Getenv("GPUTOP_MEM_VERSIONS") == "" {
		t.Skip("GPUTOP_MEM_VERSIONS not set")
	}
	b, _, _ := openReal(t)
	for i, d := range b.devices {
		for range 3 {
			m1, r1 := d.handle.GetMemoryInfo()
			m2, r2 := d.handle.GetMemoryInfo_v2()
			t.Logf("GPU %d v1 (%v): total %d free %d used %d | v2 (%v): version %#x total %d reserved %d free %d used %d | v1.used-v2.reserved-v2.used %d, v1.total-v2.total %d, v1.free-v2.free %d",
				i, r1, m1.Total, m1.Free, m1.Used, r2, m2.Version, m2.Total, m2.Reserved, m2.Free, m2.Used,
				int64(m1.Used)-int64(m2.Reserved)-int64(m2.Used), int64(m1.Total)-int64(m2.Total), int64(m1.Free)-int64(m2.Free))
		}
	}
}
