package host

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
)

// gopsutil, which the host strip used before, is the oracle on this
// machine's /proc: the same totals, the same load (unless it moved between
// the two reads), used memory within 2 % of the total.
func TestProcFilesAgreeWithGopsutil(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil || os.Getenv("HOST_PROC") != "" {
		t.Skip("no /proc here, or HOST_PROC points elsewhere")
	}
	st, err := NewSamplerAt("/proc", nil).Read()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := mem.VirtualMemory()
	if err != nil {
		t.Fatal(err)
	}
	if st.MemTotal.V != vm.Total {
		t.Errorf("MemTotal %d, gopsutil %d", st.MemTotal.V, vm.Total)
	}
	if used := vm.Total - vm.Available; math.Abs(float64(st.MemUsed.V)-float64(used)) > 0.02*float64(vm.Total) {
		t.Errorf("used memory %d, gopsutil %d", st.MemUsed.V, used)
	}
	sw, err := mem.SwapMemory()
	if err != nil {
		t.Fatal(err)
	}
	if st.SwapTotal.V != sw.Total {
		t.Errorf("SwapTotal %d, gopsutil %d", st.SwapTotal.V, sw.Total)
	}
	l, err := load.Avg()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(st.Load15.V-l.Load15) > 0.05 {
		t.Errorf("load15 %v, gopsutil %v", st.Load15.V, l.Load15)
	}
	ct, err := cpu.Times(false)
	if err != nil || len(ct) == 0 {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	busy, all, err := cpuTimes(b)
	if err != nil {
		t.Fatal(err)
	}
	// gopsutil's are seconds: the busy share since boot must agree.
	gBusy := ct[0].User + ct[0].Nice + ct[0].System + ct[0].Irq + ct[0].Softirq + ct[0].Steal
	gAll := gBusy + ct[0].Idle + ct[0].Iowait
	if math.Abs(busy/all-gBusy/gAll) > 0.001 {
		t.Errorf("busy share since boot %v, gopsutil %v", busy/all, gBusy/gAll)
	}
}

func TestCPUTimes(t *testing.T) {
	for _, tc := range []struct {
		in        string
		busy, all float64
		ok        bool
	}{
		{"cpu  1000 0 500 8000 500 0 0 0 0 0\ncpu0 1 1 1 1\n", 1500, 10000, true},
		{"cpu  10 20 30 40 50 60 70 80 90 100\n", 10 + 20 + 30 + 60 + 70 + 80, 10 + 20 + 30 + 60 + 70 + 80 + 40 + 50, true},
		{"cpu  1 2 3 4\n", 6, 10, true}, // an old kernel: no iowait and later
		{"cpu  1 2 3\n", 0, 0, false},
		{"cpu0 1 2 3 4 5\n", 0, 0, false},
		{"", 0, 0, false},
		{"cpu  99999999999999999999999 1 1 1\n", 0, 0, false},
		{"intr 1 2 3\ncpu  1 2 3 4\n", 0, 0, false}, // the cpu line must be first
	} {
		busy, all, err := cpuTimes([]byte(tc.in))
		if (err == nil) != tc.ok || busy != tc.busy || all != tc.all {
			t.Errorf("cpuTimes(%q) = %v, %v, %v; want %v, %v, ok %v", tc.in, busy, all, err, tc.busy, tc.all, tc.ok)
		}
	}
}

func TestLoadAvg(t *testing.T) {
	for _, in := range []string{"1.50 0.75 0.25 2/300 4242\n", "0.00 0.01 123.45 1/1 1", "3 4 5 1/1 1\n", "0.333333 10.5 7.25 1/2 3\n"} {
		l1, l5, l15, err := loadAvg([]byte(in))
		if err != nil {
			t.Errorf("loadAvg(%q): %v", in, err)
			continue
		}
		f := strings.Fields(in)
		for i, got := range []float64{l1, l5, l15} {
			if want, _ := strconv.ParseFloat(f[i], 64); got != want {
				t.Errorf("loadAvg(%q)[%d] = %v, strconv %v", in, i, got, want)
			}
		}
	}
	for _, in := range []string{"", "1.5 0.7", "a b c", "1.5x 0.7 0.2", "1. 2 3", "-1 2 3", "1e3 2 3",
		"99999999999999999999.5 1 1"} {
		if _, _, _, err := loadAvg([]byte(in)); err == nil {
			t.Errorf("loadAvg(%q) accepted", in)
		}
	}
}

func TestParseMemInfo(t *testing.T) {
	m := parseMemInfo([]byte("MemTotal:       16000000 kB\nMemFree: 1 kB\nMemAvailable:    4000000 kB\nSwapTotal:  2000000 kB\nSwapFree:   1500000 kB\n"))
	if m.has != hasTotal|hasAvailable|hasSwapTotal|hasSwapFree || m.total != 16000000*1024 || m.available != 4000000*1024 ||
		m.swapTotal != 2000000*1024 || m.swapFree != 1500000*1024 {
		t.Errorf("parseMemInfo = %+v", m)
	}
	// Missing, malformed, unknown units and overflow leave values unavailable.
	m = parseMemInfo([]byte("MemTotal: x kB\nMemAvailable: 5 MB\nSwapTotal: 18446744073709551615 kB\nSwapFree:\nMemTotalX: 3 kB"))
	if m.has != 0 {
		t.Errorf("malformed meminfo gave %+v", m)
	}
	// A value with no unit is in bytes (HugePages_Total has none).
	if m := parseMemInfo([]byte("MemTotal: 7\n")); m.has != hasTotal || m.total != 7 {
		t.Errorf("no unit: %+v", m)
	}
}

// A reading makes no garbage beyond the paths' C strings: 594 allocations
// (41 KB) with gopsutil.
func TestHostReadAllocations(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc here")
	}
	s := NewSamplerAt("/proc", nil)
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.Read(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 4 {
		t.Errorf("a host reading allocates %v times, want at most 4", allocs)
	}
}

func FuzzHostParsers(f *testing.F) {
	f.Add([]byte("cpu  1 2 3 4 5 6 7 8 9 10\n"))
	f.Add([]byte("1.50 0.75 0.25 2/300 4242\n"))
	f.Add([]byte("MemTotal: 1 kB\nMemAvailable: 2 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if busy, all, err := cpuTimes(b); err == nil && busy > all {
			t.Errorf("busy %v > all %v", busy, all)
		}
		if l1, l5, l15, err := loadAvg(b); err == nil && (l1 < 0 || l5 < 0 || l15 < 0 || math.IsNaN(l1+l5+l15)) {
			t.Errorf("load %v %v %v", l1, l5, l15)
		}
		_ = parseMemInfo(b)
	})
}

// Counters near 2^64 do not wrap around when summed.
func TestCPUTimesNoWrap(t *testing.T) {
	busy, all, err := cpuTimes([]byte("cpu  18446744073709551615 18446744073709551615 1 1 1\n"))
	if err != nil || busy > all || busy < 1e19 {
		t.Errorf("cpuTimes = %v, %v, %v", busy, all, err)
	}
}
