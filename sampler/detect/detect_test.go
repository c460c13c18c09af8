package detect

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

var _ sampler.Detector = (*Detector)(nil)

const gib = 1 << 30

// recorder collects emitted events.
type recorder struct {
	mu     sync.Mutex
	events []model.Event
}

func (r *recorder) emit(e model.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func at(d time.Duration) model.Timestamp {
	return model.Timestamp(1_800_000_000e9) + model.Timestamp(d)
}

// runThrottle feeds 100 ms fast samples for dur with the mask mask(t).
func runThrottle(d *Detector, dur time.Duration, mask func(t time.Duration) uint64) []model.Event {
	var r recorder
	for t := time.Duration(0); t <= dur; t += 100 * time.Millisecond {
		s := model.Sample{Time: at(t), ThrottleReasons: model.Some(mask(t))}
		d.Fast(0, &s, r.emit)
	}
	return r.events
}

// on returns a mask function that sets bit during the given [from, to) spans.
func on(bit uint64, spans ...[2]time.Duration) func(time.Duration) uint64 {
	return func(t time.Duration) uint64 {
		for _, s := range spans {
			if t >= s[0] && t < s[1] {
				return bit
			}
		}
		return 0
	}
}

func flapping(bit uint64, period, until time.Duration) func(time.Duration) uint64 {
	return func(t time.Duration) uint64 {
		if t < until && (t/period)%2 == 0 {
			return bit
		}
		return 0
	}
}

type wantEvent struct {
	at       time.Duration
	started  bool
	severity model.Severity
}

func TestThrottleDebounce(t *testing.T) {
	s := time.Second
	ms := time.Millisecond
	pwr := model.ThrottleSWPowerCap
	tests := []struct {
		name string
		mask func(time.Duration) uint64
		dur  time.Duration
		want []wantEvent
	}{
		{"long run", on(pwr, [2]time.Duration{0, 5 * s}), 10 * s,
			[]wantEvent{{1 * s, true, model.SevWarn}, {7 * s, false, model.SevInfo}}},
		{"short blip", on(pwr, [2]time.Duration{2 * s, 2*s + 500*ms}), 6 * s, nil},
		{"blip just under the start time", on(pwr, [2]time.Duration{2 * s, 2*s + 950*ms}), 6 * s, nil},
		{"isolated blips every second", flapping(pwr, 500*ms, 8*s), 10 * s, nil},
		{"flapping every 300 ms is one episode", flapping(pwr, 300*ms, 8*s), 12 * s,
			[]wantEvent{{1200 * ms, true, model.SevWarn}, {10 * s, false, model.SevInfo}}},
		{"gap shorter than the stop time is bridged",
			on(pwr, [2]time.Duration{0, 3 * s}, [2]time.Duration{4 * s, 7 * s}), 12 * s,
			[]wantEvent{{1 * s, true, model.SevWarn}, {9 * s, false, model.SevInfo}}},
		{"gap longer than the stop time is two episodes",
			on(pwr, [2]time.Duration{0, 3 * s}, [2]time.Duration{6 * s, 9 * s}), 14 * s,
			[]wantEvent{{1 * s, true, model.SevWarn}, {5 * s, false, model.SevInfo},
				{7 * s, true, model.SevWarn}, {11 * s, false, model.SevInfo}}},
		{"still on at the end: no stop", on(pwr, [2]time.Duration{0, 20 * s}), 10 * s,
			[]wantEvent{{1 * s, true, model.SevWarn}}},
		{"idle bit ignored", on(model.ThrottleIdle, [2]time.Duration{0, 10 * s}), 10 * s, nil},
		{"HW slowdown is an error", on(model.ThrottleHWSlowdown, [2]time.Duration{0, 2 * s}), 6 * s,
			[]wantEvent{{1 * s, true, model.SevError}, {4 * s, false, model.SevInfo}}},
		{"power brake is an error", on(model.ThrottleHWPowerBrake, [2]time.Duration{0, 2 * s}), 3 * s,
			[]wantEvent{{1 * s, true, model.SevError}}},
		{"SW thermal is a warning", on(model.ThrottleSWThermal, [2]time.Duration{0, 2 * s}), 3 * s,
			[]wantEvent{{1 * s, true, model.SevWarn}}},
		{"application clocks are information", on(model.ThrottleAppClocks, [2]time.Duration{0, 2 * s}), 3 * s,
			[]wantEvent{{1 * s, true, model.SevInfo}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runThrottle(New(Options{}), tt.dur, tt.mask)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				e := got[i]
				if e.Time != at(w.at) || e.Severity != w.severity || e.Kind != model.EventThrottle {
					t.Errorf("event %d = %v %s %q, want at %v severity %s", i, e.Time.Sub(at(0)), e.Severity, e.Message, w.at, w.severity)
				}
				if started := strings.Contains(e.Message, "throttled"); started != w.started {
					t.Errorf("event %d %q: started = %v, want %v", i, e.Message, started, w.started)
				}
				if g, ok := e.GPU.Get(); !ok || g != 0 {
					t.Errorf("event %d GPU = %v", i, e.GPU)
				}
			}
		})
	}
}

