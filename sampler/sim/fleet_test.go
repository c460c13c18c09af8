package sim_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/sim"
)

var epoch = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

func open(t *testing.T, opts sim.Options) (*sim.Fleet, []model.GPUInfo) {
	t.Helper()
	if opts.Start.IsZero() {
		opts.Start = epoch
	}
	f := sim.New(opts)
	t.Cleanup(func() { _ = f.Close() })
	_, infos, err := f.Open(context.Background())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return f, infos
}

func at(d time.Duration) model.Timestamp { return model.TimestampOf(epoch.Add(d)) }

func fast(t *testing.T, f *sim.Fleet, gpu int, d time.Duration) model.Sample {
	t.Helper()
	s := model.Sample{Time: at(d)}
	if err := f.ReadFast(gpu, &s); err != nil {
		t.Fatalf("ReadFast(%d, %v): %v", gpu, d, err)
	}
	return s
}

func slow(t *testing.T, f *sim.Fleet, gpu int, d time.Duration) model.SlowSample {
	t.Helper()
	s := model.SlowSample{Time: at(d)}
	if err := f.ReadSlow(gpu, &s); err != nil {
		t.Fatalf("ReadSlow(%d, %v): %v", gpu, d, err)
	}
	return s
}

func TestFleetComposition(t *testing.T) {
	_, infos := open(t, sim.Options{})
	want := []struct {
		name string
		cc   string
		bar1 uint64
	}{
		{"NVIDIA H100 80GB HBM3", "9.0", 128 << 30},
		{"NVIDIA H100 80GB HBM3", "9.0", 128 << 30},
		{"NVIDIA A100-SXM4-40GB", "8.0", 64 << 30},
		{"NVIDIA A100-SXM4-40GB", "8.0", 64 << 30},
		{"NVIDIA GeForce RTX 4090", "8.9", 256 << 20},
		{"NVIDIA GeForce RTX 5090", "12.0", 32 << 30},
		{"Tesla T4", "7.5", 256 << 20},
		{"NVIDIA H100 80GB HBM3", "9.0", 128 << 30},
	}
	if len(infos) != len(want) {
		t.Fatalf("default fleet has %d GPUs, want %d", len(infos), len(want))
	}
	uuids, buses := map[string]bool{}, map[string]bool{}
	for i, w := range want {
		in := infos[i]
		if in.Index != i || in.Name != w.name || in.CC() != w.cc || in.BAR1Total != model.Some(w.bar1) {
			t.Errorf("GPU %d = %q cc %q bar1 %v, want %q %q %d", i, in.Name, in.CC(), in.BAR1Total, w.name, w.cc, w.bar1)
		}
		if !strings.HasPrefix(in.UUID, "GPU-") || len(in.UUID) != len("GPU-")+36 || uuids[in.UUID] {
			t.Errorf("GPU %d UUID %q malformed or repeated", i, in.UUID)
		}
		if len(in.BusID) != len("00000000:18:00.0") || buses[in.BusID] {
			t.Errorf("GPU %d bus id %q malformed or repeated", i, in.BusID)
		}
		uuids[in.UUID], buses[in.BusID] = true, true
		if !in.MemoryTotal.OK || !in.PowerLimitDefault.OK || !in.TempSlowdown.OK || !in.ClockMaxSM.OK {
			t.Errorf("GPU %d lacks static limits: %+v", i, in)
		}
	}
	if infos[0].MemoryTotal.V != 81559<<20 {
		t.Errorf("H100 memory = %d MiB, want 81559", infos[0].MemoryTotal.V>>20)
	}
}

