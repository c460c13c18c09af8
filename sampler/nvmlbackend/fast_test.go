package nvmlbackend

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/gputop/gputop/model"
)

func TestReadFastValues(t *testing.T) {
	b, _, devs, _ := openFleet(t, Options{})
	for i := range devs {
		var s model.Sample
		if err := b.ReadFast(i, &s); err != nil {
			t.Fatalf("GPU %d: %v", i, err)
		}
		u := uint32(i)
		want := model.Sample{
			MemUsed:         model.Some(uint64(fixUsed + i)),
			MemTotal:        model.Some(devs[i].MemoryInfo.Total),
			MemReserved:     model.Some(uint64(fixReserved)),
			UtilGPU:         model.Some(50 + u),
			UtilMem:         model.Some(20 + u),
			TempGPU:         model.Some(int32(fixTemp + i)),
			PowerDraw:       model.Some(fixPower + u),
			PowerLimit:      model.Some(uint32(fixLimit)),
			ClockSM:         model.Some(uint32(fixClockSM)),
			ClockMem:        model.Some(uint32(fixClockMem)),
			PState:          model.Some(0),
			ThrottleReasons: model.Some(fixThrottle),
			// No fans on an SXM board; memory temperature arrives with
			// the first slow reading.
		}
		if s != want {
			t.Errorf("GPU %d:\n got %+v\nwant %+v", i, s, want)
		}
	}
}

// A passive card reports zero fans at Open: the 173 µs NOT_SUPPORTED fan
// call is never made.
func TestReadFastPassiveCardNeverAsksFan(t *testing.T) {
	b, _, devs, _ := openFleet(t, Options{})
	var s model.Sample
	for range 5 {
		if err := b.ReadFast(0, &s); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(devs[0].GetFanSpeedCalls()); n != 0 {
		t.Errorf("GetFanSpeed called %d times on a fanless GPU", n)
	}
}

func TestReadFastFanSpeed(t *testing.T) {
	srv, devs := newFleet(t)
	devs[1].GetNumFansFunc = func() (int, nvml.Return) { return 2, nvml.SUCCESS }
	devs[1].GetFanSpeedFunc = func() (uint32, nvml.Return) { return 37, nvml.SUCCESS }
	b := openServer(t, srv)
	var s model.Sample
	if err := b.ReadFast(1, &s); err != nil {
		t.Fatal(err)
	}
	if s.FanPercent != model.Some(uint32(37)) {
		t.Errorf("fan = %v", s.FanPercent)
	}
}

// Every fast field that answers NOT_SUPPORTED (or FUNCTION_NOT_FOUND, or
// NO_PERMISSION) is asked exactly once and stays unavailable; the other
// fields keep coming.
func TestReadFastUnsupportedAskedOnce(t *testing.T) {
	type field struct {
		name  string
		set   func(d *server.Device, r nvml.Return)
		calls func(d *server.Device) int
		value func(s *model.Sample) bool // is the value available
	}
	fields := []field{
		{"utilization", func(d *server.Device, r nvml.Return) {
			d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) { return nvml.Utilization{}, r }
		}, func(d *server.Device) int { return len(d.GetUtilizationRatesCalls()) },
			func(s *model.Sample) bool { return s.UtilGPU.OK || s.UtilMem.OK }},
		{"temperature", func(d *server.Device, r nvml.Return) {
			d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 0, r }
		}, func(d *server.Device) int { return len(d.GetTemperatureCalls()) },
			func(s *model.Sample) bool { return s.TempGPU.OK }},
		{"power", func(d *server.Device, r nvml.Return) {
			d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, r }
		}, func(d *server.Device) int { return len(d.GetPowerUsageCalls()) },
			func(s *model.Sample) bool { return s.PowerDraw.OK }},
		{"enforced limit", func(d *server.Device, r nvml.Return) {
			d.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 0, r }
		}, func(d *server.Device) int { return len(d.GetEnforcedPowerLimitCalls()) },
			func(s *model.Sample) bool { return s.PowerLimit.OK }},
		{"pstate", func(d *server.Device, r nvml.Return) {
			d.GetPerformanceStateFunc = func() (nvml.Pstates, nvml.Return) { return 0, r }
		}, func(d *server.Device) int { return len(d.GetPerformanceStateCalls()) },
			func(s *model.Sample) bool { return s.PState.OK }},
		{"clock event reasons", func(d *server.Device, r nvml.Return) {
			d.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) { return 0, r }
		}, func(d *server.Device) int { return len(d.GetCurrentClocksEventReasonsCalls()) },
			func(s *model.Sample) bool { return s.ThrottleReasons.OK }},
		{"fan on a card that claims fans", func(d *server.Device, r nvml.Return) {
			d.GetNumFansFunc = func() (int, nvml.Return) { return 1, nvml.SUCCESS }
			d.GetFanSpeedFunc = func() (uint32, nvml.Return) { return 0, r }
		}, func(d *server.Device) int { return len(d.GetFanSpeedCalls()) },
			func(s *model.Sample) bool { return s.FanPercent.OK }},
	}
	for _, f := range fields {
		for _, r := range []nvml.Return{nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_FUNCTION_NOT_FOUND, nvml.ERROR_NO_PERMISSION} {
			t.Run(f.name+"/"+codeName(r), func(t *testing.T) {
				srv, devs := newFleet(t)
				f.set(devs[0], r)
				b := openServer(t, srv)
				for range 4 {
					var s model.Sample
					if err := b.ReadFast(0, &s); err != nil {
						t.Fatal(err)
					}
					if f.value(&s) {
						t.Fatal("unsupported value reported as available")
					}
					if !s.MemUsed.OK || !s.ClockSM.OK {
						t.Fatal("other fields went missing")
					}
				}
				if n := f.calls(devs[0]); n != 1 {
					t.Errorf("asked %d times, want 1", n)
				}
				// The memory is per GPU: GPU 1 answers and is still asked
				// (its fan excepted: GPU 1 has no fans).
				var s model.Sample
				_ = b.ReadFast(1, &s)
				_ = b.ReadFast(1, &s)
				want := 2
				if f.name == "fan on a card that claims fans" {
					want = 0
				}
				if n := f.calls(devs[1]); n != want {
					t.Errorf("GPU 1 asked %d times, want %d", n, want)
				}
			})
		}
	}
}

