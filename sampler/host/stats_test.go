package host

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSamplerRead(t *testing.T) {
	root := t.TempDir()
	clk := newFakeClock()
	writeFiles(t, root, map[string]string{
		// user nice system idle iowait irq softirq steal guest guest_nice
		"stat":    "cpu  1000 0 500 8000 500 0 0 0 0 0\ncpu0 1000 0 500 8000 500 0 0 0 0 0\nbtime 1763700000\n",
		"loadavg": "1.50 0.75 0.25 2/300 4242\n",
		"meminfo": "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    4000000 kB\nBuffers:          100000 kB\nCached:          2000000 kB\nSwapTotal:       2000000 kB\nSwapFree:        1500000 kB\n",
		"vmstat":  "pswpin 0\npswpout 0\n",
	})
	s := NewSamplerAt(root, clk.Now)
	st, err := s.Read()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if st.CPUPercent.OK {
		t.Errorf("CPU%% on the first reading = %v, want unavailable", st.CPUPercent)
	}
	if st.Load1.V != 1.5 || st.Load5.V != 0.75 || st.Load15.V != 0.25 || !st.Load15.OK {
		t.Errorf("load = %v %v %v", st.Load1, st.Load5, st.Load15)
	}
	if st.MemTotal.V != 16000000*1024 || st.MemUsed.V != 12000000*1024 {
		t.Errorf("memory = %v of %v, want total-available", st.MemUsed, st.MemTotal)
	}
	// Swap totals come from sysinfo(2), not the tree: only check they agree.
	if !st.SwapTotal.OK || st.SwapUsed.V > st.SwapTotal.V {
		t.Errorf("swap = %v of %v", st.SwapUsed, st.SwapTotal)
	}
	if st.Time.Time() != clk.Now() {
		t.Errorf("time = %v", st.Time.Time())
	}

	// 300 busy jiffies out of 1000 since the previous reading: 30%.
	writeFiles(t, root, map[string]string{"stat": "cpu  1200 0 600 8600 600 0 0 0 0 0\nbtime 1763700000\n"})
	clk.Advance(time.Second)
	st, err = s.Read()
	if err != nil {
		t.Fatal(err)
	}
	if !st.CPUPercent.OK || st.CPUPercent.V < 29.999 || st.CPUPercent.V > 30.001 {
		t.Errorf("CPU%% = %v, want 30", st.CPUPercent)
	}
}

func TestSamplerPartialFailure(t *testing.T) {
	root := t.TempDir() // no files at all
	writeFiles(t, root, map[string]string{"loadavg": "0.10 0.20 0.30 1/1 1\n"})
	st, err := NewSamplerAt(root, nil).Read()
	if err == nil {
		t.Fatal("Read of an empty tree returned no error")
	}
	if st.MemTotal.OK || st.MemUsed.OK || st.CPUPercent.OK {
		t.Errorf("unreadable values must be unavailable: %+v", st)
	}
	if !st.Load1.OK || st.Load1.V != 0.1 {
		t.Errorf("readable load lost: %v", st.Load1)
	}
}

func TestSamplerRealHost(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc here")
	}
	s := NewSampler()
	if _, err := s.Read(); err != nil {
		t.Fatalf("first Read: %v", err)
	}
	st, err := s.Read()
	if err != nil {
		t.Fatalf("second Read: %v", err)
	}
	if !st.MemTotal.OK || st.MemTotal.V == 0 || st.MemUsed.V > st.MemTotal.V || !st.Load1.OK {
		t.Errorf("stats = %+v", st)
	}
}

func BenchmarkSamplerRead(b *testing.B) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		b.Skip("no /proc here")
	}
	s := NewSampler()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Read(); err != nil {
			b.Fatal(err)
		}
	}
}