func TestThrottleBitsIndependentAndUnavailableHolds(t *testing.T) {
	d := New(Options{})
	var r recorder
	feed := func(from, to time.Duration, mask model.Opt[uint64]) {
		for t := from; t < to; t += 100 * time.Millisecond {
			s := model.Sample{Time: at(t), ThrottleReasons: mask}
			d.Fast(3, &s, r.emit)
		}
	}
	both := model.ThrottleSWPowerCap | model.ThrottleHWThermal
	feed(0, 2*time.Second, model.Some(both))
	feed(2*time.Second, 10*time.Second, model.None[uint64]()) // unavailable: no stop
	feed(10*time.Second, 13*time.Second, model.Some(model.ThrottleSWPowerCap))
	var msgs []string
	for _, e := range r.events {
		msgs = append(msgs, e.Message)
	}
	want := []string{
		"GPU 3 clocks throttled: HW thermal slowdown",
		"GPU 3 clocks throttled: SW power cap",
		"GPU 3 throttling ended: HW thermal slowdown (lasted 1.9s)",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

func TestMemoryLines(t *testing.T) {
	total := uint64(80 * gib)
	tests := []struct {
		name  string
		fracs []float64
		want  []string // "NN%" of each event, in order
	}{
		{"climb through every line", []float64{0.1, 0.55, 0.8, 0.91, 0.97}, []string{"50%", "75%", "90%", "95%"}},
		{"jump reports the highest line once", []float64{0.1, 0.96, 0.97}, []string{"95%"}},
		{"hovering at a line reports once", []float64{0.4, 0.51, 0.49, 0.52, 0.48, 0.51}, []string{"50%"}},
		{"drop below the margin re-arms", []float64{0.4, 0.51, 0.40, 0.52}, []string{"50%", "50%"}},
		{"already high at start is the baseline", []float64{0.92, 0.93, 0.96}, []string{"95%"}},
		{"falling is silent", []float64{0.97, 0.6, 0.2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Options{})
			var r recorder
			for i, f := range tt.fracs {
				s := model.Sample{Time: at(time.Duration(i) * time.Second),
					MemUsed: model.Some(uint64(f * float64(total))), MemTotal: model.Some(total)}
				d.Fast(0, &s, r.emit)
			}
			if len(r.events) != len(tt.want) {
				t.Fatalf("events %+v, want lines %v", r.events, tt.want)
			}
			for i, e := range r.events {
				if e.Kind != model.EventMemoryHWM || !strings.Contains(e.Message, "passed "+tt.want[i]) {
					t.Errorf("event %d = %q, want line %s", i, e.Message, tt.want[i])
				}
			}
		})
	}
	// Unknown total: nothing to compare with.
	d := New(Options{})
	var r recorder
	for i := range 5 {
		s := model.Sample{Time: at(time.Duration(i) * time.Second), MemUsed: model.Some(uint64(i) * 20 * gib)}
		d.Fast(0, &s, r.emit)
	}
	if len(r.events) != 0 {
		t.Errorf("events without a total: %+v", r.events)
	}
}

func TestMemoryErrors(t *testing.T) {
	u := func(v uint64) model.Opt[uint64] { return model.Some(v) }
	i := func(v int) model.Opt[int] { return model.Some(v) }
	b := func(v bool) model.Opt[bool] { return model.Some(v) }
	tests := []struct {
		name   string
		steps  []model.SlowSample
		want   []string // substrings, in order
		sevs   []model.Severity
		action []bool // whether an action is given
	}{
		{"unchanged counters are silent",
			[]model.SlowSample{{ECCVolatileCorrected: u(5)}, {ECCVolatileCorrected: u(5)}}, nil, nil, nil},
		{"errors present at start are the baseline",
			[]model.SlowSample{{ECCVolatileUncorrected: u(2), RowRemapPending: b(true)}}, nil, nil, nil},
		{"corrected errors warn",
			[]model.SlowSample{{ECCVolatileCorrected: u(5)}, {ECCVolatileCorrected: u(8)}},
			[]string{"3 new corrected ECC errors (volatile total 8)"}, []model.Severity{model.SevWarn}, []bool{false}},
		{"uncorrectable errors are errors, aggregate not repeated",
			[]model.SlowSample{{ECCVolatileUncorrected: u(0), ECCAggregateUncorrected: u(4)},
				{ECCVolatileUncorrected: u(1), ECCAggregateUncorrected: u(5)}},
			[]string{"1 new uncorrectable ECC error (volatile total 1)"}, []model.Severity{model.SevError}, []bool{true}},
		{"aggregate alone when volatile is unavailable",
			[]model.SlowSample{{ECCAggregateUncorrected: u(4)}, {ECCAggregateUncorrected: u(6)}},
			[]string{"2 new uncorrectable ECC errors (lifetime total 6)"}, []model.Severity{model.SevError}, []bool{true}},
		{"counter reset is a new baseline",
			[]model.SlowSample{{ECCVolatileCorrected: u(50)}, {ECCVolatileCorrected: u(0)}, {ECCVolatileCorrected: u(1)}},
			[]string{"1 new corrected ECC error (volatile total 1)"}, []model.Severity{model.SevWarn}, []bool{false}},
		{"unavailable keeps the last value",
			[]model.SlowSample{{ECCVolatileCorrected: u(5)}, {}, {ECCVolatileCorrected: u(6)}},
			[]string{"1 new corrected ECC error"}, []model.Severity{model.SevWarn}, []bool{false}},
		{"row remaps and pending flag",
			[]model.SlowSample{
				{RowRemapCorrectable: i(0), RowRemapUncorrectable: i(0), RowRemapPending: b(false), RowRemapFailure: b(false)},
				{RowRemapCorrectable: i(0), RowRemapUncorrectable: i(1), RowRemapPending: b(true), RowRemapFailure: b(false)},
				{RowRemapCorrectable: i(0), RowRemapUncorrectable: i(1), RowRemapPending: b(false), RowRemapFailure: b(true)},
			},
			[]string{"1 row remapped for uncorrectable errors", "row remap pending", "pending row remap applied", "row remapping failed"},
			[]model.Severity{model.SevError, model.SevWarn, model.SevInfo, model.SevError}, []bool{true, true, false, true}},
		{"retired pages (pre-Ampere)",
			[]model.SlowSample{{RetiredPagesSBE: i(1), RetiredPagesDBE: i(0), RetiredPagesPending: b(false)},
				{RetiredPagesSBE: i(2), RetiredPagesDBE: i(1), RetiredPagesPending: b(true)}},
			[]string{"1 page retired for single-bit errors", "1 page retired for double-bit errors", "page retirement pending"},
			[]model.Severity{model.SevWarn, model.SevError, model.SevWarn}, []bool{false, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Options{})
			var r recorder
			for n := range tt.steps {
				s := tt.steps[n]
				s.Time = at(time.Duration(n) * time.Second)
				d.Slow(1, &s, r.emit)
			}
			if len(r.events) != len(tt.want) {
				t.Fatalf("events %+v, want %q", r.events, tt.want)
			}
			for n, e := range r.events {
				if !strings.Contains(e.Message, tt.want[n]) || e.Severity != tt.sevs[n] || e.Kind != model.EventECC ||
					(e.Action != "") != tt.action[n] || !strings.HasPrefix(e.Message, "GPU 1: ") {
					t.Errorf("event %d = %s %q action %q, want %s %q action %v", n, e.Severity, e.Message, e.Action,
						tt.sevs[n], tt.want[n], tt.action[n])
				}
			}
		})
	}
}