// A transient answer (TIMEOUT, NOT_FOUND...) leaves the value unavailable
// this time only.
func TestReadFastTransientErrorAskedAgain(t *testing.T) {
	srv, devs := newFleet(t)
	calls := 0
	devs[0].GetPowerUsageFunc = func() (uint32, nvml.Return) {
		calls++
		if calls == 1 {
			return 0, nvml.ERROR_TIMEOUT
		}
		return 250_000, nvml.SUCCESS
	}
	b := openServer(t, srv)
	var first, second model.Sample
	if err := b.ReadFast(0, &first); err != nil {
		t.Fatal(err)
	}
	if err := b.ReadFast(0, &second); err != nil {
		t.Fatal(err)
	}
	if first.PowerDraw.OK || second.PowerDraw != model.Some(uint32(250_000)) {
		t.Errorf("first %v second %v", first.PowerDraw, second.PowerDraw)
	}
}

func TestReadFastMemoryInfoFallsBackToV1(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) { return nvml.Memory_v2{}, nvml.ERROR_NOT_SUPPORTED }
	b := openServer(t, srv)
	for range 3 {
		var s model.Sample
		if err := b.ReadFast(0, &s); err != nil {
			t.Fatal(err)
		}
		if s.MemUsed != model.Some(uint64(fixUsed)) || s.MemTotal != model.Some(devs[0].MemoryInfo.Total) || s.MemReserved.OK {
			t.Fatalf("memory = %v %v %v", s.MemUsed, s.MemTotal, s.MemReserved)
		}
	}
	// Once at Open (static total) and once in the first fast reading.
	if n := len(devs[0].GetMemoryInfo_v2Calls()); n != 2 {
		t.Errorf("GetMemoryInfo_v2 called %d times", n)
	}
}

func TestReadFastUnknownPStateIsUnavailable(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetPerformanceStateFunc = func() (nvml.Pstates, nvml.Return) { return nvml.PSTATE_UNKNOWN, nvml.SUCCESS }
	b := openServer(t, srv)
	var s model.Sample
	if err := b.ReadFast(0, &s); err != nil {
		t.Fatal(err)
	}
	if s.PState.OK {
		t.Errorf("P-state %v, want unavailable", s.PState)
	}
}

