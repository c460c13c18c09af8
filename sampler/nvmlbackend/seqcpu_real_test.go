package nvmlbackend

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"golang.org/x/sys/unix"

	"github.com/gputop/gputop/model"
)

// threadCPUNs is this OS thread's CPU time from the scheduler's own
// accounting (CLOCK_THREAD_CPUTIME_ID: nanosecond resolution, unlike
// getrusage's tick-sampled split).
func threadCPUNs(t testing.TB) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// seqCalls are the calls TestRealSequenceCPU can put in a sequence, by name.
func seqCalls(h nvml.Device) map[string]func() nvml.Return {
	field := func(ids ...uint32) func() nvml.Return {
		fv := make([]nvml.FieldValue, len(ids))
		return func() nvml.Return {
			for i, id := range ids {
				fv[i] = nvml.FieldValue{FieldId: id}
			}
			return h.GetFieldValues(fv)
		}
	}
	since := func() uint64 { return uint64(time.Now().Add(-time.Second).UnixMicro()) }
	return map[string]func() nvml.Return{
		"mem":      func() nvml.Return { _, ret := h.GetMemoryInfo_v2(); return ret },
		"memv1":    func() nvml.Return { _, ret := h.GetMemoryInfo(); return ret },
		"util":     func() nvml.Return { _, ret := h.GetUtilizationRates(); return ret },
		"temp":     func() nvml.Return { _, ret := h.GetTemperature(nvml.TEMPERATURE_GPU); return ret },
		"tempv":    func() nvml.Return { _, ret := h.GetTemperatureV().V1(); return ret },
		"power":    func() nvml.Return { _, ret := h.GetPowerUsage(); return ret },
		"plimit":   func() nvml.Return { _, ret := h.GetEnforcedPowerLimit(); return ret },
		"clocksm":  func() nvml.Return { _, ret := h.GetClockInfo(nvml.CLOCK_SM); return ret },
		"clockmem": func() nvml.Return { _, ret := h.GetClockInfo(nvml.CLOCK_MEM); return ret },
		"clockcur": func() nvml.Return { _, ret := h.GetClock(nvml.CLOCK_SM, nvml.CLOCK_ID_CURRENT); return ret },
		"pstate":   func() nvml.Return { _, ret := h.GetPerformanceState(); return ret },
		"reasons":  func() nvml.Return { _, ret := h.GetCurrentClocksEventReasons(); return ret },
		"smputil":  func() nvml.Return { _, _, ret := h.GetSamples(nvml.GPU_UTILIZATION_SAMPLES, since()); return ret },
		"spower":   func() nvml.Return { _, _, ret := h.GetSamples(nvml.TOTAL_POWER_SAMPLES, since()); return ret },
		"ssmclk":   func() nvml.Return { _, _, ret := h.GetSamples(nvml.PROCESSOR_CLK_SAMPLES, since()); return ret },
		"smemclk":  func() nvml.Return { _, _, ret := h.GetSamples(nvml.MEMORY_CLK_SAMPLES, since()); return ret },
		"procs":    func() nvml.Return { _, ret := h.GetComputeRunningProcesses(); return ret },
		"gprocs":   func() nvml.Return { _, ret := h.GetGraphicsRunningProcesses(); return ret },
		"procutil": func() nvml.Return { _, ret := h.GetProcessUtilization(since()); return ret },
		"eccvol": func() nvml.Return {
			_, ret := h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_CORRECTED, nvml.VOLATILE_ECC)
			return ret
		},
		"fmemtemp":   field(nvml.FI_DEV_MEMORY_TEMP),
		"fpower":     field(nvml.FI_DEV_POWER_INSTANT),
		"fpoweravg":  field(nvml.FI_DEV_POWER_AVERAGE),
		"fplimit":    field(nvml.FI_DEV_POWER_CURRENT_LIMIT),
		"fmtpw":      field(nvml.FI_DEV_MEMORY_TEMP, nvml.FI_DEV_POWER_INSTANT),
		"fmtpwlimit": field(nvml.FI_DEV_MEMORY_TEMP, nvml.FI_DEV_POWER_INSTANT, nvml.FI_DEV_POWER_CURRENT_LIMIT),
		"fenergy":    field(nvml.FI_DEV_TOTAL_ENERGY_CONSUMPTION),
		"fviol":      field(nvml.FI_DEV_PERF_POLICY_POWER, nvml.FI_DEV_PERF_POLICY_THERMAL),
		"fvpower":    field(nvml.FI_DEV_PERF_POLICY_POWER),
		"fvthermal":  field(nvml.FI_DEV_PERF_POLICY_THERMAL),
		"fvrel":      field(nvml.FI_DEV_PERF_POLICY_RELIABILITY),
		"fvboard":    field(nvml.FI_DEV_PERF_POLICY_BOARD_LIMIT),
		"fvhwtherm":  field(nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_THERM_SLOWDOWN),
		"fvhwbrake":  field(nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN),
		"fvlowutil":  field(nvml.FI_DEV_PERF_POLICY_LOW_UTILIZATION),
		"fvsync":     field(nvml.FI_DEV_PERF_POLICY_SYNC_BOOST),
		"frecovery":  field(nvml.FI_DEV_GET_GPU_RECOVERY_ACTION),
		"freplay":    field(nvml.FI_DEV_PCIE_REPLAY_COUNTER),
		"fsignals": field(nvml.FI_DEV_PERF_POLICY_POWER, nvml.FI_DEV_PERF_POLICY_THERMAL, nvml.FI_DEV_PERF_POLICY_RELIABILITY,
			nvml.FI_DEV_PERF_POLICY_BOARD_LIMIT, nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_THERM_SLOWDOWN,
			nvml.FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN, nvml.FI_DEV_PERF_POLICY_LOW_UTILIZATION,
			nvml.FI_DEV_PERF_POLICY_SYNC_BOOST, nvml.FI_DEV_GET_GPU_RECOVERY_ACTION, nvml.FI_DEV_PCIE_REPLAY_COUNTER),
		"fpciecnt": field(nvml.FI_DEV_PCIE_COUNT_TX_BYTES, nvml.FI_DEV_PCIE_COUNT_RX_BYTES),
		"pcietx":   func() nvml.Return { _, ret := h.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES); return ret },
		"encoder":  func() nvml.Return { _, _, ret := h.GetEncoderUtilization(); return ret },
		"eccmode":  func() nvml.Return { _, _, ret := h.GetEccMode(); return ret },
		"persist":  func() nvml.Return { _, ret := h.GetPersistenceMode(); return ret },
		"migmode":  func() nvml.Return { _, _, ret := h.GetMigMode(); return ret },
		"ecc-agg": func() nvml.Return {
			_, ret := h.GetTotalEccErrors(nvml.MEMORY_ERROR_TYPE_UNCORRECTED, nvml.AGGREGATE_ECC)
			return ret
		},
		"replaycnt": func() nvml.Return { _, ret := h.GetPcieReplayCounter(); return ret },
		"retired": func() nvml.Return {
			_, ret := h.GetRetiredPages(nvml.PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS)
			return ret
		},
		"remapped": func() nvml.Return { _, _, _, _, ret := h.GetRemappedRows(); return ret },
	}
}