func TestGPUCount(t *testing.T) {
	tests := []struct {
		gpus, want int
		wantErr    bool
	}{
		{0, sim.DefaultGPUs, false},
		{1, 1, false},
		{16, 16, false},
		{17, 0, true},
		{-1, 0, true},
	}
	for _, tt := range tests {
		f := sim.New(sim.Options{GPUs: tt.gpus, Start: epoch})
		_, infos, err := f.Open(context.Background())
		if (err != nil) != tt.wantErr || len(infos) != tt.want {
			t.Errorf("GPUs %d: %d GPUs, err %v; want %d, error %v", tt.gpus, len(infos), err, tt.want, tt.wantErr)
			continue
		}
		// Every GPU answers both tiers, and nothing past the last.
		for i := range infos {
			fast(t, f, i, time.Second)
			slow(t, f, i, time.Second)
		}
		s := model.Sample{Time: at(0)}
		var de *sampler.DeviceError
		if err := f.ReadFast(len(infos), &s); !errors.As(err, &de) {
			t.Errorf("GPUs %d: ReadFast past the end: %v, want a DeviceError", tt.gpus, err)
		}
	}
	if _, infos := open(t, sim.Options{GPUs: 1}); infos[0].Name != "NVIDIA H100 80GB HBM3" {
		t.Errorf("--gpus 1 starts with %q, want the loading H100", infos[0].Name)
	}
}

// readAll reads both tiers of every GPU at the given offsets.
func readAll(t *testing.T, f *sim.Fleet, n int, offsets []time.Duration) ([]model.Sample, []model.SlowSample) {
	var fs []model.Sample
	var ss []model.SlowSample
	for _, d := range offsets {
		for g := range n {
			fs = append(fs, fast(t, f, g, d))
			ss = append(ss, slow(t, f, g, d))
		}
	}
	return fs, ss
}