func TestReadDeviceFailures(t *testing.T) {
	tests := []struct {
		ret   nvml.Return
		code  string
		state model.HealthState
	}{
		{nvml.ERROR_GPU_IS_LOST, "GPU_IS_LOST", model.Lost},
		{nvml.ERROR_RESET_REQUIRED, "RESET_REQUIRED", model.Failed},
		{nvml.ERROR_UNKNOWN, "UNKNOWN", model.Failed},
		{nvml.ERROR_DRIVER_NOT_LOADED, "DRIVER_NOT_LOADED", model.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv, devs := newFleet(t)
			b := openServer(t, srv)
			// The GPU fails after Open, as a GPU falling off the bus does.
			devs[4].GetMemoryInfo_v2Func = func() (nvml.Memory_v2, nvml.Return) { return nvml.Memory_v2{}, tt.ret }
			devs[4].GetMigModeFunc = func() (int, int, nvml.Return) { return 0, 0, tt.ret }
			var s model.Sample
			de := asDeviceError(t, b.ReadFast(4, &s))
			if de.GPU != 4 || de.Code != tt.code || de.State != tt.state {
				t.Errorf("fast: %+v", de)
			}
			// Stops at the first call that says so: no 10 more calls to a
			// dead GPU.
			if n := len(devs[4].GetPowerUsageCalls()); n != 0 {
				t.Errorf("kept reading after %s: %d power calls", tt.code, n)
			}
			var slow model.SlowSample
			de = asDeviceError(t, b.ReadSlow(4, &slow))
			if de.Code != tt.code || de.State != tt.state {
				t.Errorf("slow: %+v", de)
			}
			// A device failure is not remembered as unsupported: the GPU
			// is asked again and recovers when it answers.
			devs[4].GetMemoryInfo_v2Func = devs[3].GetMemoryInfo_v2Func
			if err := b.ReadFast(4, &s); err != nil {
				t.Errorf("after recovery: %v", err)
			}
			if err := b.ReadFast(5, &s); err != nil {
				t.Errorf("GPU 5 must be unaffected: %v", err)
			}
		})
	}
}

func TestReadBadIndex(t *testing.T) {
	b, _, _, _ := openFleet(t, Options{})
	var s model.Sample
	if err := b.ReadFast(8, &s); err == nil {
		t.Error("ReadFast(8) on 8 GPUs succeeded")
	}
	var slow model.SlowSample
	if err := b.ReadSlow(-1, &slow); err == nil {
		t.Error("ReadSlow(-1) succeeded")
	}
}

func TestCallStats(t *testing.T) {
	b, _, _, _ := openFleet(t, Options{CallStats: true})
	var s model.Sample
	for gpu := range 2 {
		for range 3 {
			if err := b.ReadFast(gpu, &s); err != nil {
				t.Fatal(err)
			}
		}
	}
	stats := map[string]CallStat{}
	for _, st := range b.CallStats() {
		stats[st.Name] = st
	}
	if st := stats["GetPowerUsage"]; st.Count != 6 || st.Mean < 0 {
		t.Errorf("GetPowerUsage stat = %+v", st)
	}
	if _, ok := stats["GetPcieThroughput(TX)"]; ok {
		t.Error("a slow call appears before any slow reading")
	}
	if _, ok := stats["GetFanSpeed"]; ok {
		t.Error("a call never made appears")
	}

	quiet, _, _, _ := openFleet(t, Options{})
	_ = quiet.ReadFast(0, &s)
	if st := quiet.CallStats(); len(st) != 0 {
		t.Errorf("stats without CallStats: %v", st)
	}
}