// TestRealSequenceCPU measures the CPU each call costs inside a sequence
// made every spacing, the way a tier makes them: the driver answers some
// calls from a short-lived cache that another call of the sequence may have
// filled, so a call's cost depends on its neighbours and the spacing.
//
//	GPUTOP_SEQS="mem,util,temp,power;fpower,clocksm"  sequences, ';'-separated
//	GPUTOP_SEQ_SPACING=1s GPUTOP_SEQ_N=8
func TestRealSequenceCPU(t *testing.T) {
	seqs := os.Getenv("GPUTOP_SEQS")
	if seqs == "" {
		t.Skip("GPUTOP_SEQS not set")
	}
	b, _, _ := openReal(t)
	h := b.devices[0].handle
	calls := seqCalls(h)
	n, spacing := seqRuns(8)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, seq := range strings.Split(seqs, ";") {
		names := strings.Split(seq, ",")
		for _, name := range names {
			if calls[name] == nil {
				t.Fatalf("unknown call %q", name)
			}
			calls[name]() // learn/initialise
		}
		cpu := make([][]time.Duration, len(names))
		rets := make([]nvml.Return, len(names))
		var total []time.Duration
		for range n {
			time.Sleep(spacing)
			var sum time.Duration
			for i, name := range names {
				c0 := threadCPUNs(t)
				rets[i] = calls[name]()
				d := threadCPUNs(t) - c0
				cpu[i] = append(cpu[i], d)
				sum += d
			}
			total = append(total, sum)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "sequence %q, %d x %v apart: total median %v\n", seq, n, spacing, median(total))
		for i, name := range names {
			fmt.Fprintf(&b, "  %-10s median %9v  max %9v  ret %v\n", name, median(cpu[i]), slices.Max(cpu[i]), rets[i])
		}
		t.Log(b.String())
	}
}