func TestSameSeedSameReadings(t *testing.T) {
	offsets := []time.Duration{0, 1234 * time.Millisecond, 7 * time.Second, 95 * time.Second, time.Hour, -3 * time.Second}
	a, _ := open(t, sim.Options{GPUs: 16, Seed: 42})
	b, _ := open(t, sim.Options{GPUs: 16, Seed: 42})
	c, _ := open(t, sim.Options{GPUs: 16, Seed: 43})
	fa, sa := readAll(t, a, 16, offsets)
	// Read b in reverse order: the result must not depend on call order.
	rev := append([]time.Duration(nil), offsets...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	readAll(t, b, 16, rev)
	fb, sb := readAll(t, b, 16, offsets)
	if !reflect.DeepEqual(fa, fb) || !reflect.DeepEqual(sa, sb) {
		t.Fatal("same seed, same times: readings differ")
	}
	if a.Infos()[3].UUID != b.Infos()[3].UUID {
		t.Error("same seed: UUIDs differ")
	}
	fc, _ := readAll(t, c, 16, offsets)
	if reflect.DeepEqual(fa, fc) {
		t.Error("different seeds gave identical readings")
	}
}

func TestConcurrentReadsAgree(t *testing.T) {
	f, infos := open(t, sim.Options{GPUs: 16, Seed: 7})
	want := make([]model.Sample, len(infos))
	for g := range infos {
		want[g] = fast(t, f, g, 33*time.Second)
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(infos)*2)
	for g := range infos {
		for range 2 {
			wg.Go(func() {
				for range 200 {
					s := model.Sample{Time: at(33 * time.Second)}
					if err := f.ReadFast(g, &s); err != nil || s != want[g] {
						errs <- "concurrent read differs"
						return
					}
					sl := model.SlowSample{Time: at(33 * time.Second)}
					_ = f.ReadSlow(g, &sl)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestLoadingGPUClimbsToNinetyPercentAndHolds(t *testing.T) {
	f, infos := open(t, sim.Options{GPUs: 1, Seed: 3})
	total := float64(infos[0].MemoryTotal.V)
	type change struct {
		at       time.Duration
		from, to uint64
	}
	// Every change of memory over two loops, at 50 ms resolution.
	const step = 50 * time.Millisecond
	var changes []change
	prev := fast(t, f, 0, 0).MemUsed.V
	for d := step; d <= 180*time.Second; d += step {
		s := fast(t, f, 0, d)
		if s.MemUsed.V != prev {
			changes = append(changes, change{d, prev, s.MemUsed.V})
			prev = s.MemUsed.V
		}
	}
	// Loop one: context created, a staircase up to the peak, then freed.
	peak := 0
	for i, c := range changes {
		if c.to < c.from {
			break
		}
		peak = i
	}
	if peak < 10 {
		t.Fatalf("memory rose in %d steps, want a staircase: %+v", peak, changes)
	}
	frac := float64(changes[peak].to) / total
	if frac < 0.88 || frac > 0.92 {
		t.Errorf("peak memory %.1f%%, want ~90%%", frac*100)
	}
	for i := 2; i <= peak; i++ { // changes[0] is the context, the last step is capped
		c := changes[i]
		jump := float64(c.to-c.from) / (1 << 30)
		if jump > 4.01 || (jump < 1.99 && i < peak) {
			t.Errorf("at %v memory jumped %.2f GiB, want 2-4 GiB steps", c.at, jump)
		}
		if gap := c.at - changes[i-1].at; gap < 200*time.Millisecond-step || gap > 400*time.Millisecond+step {
			t.Errorf("at %v %v since the previous step, want 200-400 ms", c.at, gap)
		}
	}
	if len(changes) <= peak+1 {
		t.Fatal("memory never freed: the loop must repeat")
	}
	if hold := changes[peak+1].at - changes[peak].at; hold < 60*time.Second {
		t.Errorf("memory held %v, want most of the 90 s loop", hold)
	}
	// Utilisation rises once the model is in.
	if s := fast(t, f, 0, changes[peak].at+10*time.Second); s.UtilGPU.V < 80 {
		t.Errorf("10 s after the load utilisation is %d%%", s.UtilGPU.V)
	}
	// Loop two loads again to the same level.
	if s := fast(t, f, 0, changes[peak].at+90*time.Second); s.MemUsed.V != changes[peak].to {
		t.Errorf("second loop holds %d MiB, first %d MiB", s.MemUsed.V>>20, changes[peak].to>>20)
	}
}

func TestLoadingProcessMatchesMemory(t *testing.T) {
	f, _ := open(t, sim.Options{GPUs: 1, Seed: 9})
	for _, d := range []time.Duration{time.Second, 5 * time.Second, 8 * time.Second, 30 * time.Second, 88 * time.Second} {
		fs, ss := fast(t, f, 0, d), slow(t, f, 0, d)
		var sum uint64
		for _, p := range ss.Processes {
			sum += p.UsedMemory.V
			if !p.Resolved || p.User == "" || p.Command == "" || !p.CPUPercent.OK || !p.RSS.OK || p.Kind != "compute" {
				t.Errorf("at %v process not pre-resolved: %+v", d, p)
			}
		}
		if fs.MemUsed.V < sum || fs.MemUsed.V-sum > 2<<20 {
			t.Errorf("at %v processes hold %d MiB, GPU uses %d MiB", d, sum>>20, fs.MemUsed.V>>20)
		}
	}
	p1 := slow(t, f, 0, 30*time.Second).Processes
	p2 := slow(t, f, 0, 120*time.Second).Processes
	if len(p1) != 1 || len(p2) != 1 || p1[0].PID == p2[0].PID {
		t.Errorf("each loop should be a new process: %v then %v", p1, p2)
	}
}

func TestCardStates(t *testing.T) {
	f, infos := open(t, sim.Options{Seed: 11})
	for _, d := range []time.Duration{0, 17 * time.Second, 61 * time.Second, 10 * time.Minute} {
		pc := fast(t, f, 1, d)
		if pc.ThrottleReasons.V&model.ThrottleSWPowerCap == 0 {
			t.Errorf("at %v power-capped GPU reasons %#x lack SW power cap", d, pc.ThrottleReasons.V)
		}
		if lim := float64(pc.PowerLimit.V); float64(pc.PowerDraw.V) < 0.97*lim || pc.PowerDraw.V > pc.PowerLimit.V {
			t.Errorf("at %v power-capped GPU draws %d of %d mW", d, pc.PowerDraw.V, pc.PowerLimit.V)
		}
		if pc.UtilGPU.V < 95 || pc.ClockSM.V >= infos[1].ClockMaxSM.V {
			t.Errorf("at %v power-capped GPU util %d clock %d", d, pc.UtilGPU.V, pc.ClockSM.V)
		}

		hot := fast(t, f, 2, d)
		const thermal = model.ThrottleHWThermal | model.ThrottleSWThermal
		if hot.ThrottleReasons.V&thermal != thermal {
			t.Errorf("at %v hot GPU reasons %#x, want HW and SW thermal", d, hot.ThrottleReasons.V)
		}
		if hot.TempGPU.V < infos[2].TempSlowdown.V || hot.ClockSM.V > infos[2].ClockMaxSM.V*3/4 {
			t.Errorf("at %v hot GPU %d °C (slowdown %d), clock %d MHz", d, hot.TempGPU.V, infos[2].TempSlowdown.V, hot.ClockSM.V)
		}

		// GPU 3 runs in MIG mode (mig.go): one busy instance of 3 slices
		// in 7 keeps it out of idle; like NVML in MIG mode it has no
		// whole-GPU utilisation.
		mig := fast(t, f, 3, d)
		if mig.UtilGPU.OK || mig.UtilMem.OK || mig.ThrottleReasons.V == model.ThrottleIdle || mig.PState.V != 0 {
			t.Errorf("at %v MIG A100: util %v reasons %#x P%d", d, mig.UtilGPU, mig.ThrottleReasons.V, mig.PState.V)
		}
		if t4 := fast(t, f, 6, d); t4.ThrottleReasons.V != model.ThrottleIdle || t4.PState.V != 8 || t4.UtilGPU != model.Some[uint32](0) {
			t.Errorf("at %v idle T4: reasons %#x P%d util %v", d, t4.ThrottleReasons.V, t4.PState.V, t4.UtilGPU)
		}

		if fan := fast(t, f, 4, d).FanPercent; !fan.OK || fan.V < 30 {
			t.Errorf("at %v the 4090's fan = %v, want a reading", d, fan)
		}
		t4 := fast(t, f, 6, d)
		if t4.FanPercent.OK || t4.TempMem.OK {
			t.Errorf("at %v the passive T4 reports fan %v, memory temperature %v; want unavailable", d, t4.FanPercent, t4.TempMem)
		}
		if !fast(t, f, 0, d).TempMem.OK {
			t.Errorf("at %v HBM card lacks memory temperature", d)
		}
	}
	if w := slow(t, f, 7, time.Minute).PCIeWidth; w != model.Some(8) || infos[7].MaxPCIeWidth != model.Some(16) {
		t.Errorf("GPU 7 link x%v of x%v, want x8 of x16", w, infos[7].MaxPCIeWidth)
	}
	if infos[6].NumFans != model.Some(0) || infos[4].NumFans.V == 0 {
		t.Errorf("fans: T4 %v, 4090 %v", infos[6].NumFans, infos[4].NumFans)
	}
	off := 0
	for g := range infos {
		if !slow(t, f, g, time.Minute).Persistence.V {
			off++
		}
	}
	if off != 1 {
		t.Errorf("%d GPUs with persistence off, want exactly one", off)
	}
	if ecc := slow(t, f, 4, time.Minute); ecc.ECCVolatileCorrected.OK {
		t.Errorf("GeForce ECC counter %v, want unavailable", ecc.ECCVolatileCorrected)
	}
}

func TestEnergyIntegratesPower(t *testing.T) {
	f, _ := open(t, sim.Options{Seed: 5})
	for g := range 8 {
		var prev uint64
		var integral float64 // joules from fast power, 100 ms rectangles
		first := slow(t, f, g, 0).EnergyMilliJ.V
		for i := 0; i <= 3000; i++ { // 300 s
			d := time.Duration(i) * 100 * time.Millisecond
			if i > 0 {
				integral += float64(fast(t, f, g, d).PowerDraw.V) / 1000 * 0.1
			}
			if i%10 != 0 {
				continue
			}
			e := slow(t, f, g, d).EnergyMilliJ
			if !e.OK || e.V < prev {
				t.Fatalf("GPU %d at %v energy %v went backwards from %d", g, d, e, prev)
			}
			prev = e.V
		}
		got := float64(prev-first) / 1000
		if math.Abs(got-integral) > 0.05*integral {
			t.Errorf("GPU %d: counter rose %.0f J in 300 s, power integrates to %.0f J", g, got, integral)
		}
	}
}

func TestPeaksCoverFastValues(t *testing.T) {
	f, _ := open(t, sim.Options{Seed: 8})
	for g := range 8 {
		d := 42 * time.Second
		s := slow(t, f, g, d)
		for k := range 10 {
			fs := fast(t, f, g, d-time.Duration(k)*100*time.Millisecond)
			if fs.PowerDraw.V > s.PowerPeak.V || fs.UtilGPU.V > s.UtilPeak.V {
				t.Errorf("GPU %d: fast power %d / util %d above the slow peaks %d / %d",
					g, fs.PowerDraw.V, fs.UtilGPU.V, s.PowerPeak.V, s.UtilPeak.V)
			}
		}
	}
}

func TestLostFault(t *testing.T) {
	f, _ := open(t, sim.Options{Faults: []sim.Fault{{GPU: 2, Kind: sim.FaultLost, At: 10 * time.Second, For: 5 * time.Second}}})
	tests := []struct {
		d    time.Duration
		lost bool
	}{{9 * time.Second, false}, {10 * time.Second, true}, {14 * time.Second, true}, {15 * time.Second, false}}
	for _, tt := range tests {
		s := model.Sample{Time: at(tt.d)}
		err := f.ReadFast(2, &s)
		var de *sampler.DeviceError
		if got := errors.As(err, &de) && de.State == model.Lost && de.Code == "GPU_IS_LOST"; got != tt.lost {
			t.Errorf("at %v: err %v, want lost %v", tt.d, err, tt.lost)
		}
		if err := f.ReadFast(1, &s); err != nil {
			t.Errorf("at %v another GPU failed: %v", tt.d, err)
		}
	}
	evs := f.EventsBetween(epoch, epoch.Add(time.Minute))
	if len(evs) < 2 || evs[0].Xid != model.Some(79) || evs[0].GPU != model.Some(2) || evs[0].Time != at(10*time.Second) {
		t.Errorf("events %+v, want Xid 79 on GPU 2 at +10 s first", evs)
	}
}

func TestHangFault(t *testing.T) {
	f, _ := open(t, sim.Options{Faults: []sim.Fault{{GPU: 0, Kind: sim.FaultHang, At: time.Second}}})
	fast(t, f, 0, 500*time.Millisecond) // before the hang: answers
	done := make(chan error)
	go func() {
		s := model.Sample{Time: at(2 * time.Second)}
		done <- f.ReadFast(0, &s)
	}()
	fast(t, f, 1, 2*time.Second) // other GPUs keep answering
	select {
	case err := <-done:
		t.Fatalf("hung read returned %v before Release", err)
	default:
	}
	f.Release(0)
	if err := <-done; err != nil {
		t.Fatalf("released read: %v", err)
	}
	fast(t, f, 0, 3*time.Second) // and later reads answer
}

func TestHangEndsOnClose(t *testing.T) {
	f := sim.New(sim.Options{Start: epoch, Faults: []sim.Fault{{GPU: 0, Kind: sim.FaultHang}}})
	done := make(chan error)
	go func() {
		s := model.SlowSample{Time: at(time.Second)}
		done <- f.ReadSlow(0, &s)
	}()
	_ = f.Close()
	<-done
}

func TestFaultOnMissingGPU(t *testing.T) {
	f := sim.New(sim.Options{GPUs: 2, Start: epoch, Faults: []sim.Fault{{GPU: 5, Kind: sim.FaultLost}}})
	if _, _, err := f.Open(context.Background()); err == nil {
		t.Fatal("a fault on GPU 5 of 2 should fail Open")
	}
}

func TestEventsSchedule(t *testing.T) {
	tests := []struct {
		gpus    int
		wantGPU int
	}{{8, 5}, {3, 2}, {1, 0}}
	for _, tt := range tests {
		f, _ := open(t, sim.Options{GPUs: tt.gpus})
		evs := f.EventsBetween(epoch, epoch.Add(10*time.Minute))
		if len(evs) != 4 { // +40 s, then every 3 minutes
			t.Fatalf("%d GPUs: %d events in 10 minutes, want 4: %+v", tt.gpus, len(evs), evs)
		}
		for i, ev := range evs {
			want := at(40*time.Second + time.Duration(i)*3*time.Minute)
			if ev.Time != want || ev.Xid != model.Some(31) || ev.GPU != model.Some(tt.wantGPU) || ev.Action == "" {
				t.Errorf("%d GPUs: event %d = %+v, want Xid 31 on GPU %d at %v", tt.gpus, i, ev, tt.wantGPU, want.Time())
			}
		}
	}
}

func TestEventsDeliversOnTime(t *testing.T) {
	// Start 39.95 s ago: the first Xid is due in 50 ms of wall time.
	f := sim.New(sim.Options{Start: time.Now().Add(-40*time.Second + 50*time.Millisecond)})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan model.Event, 1)
	done := make(chan error)
	go func() {
		done <- f.Events(ctx, func(ev model.Event) {
			select {
			case got <- ev:
			default:
			}
		})
	}()
	select {
	case ev := <-got:
		if ev.Xid != model.Some(31) {
			t.Errorf("event %+v, want Xid 31", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event delivered")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Events returned %v after cancel", err)
	}
}

func TestReadFastDoesNotAllocate(t *testing.T) {
	f, _ := open(t, sim.Options{GPUs: 16})
	var s model.Sample
	for g := range 16 {
		allocs := testing.AllocsPerRun(100, func() {
			s = model.Sample{Time: at(12345 * time.Millisecond)}
			_ = f.ReadFast(g, &s)
		})
		if allocs != 0 {
			t.Errorf("GPU %d: ReadFast allocates %.0f times per call", g, allocs)
		}
	}
}

func BenchmarkFastTierSample(b *testing.B) {
	f := sim.New(sim.Options{GPUs: 1, Start: epoch})
	var s model.Sample
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s = model.Sample{Time: at(time.Duration(i) * 10 * time.Millisecond)}
		if err := f.ReadFast(0, &s); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func TestSimultaneousEventsAllDelivered(t *testing.T) {
	f, _ := open(t, sim.Options{Faults: []sim.Fault{
		{GPU: 3, Kind: sim.FaultResetRequired, At: 40 * time.Second},
		{GPU: 1, Kind: sim.FaultLost, At: 40 * time.Second},
	}})
	evs := f.EventsBetween(epoch, epoch.Add(41*time.Second))
	var got []int
	for _, ev := range evs {
		if ev.Time != at(40*time.Second) {
			t.Errorf("event %+v not at +40 s", ev)
		}
		got = append(got, ev.Xid.V)
	}
	if want := []int{79, 119, 31}; !reflect.DeepEqual(got, want) {
		t.Errorf("Xids %v, want %v (GPU order)", got, want)
	}
	s := model.Sample{Time: at(41 * time.Second)}
	var de *sampler.DeviceError
	if err := f.ReadFast(3, &s); !errors.As(err, &de) || de.Code != "RESET_REQUIRED" || de.State != model.Failed {
		t.Errorf("GPU 3 read: %v, want RESET_REQUIRED", err)
	}
}

func TestHangEndsByItselfAfterFor(t *testing.T) {
	f, _ := open(t, sim.Options{Faults: []sim.Fault{{GPU: 4, Kind: sim.FaultHang, At: time.Second, For: 20 * time.Millisecond}}})
	done := make(chan error)
	go func() {
		s := model.Sample{Time: at(time.Second)}
		done <- f.ReadFast(4, &s)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("read after the hang: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a hang with For never ended")
	}
	fast(t, f, 4, 2*time.Second)
}