func proc(pid uint32, name string, mem uint64) model.Process {
	p := model.Process{PID: pid, Kind: "compute", UsedMemory: model.Some(mem)}
	if name != "" {
		p.Resolved, p.Name = true, name
	}
	return p
}

func TestProcesses(t *testing.T) {
	d := New(Options{})
	var r recorder
	lists := [][]model.Process{
		{proc(10, "sshd-gpu-probe", gib)},                                       // baseline: silent
		{proc(10, "sshd-gpu-probe", gib), proc(1234, "python3", 2*gib+100<<20)}, // 1234 arrives
		{proc(10, "sshd-gpu-probe", gib), proc(1234, "python3", 9*gib), proc(77, "", 300<<20)},
		{proc(10, "sshd-gpu-probe", gib), proc(77, "", 300<<20)}, // 1234 missing once
		{proc(10, "sshd-gpu-probe", gib), proc(77, "", 300<<20)}, // 1234 missing twice: left
		{proc(10, "sshd-gpu-probe", gib)},                        // 77 missing once
		{proc(10, "sshd-gpu-probe", gib), proc(77, "", 300<<20)}, // 77 back: no event
	}
	for n, l := range lists {
		s := model.SlowSample{Time: at(time.Duration(n) * time.Second), Processes: l}
		d.Slow(0, &s, r.emit)
	}
	var got []string
	for _, e := range r.events {
		if e.Kind != model.EventProcess || e.Severity != model.SevInfo {
			t.Errorf("event %+v", e)
		}
		got = append(got, e.Message)
	}
	want := []string{
		"python3 (PID 1234) started on GPU 0, 2.1 GiB",
		"PID 77 started on GPU 0, 300 MiB",
		"python3 (PID 1234) left GPU 0 (peak 9.0 GiB)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProcessFloodIsSummarised(t *testing.T) {
	d := New(Options{})
	var r recorder
	s := model.SlowSample{Time: at(0)}
	d.Slow(0, &s, r.emit)
	for pid := range uint32(500) {
		s.Processes = append(s.Processes, proc(pid+100, "worker", 1<<20))
	}
	s.Time = at(time.Second)
	d.Slow(0, &s, r.emit)
	for n := 2; n <= 3; n++ {
		e := model.SlowSample{Time: at(time.Duration(n) * time.Second), Processes: []model.Process{}}
		d.Slow(0, &e, r.emit)
	}
	if len(r.events) != 2 || r.events[0].Message != "500 processes started on GPU 0" || r.events[1].Message != "500 processes left GPU 0" {
		t.Errorf("events %+v", r.events)
	}
}

// TestConcurrentGPUs runs fast and slow tiers of several GPUs at once; -race
// checks the locking.
func TestConcurrentGPUs(t *testing.T) {
	d := New(Options{})
	var r recorder
	var wg sync.WaitGroup
	for gpu := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for n := range 300 {
				s := model.Sample{Time: at(time.Duration(n) * 100 * time.Millisecond),
					ThrottleReasons: model.Some(model.ThrottleSWPowerCap), MemUsed: model.Some(uint64(n) * gib / 4), MemTotal: model.Some[uint64](80 * gib)}
				d.Fast(gpu, &s, r.emit)
			}
		}()
		go func() {
			defer wg.Done()
			for n := range 30 {
				s := model.SlowSample{Time: at(time.Duration(n) * time.Second), Processes: []model.Process{proc(uint32(n), "p", gib)}}
				d.Slow(gpu, &s, r.emit)
			}
		}()
	}
	wg.Wait()
	perGPU := map[int]int{}
	for _, e := range r.events {
		if e.Kind == model.EventThrottle {
			perGPU[e.GPU.V]++
		}
	}
	for gpu := range 4 {
		if perGPU[gpu] != 1 {
			t.Errorf("GPU %d: %d throttle events, want 1", gpu, perGPU[gpu])
		}
	}
}

func BenchmarkFastQuiet(b *testing.B) {
	d := New(Options{})
	emit := func(model.Event) { b.Fatal("unexpected event") }
	s := model.Sample{ThrottleReasons: model.Some(model.ThrottleIdle), MemUsed: model.Some[uint64](10 * gib), MemTotal: model.Some[uint64](80 * gib)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Time = at(time.Duration(i) * 10 * time.Millisecond)
		d.Fast(0, &s, emit)
	}
}

func TestFastQuietDoesNotAllocate(t *testing.T) {
	d := New(Options{})
	emit := func(model.Event) { t.Fatal("unexpected event") }
	s := model.Sample{ThrottleReasons: model.Some(model.ThrottleIdle), MemUsed: model.Some[uint64](10 * gib), MemTotal: model.Some[uint64](80 * gib)}
	n := 0
	d.Fast(0, &s, emit) // first call creates the GPU's state
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		s.Time = at(time.Duration(n) * 10 * time.Millisecond)
		d.Fast(0, &s, emit)
	})
	if allocs != 0 {
		t.Errorf("Fast allocates %.1f times per quiet sample, want 0", allocs)
	}
}