// seqRuns is how many times and how far apart the device tests make their
// calls: GPUTOP_SEQ_N (default n) and GPUTOP_SEQ_SPACING (default 1 s).
func seqRuns(n int) (int, time.Duration) {
	spacing := time.Second
	if v, err := time.ParseDuration(os.Getenv("GPUTOP_SEQ_SPACING")); err == nil && v > 0 {
		spacing = v
	}
	if v, err := strconv.Atoi(os.Getenv("GPUTOP_SEQ_N")); err == nil && v > 0 {
		n = v
	}
	return n, spacing
}

func median(v []time.Duration) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestRealReadingCPU measures the CPU of whole fast and slow readings of
// every GPU made every spacing (GPUTOP_SEQ_SPACING, default 1 s), with the
// backend's defaults: what one tick of gputop costs in NVML and the
// backend's Go code.
func TestRealReadingCPU(t *testing.T) {
	if os.Getenv("GPUTOP_READING_CPU") == "" {
		t.Skip("GPUTOP_READING_CPU not set")
	}
	b, _, infos := openReal(t)
	n, spacing := seqRuns(12)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var fast, slow [][]time.Duration
	for range infos {
		fast, slow = append(fast, nil), append(slow, nil)
	}
	for k := range n {
		time.Sleep(spacing)
		for i, g := range infos {
			var s model.Sample
			s.Time = model.Now()
			c0 := threadCPUNs(t)
			if err := b.ReadFast(g.Index, &s); err != nil {
				t.Fatal(err)
			}
			c1 := threadCPUNs(t)
			var ss model.SlowSample
			ss.Time = s.Time
			if err := b.ReadSlow(g.Index, &ss); err != nil {
				t.Fatal(err)
			}
			c2 := threadCPUNs(t)
			if k > 0 { // the first reading does the once-only work
				fast[i] = append(fast[i], c1-c0)
				slow[i] = append(slow[i], c2-c1)
			}
		}
	}
	for i := range infos {
		t.Logf("GPU %d, %d readings %v apart: fast median %v max %v; slow median %v max %v; all %v",
			i, n-1, spacing, median(fast[i]), slices.Max(fast[i]), median(slow[i]), slices.Max(slow[i]), fast[i])
		t.Logf("GPU %d slow readings: %v", i, slow[i])
	}
	for _, c := range b.CallStats() {
		t.Logf("  %-40s %5d calls, mean wall %v", c.Name, c.Count, c.Mean)
	}
}