// Fast and slow readings of one GPU run on different goroutines; the race
// detector checks the shared per-device state.
func TestReadFastAndSlowConcurrently(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetNumFansFunc = func() (int, nvml.Return) { return 1, nvml.SUCCESS }
	b := New(srv, Options{CallStats: true})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Go(func() {
		for range 200 {
			var s model.Sample
			if err := b.ReadFast(0, &s); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		for range 50 {
			var s model.SlowSample
			if err := b.ReadSlow(0, &s); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		for range 50 {
			_ = b.CallStats()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func openServer(t testing.TB, srv nvml.Interface) *Backend {
	t.Helper()
	return openServerWith(t, srv, Options{RareEvery: 1, MediumEvery: 1, EnergyEvery: 1, ClockEvery: -1})
}

func openServerWith(t testing.TB, srv nvml.Interface, opts Options) *Backend {
	t.Helper()
	b := New(srv, opts)
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// A reused sample does not keep the previous reading's value for a field
// that failed this time.
func TestReadFastClearsReusedSample(t *testing.T) {
	srv, devs := newFleet(t)
	fail := false
	devs[0].GetPowerUsageFunc = func() (uint32, nvml.Return) {
		if fail {
			return 0, nvml.ERROR_TIMEOUT
		}
		return 123_000, nvml.SUCCESS
	}
	b := openServer(t, srv)
	s := model.Sample{Time: 42}
	if err := b.ReadFast(0, &s); err != nil || s.PowerDraw != model.Some(uint32(123_000)) {
		t.Fatalf("first: %v %v", err, s.PowerDraw)
	}
	fail = true
	next := model.Timestamp(42 + steadyEvery) // power is a steady value on this Hopper: read again only after steadyEvery
	s.Time = next
	if err := b.ReadFast(0, &s); err != nil {
		t.Fatal(err)
	}
	if s.PowerDraw.OK || s.Time != next {
		t.Errorf("second reading: power %v time %v", s.PowerDraw, s.Time)
	}
}

// Clocks are asked at most once per ClockEvery of sample time and carried
// forward in between, so every fast sample still has them.
func TestClocksAtMostEveryClockEvery(t *testing.T) {
	srv, devs := newFleet(t)
	b := openServerWith(t, srv, Options{RareEvery: 1, MediumEvery: 1, ClockEvery: time.Second})
	start := model.TimestampOf(time.Unix(1000, 0))
	for i := range 25 { // 2.4 s at 100 ms
		s := model.Sample{Time: start + model.Timestamp(time.Duration(i)*100*time.Millisecond)}
		if err := b.ReadFast(0, &s); err != nil {
			t.Fatal(err)
		}
		if !s.ClockSM.OK || !s.ClockMem.OK {
			t.Fatalf("sample %d lacks clocks: %+v", i, s)
		}
	}
	if n := len(devs[0].GetClockInfoCalls()); n != 6 { // SM+MEM at 0 s, 1 s, 2 s
		t.Fatalf("GetClockInfo called %d times over 2.4 s, want 6", n)
	}
}

// Clocks the driver answers on its slow path (1.2-1.9 ms a call on one H200
// start in three) are read every slowClockEvery instead of every ClockEvery
// once three answers in a row were costly, and every ClockEvery again after
// a cheap one. Sample time runs 100 ms a reading.
func TestSlowClocksAreSpaced(t *testing.T) {
	srv, devs := newFleet(t)
	var slow atomic.Bool
	slow.Store(true)
	inner := devs[0].GetClockInfoFunc
	devs[0].GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if slow.Load() && c == nvml.CLOCK_SM {
			time.Sleep(2 * costlyCall)
		}
		return inner(c)
	}
	b := openServerWith(t, srv, Options{RareEvery: 1, MediumEvery: 1, ClockEvery: time.Second})
	at := model.TimestampOf(time.Unix(1000, 0))
	smCalls := func() (n int) {
		for _, c := range devs[0].GetClockInfoCalls() {
			if c.ClockType == nvml.CLOCK_SM {
				n++
			}
		}
		return n
	}
	read := func(d time.Duration) int {
		before := smCalls()
		for end := at + model.Timestamp(d); at < end; at += model.Timestamp(100 * time.Millisecond) {
			s := model.Sample{Time: at}
			if err := b.ReadFast(0, &s); err != nil {
				t.Fatal(err)
			}
			if !s.ClockSM.OK || !s.ClockMem.OK {
				t.Fatalf("a reading without clocks: %+v", s)
			}
		}
		return smCalls() - before
	}
	// 0, 1, 2 s: three costly answers; then 7 and 12 s.
	if n := read(12*time.Second + 50*time.Millisecond); n != 5 {
		t.Errorf("slow GetClockInfo(SM) made %d times in 12 s, want 5 (every 1 s three times, then every 5 s)", n)
	}
	// Cheap again: asked at the next 5 s mark, found cheap, then every 1 s.
	slow.Store(false)
	if n := read(10*time.Second + 50*time.Millisecond); n != 6 {
		t.Errorf("cheap GetClockInfo(SM) made %d times in the next 10 s, want 6 (17 s, then 18-22 s)", n)
	}
}

// The clocks' spacing on the slow path grows with their cost: 0.05 % of a
// core (clockDuty), from 5 s up to 30 s apart.
func TestSlowClockSpacing(t *testing.T) {
	for _, c := range []struct{ cost, want time.Duration }{
		{500 * time.Microsecond, 5 * time.Second}, // the floor
		{2500 * time.Microsecond, 5 * time.Second},
		{4 * time.Millisecond, 8 * time.Second},
		{8 * time.Millisecond, 16 * time.Second},  // 6.3 + 1.6 ms, measured on an H200
		{20 * time.Millisecond, 30 * time.Second}, // the ceiling
	} {
		if got := slowClockSpacing(c.cost); got != c.want {
			t.Errorf("clocks costing %v: read every %v, want %v", c.cost, got, c.want)
		}
	}
}

// End to end through ReadFast: GetClockInfo(SM) at 6 ms a call is read at
// 0, 1 and 2 s (three costly answers), then every 12 s.
func TestVerySlowClocksAreSpacedFurther(t *testing.T) {
	srv, devs := newFleet(t)
	inner := devs[0].GetClockInfoFunc
	devs[0].GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_SM {
			time.Sleep(6 * time.Millisecond)
		}
		return inner(c)
	}
	b := openServerWith(t, srv, Options{RareEvery: 1, MediumEvery: 1, ClockEvery: time.Second})
	at := model.TimestampOf(time.Unix(1000, 0))
	n := 0
	for end := at + model.Timestamp(30*time.Second+50*time.Millisecond); at < end; at += model.Timestamp(100 * time.Millisecond) {
		s := model.Sample{Time: at}
		if err := b.ReadFast(0, &s); err != nil {
			t.Fatal(err)
		}
		if !s.ClockSM.OK {
			t.Fatalf("a reading without the SM clock: %+v", s)
		}
	}
	for _, c := range devs[0].GetClockInfoCalls() {
		if c.ClockType == nvml.CLOCK_SM {
			n++
		}
	}
	// 0, 1, 2 s, then 2+12 = 14 and 26 s; a slower machine's sleep only
	// spaces them further (at most 30 s: still 4).
	if n < 4 || n > 5 {
		t.Errorf("GetClockInfo(SM) at 6 ms made %d times in 30 s, want 5 (0, 1, 2, 14, 26 s)", n)
	}
}

// A getter that turns costly (the driver's slow path that made GetPowerUsage
// cost ~4 ms a call on one H200 at 10 ms) is spaced to about 1 % of a core
// and its value carried forward; once it answers cheaply again it is made
// every reading.
func TestCostlyFastCallIsSpaced(t *testing.T) {
	srv, devs := newFleet(t)
	var slow atomic.Bool
	slow.Store(true)
	inner := devs[0].GetPowerUsageFunc
	devs[0].GetPowerUsageFunc = func() (uint32, nvml.Return) {
		if slow.Load() {
			time.Sleep(2 * costlyCall)
		}
		return inner()
	}
	b := openServerWith(t, srv, Options{})
	read := func(n int) (calls int) {
		before := len(devs[0].GetPowerUsageCalls())
		for range n {
			var s model.Sample
			if err := b.ReadFast(0, &s); err != nil {
				t.Fatal(err)
			}
			if !s.PowerDraw.OK {
				t.Fatalf("a reading without power: %+v", s)
			}
		}
		return len(devs[0].GetPowerUsageCalls()) - before
	}
	// Each reading takes >= 1 ms while power is made; 40 readings span
	// >= 40 ms at the very least, but the guard spaces power to >= 100 ms
	// (100 x >= 1 ms) after the third costly answer.
	if n := read(40); n < 3 || n > 6 {
		t.Errorf("a costly GetPowerUsage was made %d times in 40 readings, want 3 (then spaced)", n)
	}
	// Cheap again: after the gap it is asked once, found cheap, and made
	// every reading.
	slow.Store(false)
	time.Sleep(3 * costlyDuty * 2 * costlyCall) // well past the gap (100 x the cheapest answer)
	if n := read(20); n < 19 {
		t.Errorf("a cheap GetPowerUsage was made %d times in 20 readings, want every one", n)
	}
	// The other GPU never was costly.
	if n := len(devs[1].GetPowerUsageCalls()); n != 0 {
		t.Errorf("GPU 1 power calls %d", n)
	}
}

func TestCostGuard(t *testing.T) {
	var c costGuard
	ms := time.Millisecond
	c.record(0, 5*ms)
	c.record(ms, 5*ms)
	if c.next != 0 {
		t.Fatalf("spaced after two costly answers: %v", c.next)
	}
	c.record(2*ms, 20*ms) // three costly answers: the cheapest is 5 ms
	if c.next != 2*ms+500*ms {
		t.Errorf("next = %v, want 502ms", c.next)
	}
	c.record(600*ms, 100*time.Microsecond) // one cheap answer ends it
	if c.next != 0 {
		t.Errorf("still spaced after a cheap answer: %v", c.next)
	}
	c = costGuard{}
	for i := range 3 {
		c.record(time.Duration(i)*ms, time.Second)
	}
	if c.next != 2*ms+costlyMaxGap {
		t.Errorf("a 1 s call is spaced to %v, want at most %v", c.next-2*ms, costlyMaxGap)
	}
}

// The steady values (utilisation, temperature, P-state, clock-event
// reasons, and power where NVML averages it over a second) are asked at
// most every 100 ms at a 10 ms interval and carried in between; memory is
// read every tick, and so is power where it is instantaneous (GA100 and
// older, or an architecture nvml.h does not name); at 100 ms (even a tick a
// few ms early) everything is read every time.
func TestSteadyValuesAtMostEvery100ms(t *testing.T) {
	for _, tc := range []struct {
		arch        nvml.DeviceArchitecture
		powerSteady bool
	}{
		{nvml.DEVICE_ARCH_HOPPER, true},
		{nvml.DEVICE_ARCH_ADA, true},
		{nvml.DEVICE_ARCH_BLACKWELL, true},
		{nvml.DEVICE_ARCH_RUBIN, true},
		{nvml.DEVICE_ARCH_AMPERE, false}, // GA100 (A100, A30) is instantaneous; other Ampere chips are not told apart
		{nvml.DEVICE_ARCH_TURING, false},
		{11, false}, // unnamed in nvml.h
		{nvml.DEVICE_ARCH_UNKNOWN, false},
	} {
		t.Run(archName(tc.arch)+fmt.Sprint(uint32(tc.arch)), func(t *testing.T) {
			srv, devs := newFleet(t)
			devs[0].GetArchitectureFunc = func() (nvml.DeviceArchitecture, nvml.Return) { return tc.arch, nvml.SUCCESS }
			b := openServer(t, srv)
			type counts struct{ util, temp, mem, power, pstate, reasons int }
			count := func() counts {
				d := devs[0]
				return counts{len(d.GetUtilizationRatesCalls()), len(d.GetTemperatureCalls()) + len(d.GetTemperatureVCalls()),
					len(d.GetMemoryInfo_v2Calls()), len(d.GetPowerUsageCalls()), len(d.GetPerformanceStateCalls()),
					len(d.GetCurrentClocksEventReasonsCalls()) + len(d.GetCurrentClocksThrottleReasonsCalls())}
			}
			diff := func(a, b counts) counts {
				return counts{a.util - b.util, a.temp - b.temp, a.mem - b.mem, a.power - b.power, a.pstate - b.pstate, a.reasons - b.reasons}
			}
			start := model.Timestamp(1_800_000_000_000_000_000)
			var s model.Sample
			before := count()    // Open's own reading
			for i := range 100 { // one second at 10 ms
				s.Time = start + model.Timestamp(i)*model.Timestamp(10*time.Millisecond)
				if err := b.ReadFast(0, &s); err != nil {
					t.Fatal(err)
				}
				if !s.UtilGPU.OK || !s.TempGPU.OK || !s.PowerDraw.OK || !s.PState.OK || !s.ThrottleReasons.OK {
					t.Fatalf("reading %d: a steady value not carried: %+v", i, s)
				}
			}
			// Every 90 ms (a tick a little early still reads): 12 of 100.
			got := diff(count(), before)
			steady := func(n int) bool { return n >= 10 && n <= 12 }
			if !steady(got.util) || got.temp != got.util || got.pstate != got.util || got.reasons != got.util || got.mem != 100 {
				t.Errorf("at 10 ms for 1 s: %+v, want memory 100 and the steady values 10-12 each", got)
			}
			if tc.powerSteady && got.power != got.util || !tc.powerSteady && got.power != 100 {
				t.Errorf("at 10 ms for 1 s power was read %d times (steady %v)", got.power, tc.powerSteady)
			}
			before = count()
			for i := range 10 { // then 100 ms ticks, each 5 ms early
				s.Time += model.Timestamp(95 * time.Millisecond)
				if err := b.ReadFast(0, &s); err != nil {
					t.Fatalf("reading %d: %v", i, err)
				}
			}
			if got := diff(count(), before); got != (counts{10, 10, 10, 10, 10, 10}) {
				t.Errorf("at 100 ms: %+v, want every value read at each of 10 readings", got)
			}
		})
	}
}
