package promexport

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/sim"
)

func demoSampler(t *testing.T, opts sim.Options, sopts sampler.Options) (*sampler.Sampler, *sim.Fleet) {
	t.Helper()
	fleet := sim.New(opts)
	t.Cleanup(func() { fleet.Close() })
	smp, err := sampler.Open(context.Background(), fleet, sopts)
	if err != nil {
		t.Fatal(err)
	}
	return smp, fleet
}

func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func find(t *testing.T, mfs map[string]*dto.MetricFamily, name string, match map[string]string) *dto.Metric {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no %s", name)
	}
	for _, m := range mf.GetMetric() {
		l := labelsOf(m)
		ok := true
		for k, v := range match {
			ok = ok && l[k] == v
		}
		if ok {
			return m
		}
	}
	t.Fatalf("no %s with %v", name, match)
	return nil
}

func value(m *dto.Metric) float64 {
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.Counter.GetValue()
}

// The dcgm-exporter names carry its types, units and labels; the values are
// the sampler's newest readings converted to those units.
func TestCollectorDCGMSet(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	smp, _ := demoSampler(t, sim.Options{GPUs: 4, Seed: 1, Start: start}, sampler.Options{Interval: time.Second})
	for i := range 70 {
		smp.Step(start.Add(time.Duration(i)*time.Second), true)
	}
	now := start.Add(70 * time.Second)
	results := []model.CheckResult{
		{ID: "driver.loaded", Status: model.Pass},
		{ID: "torch.arch.gpu1", Status: model.Fail, GPU: model.Some(1)},
		{ID: "persistence.gpu1", Status: model.Warn, GPU: model.Some(1)},
		{ID: "throttle.gpu0", Status: model.Pass, GPU: model.Some(0)},
		{ID: "throttle.gpu0", Status: model.Pass, GPU: model.Some(0)}, // a duplicate id must not break the scrape
	}
	c := New(smp, Options{Hostname: "node-a", Version: "v1.2.3", Now: func() time.Time { return now },
		Checks: func() []model.CheckResult { return results }})
	mfs := gather(t, c)

	types := map[string]dto.MetricType{
		"DCGM_FI_DEV_GPU_UTIL": dto.MetricType_GAUGE, "DCGM_FI_DEV_FB_USED": dto.MetricType_GAUGE,
		"DCGM_FI_DEV_FB_FREE": dto.MetricType_GAUGE, "DCGM_FI_DEV_FB_RESERVED": dto.MetricType_GAUGE,
		"DCGM_FI_DEV_GPU_TEMP": dto.MetricType_GAUGE, "DCGM_FI_DEV_POWER_USAGE": dto.MetricType_GAUGE,
		"DCGM_FI_DEV_SM_CLOCK": dto.MetricType_GAUGE, "DCGM_FI_DEV_MEM_CLOCK": dto.MetricType_GAUGE,
		"DCGM_FI_DEV_XID_ERRORS": dto.MetricType_GAUGE, "DCGM_FI_DEV_PCIE_REPLAY_COUNTER": dto.MetricType_COUNTER,
		"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": dto.MetricType_COUNTER,
	}
	for name, typ := range types {
		mf := mfs[name]
		if mf == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if mf.GetType() != typ {
			t.Errorf("%s is %v, want %v", name, mf.GetType(), typ)
		}
		// GPU 3 is in MIG mode: like dcgm-exporter, no whole-GPU
		// utilisation for it.
		want := 4
		if name == "DCGM_FI_DEV_GPU_UTIL" {
			want = 3
		}
		if len(mf.GetMetric()) != want {
			t.Errorf("%s has %d series, want %d", name, len(mf.GetMetric()), want)
		}
	}
	g1 := smp.GPUs()[1]
	fast, _, _, _ := g1.Latest()
	sel := map[string]string{"gpu": "1"}
	m := find(t, mfs, "DCGM_FI_DEV_POWER_USAGE", sel)
	if got, want := value(m), float64(fast.PowerDraw.V)/1000; got != want {
		t.Errorf("power %v W, want %v (mW / 1000)", got, want)
	}
	if got, want := value(find(t, mfs, "DCGM_FI_DEV_FB_USED", sel)), float64(fast.MemUsed.V>>20); got != want {
		t.Errorf("FB used %v MiB, want %v", got, want)
	}
	l := labelsOf(m)
	want := map[string]string{"gpu": "1", "UUID": g1.Info.UUID, "pci_bus_id": g1.Info.BusID, "device": "nvidia1",
		"modelName": g1.Info.Name, "Hostname": "node-a", "DCGM_FI_DRIVER_VERSION": smp.System().DriverVersion}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("label %s=%q, want %q", k, l[k], v)
		}
	}
	if len(l) != len(want) {
		t.Errorf("labels %v, want exactly %v", l, want)
	}
	// The verdict is model.GPUVerdict's, the one every view draws.
	for gpu, st := range map[string]string{"0": "ok", "1": "fail", "2": "ok"} {
		if v := value(find(t, mfs, "gputop_gpu_verdict", map[string]string{"gpu": gpu, "verdict": st})); v != 1 {
			t.Errorf("gpu %s verdict %s = %v, want 1", gpu, st, v)
		}
	}
	if v := value(find(t, mfs, "gputop_gpu_verdict_reason", map[string]string{"gpu": "1", "reason": "PyTorch arch"})); v != 1 {
		t.Errorf("gpu 1 reason: %v", v)
	}
	if v := value(find(t, mfs, "gputop_check_status", map[string]string{"check": "driver.loaded", "gpu": "", "status": "pass"})); v != 1 {
		t.Errorf("driver.loaded pass = %v", v)
	}
	if n := len(mfs["gputop_check_status"].GetMetric()); n != 4*4 {
		t.Errorf("%d check series, want %d", n, 4*4)
	}
	if v := value(find(t, mfs, "gputop_build_info", map[string]string{"version": "v1.2.3"})); v != 1 {
		t.Error("build info")
	}
	// The energy counter is read about once a minute; between readings the
	// newest one is served, never dropped.
	if _, ok := mfs["DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"]; !ok {
		t.Error("energy missing between its once-a-minute readings")
	}
}