// TestRealSampleBuffers reports how far back NVML's power and utilisation
// sample buffers reach and what a read costs by how much it asks for: the
// tier that reads them must come back before the oldest sample it has not
// seen is overwritten, or peaks are lost.
func TestRealSampleBuffers(t *testing.T) {
	if os.Getenv("GPUTOP_SAMPLE_BUFFERS") == "" {
		t.Skip("GPUTOP_SAMPLE_BUFFERS not set")
	}
	b, _, _ := openReal(t)
	h := b.devices[0].handle
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, typ := range []struct {
		name string
		typ  nvml.SamplingType
	}{{"TOTAL_POWER", nvml.TOTAL_POWER_SAMPLES}, {"GPU_UTILIZATION", nvml.GPU_UTILIZATION_SAMPLES}} {
		now := uint64(time.Now().UnixMicro())
		for _, back := range []time.Duration{0, time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second} {
			since := uint64(0)
			if back > 0 {
				since = now - uint64(back.Microseconds())
			}
			c0, w0 := threadCPUNs(t), time.Now()
			_, smp, ret := h.GetSamples(typ.typ, since)
			cpu, wall := threadCPUNs(t)-c0, time.Since(w0)
			span := ""
			var first, last uint64
			var valid int
			for _, x := range smp {
				if x.TimeStamp == 0 {
					continue
				}
				if valid == 0 || x.TimeStamp < first {
					first = x.TimeStamp
				}
				last = max(last, x.TimeStamp)
				valid++
			}
			if valid > 0 {
				smp = smp[:valid]
				span = fmt.Sprintf("oldest %.2fs ago, newest %.3fs ago, mean gap %v", float64(now-first)/1e6, float64(int64(now)-int64(last))/1e6,
					time.Duration(last-first)*time.Microsecond/time.Duration(max(len(smp)-1, 1)))
			}
			t.Logf("%-16s since -%-4v: %3d samples, %v, cpu %v wall %v; %s", typ.name, back, len(smp), ret, cpu, wall, span)
		}
		// Continuity: read, wait 6 s, read from the newest seen; the oldest
		// new sample should follow the last seen by about one sample gap.
		_, smp, _ := h.GetSamples(typ.typ, 0)
		var last uint64
		for _, x := range smp {
			last = max(last, x.TimeStamp)
		}
		time.Sleep(6 * time.Second)
		c0 := threadCPUNs(t)
		_, smp, ret := h.GetSamples(typ.typ, last)
		cpu := threadCPUNs(t) - c0
		oldest := uint64(0)
		for _, x := range smp {
			if x.TimeStamp > last && (oldest == 0 || x.TimeStamp < oldest) {
				oldest = x.TimeStamp
			}
		}
		t.Logf("%-16s after 6 s from the newest seen: %d samples, %v, cpu %v, first new sample %.3fs after the last seen",
			typ.name, len(smp), ret, cpu, float64(oldest-last)/1e6)
	}
}

// TestRealPCIeCounters logs the rate of the PCIe byte counter fields beside
// GetPcieThroughput's 20 ms figure, once a second: run it while something
// copies to the GPU. (On an H200 under a 50.9 GiB/s copy the counters' rate
// was wrong, so gputop does not use them: docs/performance.md.)
func TestRealPCIeCounters(t *testing.T) {
	if os.Getenv("GPUTOP_PCIE") == "" {
		t.Skip("GPUTOP_PCIE not set")
	}
	b, _, _ := openReal(t)
	h := b.devices[0].handle
	var prev [2]nvml.FieldValue
	for i := range 6 {
		fv := []nvml.FieldValue{{FieldId: nvml.FI_DEV_PCIE_COUNT_TX_BYTES}, {FieldId: nvml.FI_DEV_PCIE_COUNT_RX_BYTES}}
		ret := h.GetFieldValues(fv)
		tx, _ := h.GetPcieThroughput(nvml.PCIE_UTIL_TX_BYTES)
		rx, _ := h.GetPcieThroughput(nvml.PCIE_UTIL_RX_BYTES)
		var rate [2]string
		for k := range fv {
			v, _ := fieldValue(fv[k].ValueType, fv[k].Value)
			p, _ := fieldValue(prev[k].ValueType, prev[k].Value)
			if dt := float64(fv[k].Timestamp-prev[k].Timestamp) / 1e6; i > 0 && dt > 0 {
				rate[k] = fmt.Sprintf("%.0f kB/s (type %d, raw %.0f)", (v-p)/dt/1000, fv[k].ValueType, v)
			}
		}
		copy(prev[:], fv)
		t.Logf("reading %d (%v): counters TX %s RX %s; GetPcieThroughput TX %d RX %d KB/s", i, ret, rate[0], rate[1], tx, rx)
		time.Sleep(time.Second)
	}
}
