package nvmlbackend

// Tests against the real libnvidia-ml.so.1. They skip where it cannot be
// loaded (this development machine); build them with
//
//	go test -c -o nvmlbackend.test ./sampler/nvmlbackend/
//
// and run on a GPU machine with
//
//	./nvmlbackend.test -test.run Real -test.v -test.bench Real -test.benchmem

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/dl"
	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

const nvmlLibrary = "libnvidia-ml.so.1"

// libraryLoadable reports whether the dynamic loader finds NVML here, and
// why not.
func libraryLoadable() (bool, error) {
	lib := dl.New(nvmlLibrary, dl.RTLD_LAZY|dl.RTLD_GLOBAL)
	if err := lib.Open(); err != nil {
		return false, err
	}
	_ = lib.Close()
	return true, nil
}

// openReal opens the real library, skipping when it cannot be loaded.
// Once the library loads, a failing Open is a failure, not a skip: it is
// exactly what the user would see.
func openReal(t testing.TB) (*Backend, model.System, []model.GPUInfo) {
	t.Helper()
	if ok, err := libraryLoadable(); !ok {
		t.Skipf("%s cannot be loaded (%v): real-NVML tests need an NVIDIA driver", nvmlLibrary, err)
	}
	b := New(nvml.New(), Options{CallStats: true})
	sys, infos, err := b.Open(context.Background())
	if err != nil {
		if oe, ok := sampler.AsOpenError(err); ok {
			t.Fatalf("Open: %s (%s): %v\nhint: %s", oe.Code, oe.Message, err, oe.Hint)
		}
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b, sys, infos
}

// Without the library (as on this development machine), Open explains
// instead of crashing, and Close is harmless.
func TestRealOpenWithoutLibrary(t *testing.T) {
	if ok, _ := libraryLoadable(); ok {
		t.Skipf("%s is present; this test covers its absence", nvmlLibrary)
	}
	b := NewDefault()
	_, infos, err := b.Open(context.Background())
	oe, ok := sampler.AsOpenError(err)
	if !ok {
		t.Fatalf("want *sampler.OpenError, got %T %v", err, err)
	}
	if oe.Code != "LIBRARY_NOT_FOUND" || oe.Hint == "" || infos != nil {
		t.Errorf("got %+v, infos %v", oe, infos)
	}
	t.Logf("message: %s\nhint: %s", oe.Error(), oe.Hint)
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Reading a backend that never opened is an error, not a crash.
	var s model.Sample
	if err := b.ReadFast(0, &s); err == nil {
		t.Error("ReadFast on an unopened backend succeeded")
	}
	if err := b.Events(context.Background(), func(model.Event) {}); err == nil {
		t.Error("Events on an unopened backend succeeded")
	}
}

func TestRealStaticInfo(t *testing.T) {
	_, sys, infos := openReal(t)
	if sys.Source != "nvml" || sys.DriverVersion == "" || sys.NVMLVersion == "" {
		t.Errorf("system = %+v", sys)
	}
	if v, ok := sys.CUDADriverVersion.Get(); !ok || v < 10000 {
		t.Errorf("CUDA driver version = %v", sys.CUDADriverVersion)
	}
	if len(infos) == 0 {
		t.Fatal("no GPU")
	}
	for _, g := range infos {
		if g.Name == "" || !strings.HasPrefix(g.UUID, "GPU-") || g.BusID == "" {
			t.Errorf("GPU %d identity: %q %q %q", g.Index, g.Name, g.UUID, g.BusID)
		}
		if v, ok := g.MemoryTotal.Get(); !ok || v < 1<<30 {
			t.Errorf("GPU %d memory total = %v", g.Index, g.MemoryTotal)
		}
		if !g.PCIDeviceID.OK || g.PCIDeviceID.V == 0 || g.CC() == "" || g.Architecture == "" {
			t.Errorf("GPU %d device id %v cc %q arch %q", g.Index, g.PCIDeviceID, g.CC(), g.Architecture)
		}
		if v, ok := g.BAR1Total.Get(); !ok || v == 0 {
			t.Errorf("GPU %d BAR1 = %v", g.Index, g.BAR1Total)
		}
		if v, ok := g.PowerLimitDefault.Get(); !ok || v < 10_000 {
			t.Errorf("GPU %d default power limit = %v mW", g.Index, g.PowerLimitDefault)
		}
		if v, ok := g.TempSlowdown.Get(); !ok || v < 50 || v > 120 {
			t.Errorf("GPU %d slowdown temperature = %v", g.Index, g.TempSlowdown)
		}
		if v, ok := g.MaxPCIeWidth.Get(); ok && (v < 1 || v > 32) {
			t.Errorf("GPU %d max PCIe width = %d", g.Index, v)
		}
	}
}

func TestRealReadings(t *testing.T) {
	b, _, infos := openReal(t)
	for _, g := range infos {
		for range 5 {
			s := model.Sample{Time: model.Now()}
			if err := b.ReadFast(g.Index, &s); err != nil {
				t.Fatalf("GPU %d ReadFast: %v", g.Index, err)
			}
			if v, ok := s.MemTotal.Get(); !ok || v == 0 || !s.MemUsed.OK {
				t.Errorf("GPU %d memory %v / %v", g.Index, s.MemUsed, s.MemTotal)
			}
			if v, ok := s.PowerDraw.Get(); !ok || v == 0 {
				t.Errorf("GPU %d power = %v mW", g.Index, s.PowerDraw)
			}
			if v, ok := s.TempGPU.Get(); !ok || v < 10 || v > 100 {
				t.Errorf("GPU %d temperature = %v °C", g.Index, s.TempGPU)
			}
			if v, ok := s.UtilGPU.Get(); !ok || v > 100 {
				t.Errorf("GPU %d utilisation = %v", g.Index, s.UtilGPU)
			}
			if v, ok := s.ClockSM.Get(); !ok || v == 0 {
				t.Errorf("GPU %d SM clock = %v", g.Index, s.ClockSM)
			}
			if !s.PState.OK || !s.ThrottleReasons.OK || !s.PowerLimit.OK {
				t.Errorf("GPU %d pstate %v reasons %v limit %v", g.Index, s.PState, s.ThrottleReasons, s.PowerLimit)
			}
		}
		for i := range 2 {
			s := model.SlowSample{Time: model.Now()}
			if err := b.ReadSlow(g.Index, &s); err != nil {
				t.Fatalf("GPU %d ReadSlow: %v", g.Index, err)
			}
			if v, ok := s.PCIeGen.Get(); !ok || v < 1 || v > 6 {
				t.Errorf("GPU %d PCIe gen = %v", g.Index, s.PCIeGen)
			}
			if v, ok := s.PCIeWidth.Get(); !ok || v < 1 || v > 32 {
				t.Errorf("GPU %d PCIe width = %v", g.Index, s.PCIeWidth)
			}
			if !s.PCIeTxKBps.OK || !s.PCIeRxKBps.OK {
				t.Errorf("GPU %d PCIe throughput %v / %v", g.Index, s.PCIeTxKBps, s.PCIeRxKBps)
			}
			if !s.Persistence.OK || !s.ComputeMode.OK || !s.ECCEnabled.OK {
				t.Errorf("GPU %d persistence %v compute mode %v ECC %v", g.Index, s.Persistence, s.ComputeMode, s.ECCEnabled)
			}
			if v, ok := s.PowerPeak.Get(); ok && (v == 0 || v > 3*infos[g.Index].PowerLimitMax.Or(2_000_000)) {
				t.Errorf("GPU %d implausible power peak %d mW", g.Index, v)
			}
			if v, ok := s.UtilPeak.Get(); ok && v > 100 {
				t.Errorf("GPU %d utilisation peak %d", g.Index, v)
			}
			t.Logf("GPU %d slow #%d: power peak %v util peak %v, %d processes", g.Index, i, s.PowerPeak, s.UtilPeak, len(s.Processes))
			if i == 0 {
				time.Sleep(500 * time.Millisecond) // let the driver buffer samples for the peak
			}
		}
	}
	for _, st := range b.CallStats() {
		t.Logf("%-45s %6d calls  mean %v", st.Name, st.Count, st.Mean)
	}
}

// TestRealLogEverything prints every value read so the real numbers can be
// checked by eye against nvidia-smi -q.
func TestRealLogEverything(t *testing.T) {
	b, sys, infos := openReal(t)
	t.Logf("system: %+v", sys)
	for _, g := range infos {
		t.Logf("GPU %d static: %s", g.Index, fmtOpts(g))
		s := model.Sample{Time: model.Now()}
		slow := model.SlowSample{Time: model.Now()}
		if err := b.ReadSlow(g.Index, &slow); err != nil { // first: fills the memory temperature
			t.Errorf("GPU %d ReadSlow: %v", g.Index, err)
		}
		if err := b.ReadFast(g.Index, &s); err != nil {
			t.Errorf("GPU %d ReadFast: %v", g.Index, err)
		}
		t.Logf("GPU %d fast: %s", g.Index, fmtOpts(s))
		procs := slow.Processes
		slow.Processes = nil
		t.Logf("GPU %d slow: %s", g.Index, fmtOpts(slow))
		for _, p := range procs {
			t.Logf("GPU %d process: %+v", g.Index, p)
		}
		var unsupported []string
		d := b.devices[g.Index]
		for k := range numCallKinds {
			if d.skipped(k) {
				unsupported = append(unsupported, k.String())
			}
		}
		t.Logf("GPU %d not asked again: %v", g.Index, unsupported)
	}
	t.Logf("fallbacks: throttle-reasons name %v, fabric V %v, temperature V %v",
		b.useThrottleReasons, b.useFabricInfoV, b.useTemperatureV)
}

// fmtOpts prints a struct's fields as name=value, with unavailable Opts as
// "-".
func fmtOpts(v any) string {
	rv := reflect.ValueOf(v)
	var sb strings.Builder
	for i := range rv.NumField() {
		f, name := rv.Field(i), rv.Type().Field(i).Name
		if f.Kind() == reflect.Struct && f.NumField() == 2 && f.Type().Field(1).Name == "OK" {
			if f.Field(1).Bool() {
				fmt.Fprintf(&sb, "%s=%v ", name, f.Field(0).Interface())
			} else {
				fmt.Fprintf(&sb, "%s=- ", name)
			}
			continue
		}
		fmt.Fprintf(&sb, "%s=%v ", name, f.Interface())
	}
	return sb.String()
}

func TestRealXidRegistration(t *testing.T) {
	b, _, _ := openReal(t)
	const run = 1500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	start := time.Now()
	err := b.Events(ctx, func(ev model.Event) { t.Logf("event (a real Xid?): %+v", ev) })
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	t.Logf("Events returned %v after the context ended (asks every %v); %d Waits",
		(time.Since(start) - run).Round(time.Millisecond), b.opts.EventTimeout, b.waits.count.Load())
}

// Fast and slow readings of one GPU on two goroutines, as the sampler runs
// them.
func TestRealConcurrentReads(t *testing.T) {
	b, _, infos := openReal(t)
	var wg sync.WaitGroup
	for _, g := range infos {
		wg.Go(func() {
			for range 100 {
				var s model.Sample
				if err := b.ReadFast(g.Index, &s); err != nil {
					t.Errorf("GPU %d fast: %v", g.Index, err)
					return
				}
			}
		})
		wg.Go(func() {
			for range 3 {
				var s model.SlowSample
				if err := b.ReadSlow(g.Index, &s); err != nil {
					t.Errorf("GPU %d slow: %v", g.Index, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkRealReadFast(b *testing.B) {
	be, _, infos := openReal(b)
	for _, g := range infos {
		b.Run(fmt.Sprintf("gpu%d", g.Index), func(b *testing.B) {
			var s model.Sample
			_ = be.ReadFast(g.Index, &s) // learn what is unsupported first
			b.ReportAllocs()
			for b.Loop() {
				s = model.Sample{}
				if err := be.ReadFast(g.Index, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRealReadSlow(b *testing.B) {
	be, _, infos := openReal(b)
	for _, g := range infos {
		b.Run(fmt.Sprintf("gpu%d", g.Index), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var s model.SlowSample
				if err := be.ReadSlow(g.Index, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRealCall measures single NVML calls on GPU 0, for deciding which
// tier a value belongs to (the memory temperature field in particular).
func BenchmarkRealCall(b *testing.B) {
	be, _, _ := openReal(b)
	h := be.devices[0].handle
	fields := make([]nvml.FieldValue, 1)
	calls := []struct {
		name string
		call func() nvml.Return
	}{
		{"GetFieldValues(MEMORY_TEMP)", func() nvml.Return {
			fields[0] = nvml.FieldValue{FieldId: nvml.FI_DEV_MEMORY_TEMP}
			if ret := h.GetFieldValues(fields); ret != nvml.SUCCESS {
				return ret
			}
			return nvml.Return(fields[0].NvmlReturn)
		}},
		{"GetTemperature", func() nvml.Return { _, r := h.GetTemperature(nvml.TEMPERATURE_GPU); return r }},
		{"GetTemperatureV", func() nvml.Return { _, r := h.GetTemperatureV().V1(); return r }},
		{"GetMemoryInfo_v2", func() nvml.Return { _, r := h.GetMemoryInfo_v2(); return r }},
		{"GetPowerUsage", func() nvml.Return { _, r := h.GetPowerUsage(); return r }},
		{"GetGpuFabricInfo", func() nvml.Return { _, r := h.GetGpuFabricInfo(); return r }},
		{"GetSamples(TOTAL_POWER)", func() nvml.Return {
			_, _, r := h.GetSamples(nvml.TOTAL_POWER_SAMPLES, uint64(time.Now().Add(-time.Second).UnixMicro()))
			return r
		}},
		{"GetTotalEnergyConsumption", func() nvml.Return { _, r := h.GetTotalEnergyConsumption(); return r }},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			if ret := c.call(); ret != nvml.SUCCESS {
				b.Skipf("%s answers %s", c.name, codeName(ret))
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = c.call()
			}
		})
	}
}

// fmtOpts runs only on GPU machines otherwise; check it here.
func TestFmtOpts(t *testing.T) {
	got := fmtOpts(model.Sample{PowerDraw: model.Some(uint32(5)), Time: 7})
	for _, want := range []string{"Time=7 ", "PowerDraw=5 ", "TempGPU=- ", "FanPercent=- "} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	got = fmtOpts(model.GPUInfo{Name: "H100"})
	if !strings.Contains(got, "Name=H100 ") || !strings.Contains(got, "NumFans=- ") {
		t.Errorf("%q", got)
	}
	if got := fmtOpts(model.SlowSample{ECCEnabled: model.Some(true)}); !strings.Contains(got, "ECCEnabled=true ") || !strings.Contains(got, "Persistence=- ") {
		t.Errorf("%q", got)
	}
}