// A scrape while a GPU's driver call hangs returns at once, with that GPU's
// last good values and gputop_gpu_health{state="stale"} 1.
func TestCollectorHungGPU(t *testing.T) {
	smp, fleet := demoSampler(t, sim.Options{GPUs: 2, Seed: 1, Faults: []sim.Fault{{GPU: 1, Kind: sim.FaultHang, At: 300 * time.Millisecond}}},
		sampler.Options{Interval: 50 * time.Millisecond, StaleAfter: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = smp.Run(ctx) }()
	defer func() { cancel(); fleet.Close(); <-done }()
	c := New(smp, Options{Hostname: "h"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		began := time.Now()
		mfs := gather(t, c)
		if took := time.Since(began); took > time.Second {
			t.Fatalf("a scrape took %v while a GPU hangs", took)
		}
		stale := value(find(t, mfs, "gputop_gpu_health", map[string]string{"gpu": "1", "state": "stale"}))
		if stale == 1 {
			find(t, mfs, "DCGM_FI_DEV_GPU_UTIL", map[string]string{"gpu": "1"}) // last good value still served
			if ok := value(find(t, mfs, "gputop_gpu_health", map[string]string{"gpu": "0", "state": "ok"})); ok != 1 {
				t.Error("the healthy GPU is not ok")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("GPU 1 never marked stale")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Xids are counted once each, however the scrapes fall, and the last one
// is DCGM_FI_DEV_XID_ERRORS with its code and meaning.
func TestCollectorXids(t *testing.T) {
	smp, _ := demoSampler(t, sim.Options{GPUs: 2, Seed: 1}, sampler.Options{})
	c := New(smp, Options{Hostname: "h"})
	mfs := gather(t, c)
	if v := value(find(t, mfs, "DCGM_FI_DEV_XID_ERRORS", map[string]string{"gpu": "0", "err_code": "0", "err_msg": "No Error"})); v != 0 {
		t.Errorf("no Xid yet: %v", v)
	}
	smp.Emit(model.XidEvent(model.Now(), 1, 31))
	smp.Emit(model.Event{Kind: model.EventInfo, Message: "not an xid"})
	smp.Emit(model.XidEvent(model.Now(), 1, 31))
	gather(t, c)
	smp.Emit(model.XidEvent(model.Now(), 1, 79))
	for range 3 {
		mfs = gather(t, c)
	}
	if v := value(find(t, mfs, "gputop_xid_errors_total", map[string]string{"gpu": "1", "xid": "31"})); v != 2 {
		t.Errorf("Xid 31 counted %v times, want 2", v)
	}
	if v := value(find(t, mfs, "gputop_xid_errors_total", map[string]string{"gpu": "1", "xid": "79"})); v != 1 {
		t.Errorf("Xid 79 counted %v times, want 1", v)
	}
	m := find(t, mfs, "DCGM_FI_DEV_XID_ERRORS", map[string]string{"gpu": "1"})
	if l := labelsOf(m); value(m) != 79 || l["err_code"] != "79" || !strings.Contains(l["err_msg"], "fell off the bus") {
		t.Errorf("last Xid: %v %v", value(m), l)
	}
}

func TestCleanLabel(t *testing.T) {
	cases := map[string]string{
		"node-a":                 "node-a",
		"evil\x1b[31mred\x07":    "evil [31mred",
		"bad\xffutf8":            "bad?utf8",
		strings.Repeat("é", 100): strings.Repeat("é", 64),
		"  padded\n":             "padded",
	}
	for in, want := range cases {
		if got := CleanLabel(in); got != want {
			t.Errorf("CleanLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkCollect(b *testing.B) {
	start := time.Unix(1_800_000_000, 0)
	fleet := sim.New(sim.Options{GPUs: 8, Seed: 1, Start: start})
	smp, err := sampler.Open(context.Background(), fleet, sampler.Options{Interval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 120 {
		smp.Step(start.Add(time.Duration(i)*time.Second), true)
	}
	now := start.Add(120 * time.Second)
	c := New(smp, Options{Hostname: "h", Now: func() time.Time { now = now.Add(15 * time.Second); return now }})
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// While a model loads, the load watch's seconds-to-full is exported; the
// peaks since the previous scrape are never below the newest reading.
func TestCollectorLoadWatchAndPeaks(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	smp, _ := demoSampler(t, sim.Options{GPUs: 8, Seed: 1, Start: start}, sampler.Options{Interval: time.Second})
	now := start
	c := New(smp, Options{Hostname: "h", Now: func() time.Time { return now }})
	for i := range 7 {
		now = start.Add(time.Duration(i) * time.Second)
		smp.Step(now, true)
	}
	mfs := gather(t, c)
	if v := value(find(t, mfs, "gputop_memory_seconds_to_full", map[string]string{"gpu": "0"})); v <= 0 || v > 600 {
		t.Errorf("loading GPU 0: %v s to full", v)
	}
	for i := range 8 {
		sel := map[string]string{"gpu": fmt.Sprint(i)}
		p := value(find(t, mfs, "gputop_power_peak_watts", sel))
		if now := value(find(t, mfs, "DCGM_FI_DEV_POWER_USAGE", sel)); p < now {
			t.Errorf("gpu %d: power peak %v below the reading %v", i, p, now)
		}
		if i == 3 || i == 7 {
			continue // MIG mode: no whole-GPU utilisation, no peak of it
		}
		u := value(find(t, mfs, "gputop_utilization_peak_percent", sel))
		if now := value(find(t, mfs, "DCGM_FI_DEV_GPU_UTIL", sel)); u < now {
			t.Errorf("gpu %d: utilisation peak %v below the reading %v", i, u, now)
		}
	}
	// A second scrape with no new reading has no peak to report.
	mfs = gather(t, c)
	if _, ok := mfs["gputop_power_peak_watts"]; ok {
		t.Error("a peak reported although nothing was read since the previous scrape")
	}
}
