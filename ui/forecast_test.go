package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/gputop/gputop/model"
)

const forecastTotal = 80 << 30

// memRamp is n samples every 100 ms ending at t0, memory starting at
// startGiB and growing rateGiB per second.
func memRamp(n int, startGiB, rateGiB float64, total model.Opt[uint64]) []model.Sample {
	out := make([]model.Sample, n)
	for i := range out {
		at := t0.Add(-time.Duration(n-1-i) * 100 * time.Millisecond)
		used := (startGiB + rateGiB*float64(i)/10) * gib
		out[i] = model.Sample{Time: model.TimestampOf(at), MemUsed: model.Some(uint64(used)), MemTotal: total}
	}
	return out
}

func TestGoldenForecast(t *testing.T) {
	total := model.Some[uint64](forecastTotal)
	unavailable := memRamp(40, 10, 0, total)
	for i := range unavailable {
		unavailable[i].MemUsed = model.None[uint64]()
	}
	tests := []struct {
		name    string
		samples []model.Sample
		peak    model.Opt[uint64]
		check   func(model.MemoryForecast) bool
	}{
		{"climbing", memRamp(40, 20, 1.8, total), model.None[uint64](),
			func(f model.MemoryForecast) bool { return f.Climbing && !f.Warning }},
		{"climbing_total_unknown", memRamp(40, 20, 1.8, model.None[uint64]()), model.None[uint64](),
			func(f model.MemoryForecast) bool { return f.Climbing && !f.TimeToFull.OK }},
		{"warning", memRamp(40, 60, 1.8, total), model.None[uint64](),
			func(f model.MemoryForecast) bool { return f.Warning }},
		{"full", memRamp(40, 78, 1.0, total), model.None[uint64](),
			func(f model.MemoryForecast) bool { return f.Warning && f.TimeToFull.OK && f.TimeToFull.V == 0 }},
		{"flat", memRamp(40, 40, 0, total), model.Some[uint64](78 << 30),
			func(f model.MemoryForecast) bool { return !f.Climbing }},
		{"unavailable", unavailable, model.None[uint64](),
			func(f model.MemoryForecast) bool { return !f.Used.OK }},
	}
	s := compCommon(t).styles
	for _, tt := range tests {
		f := model.ForecastMemory(tt.samples, model.ForecastOptions{})
		if !tt.check(f) {
			t.Fatalf("%s: the input does not make the intended forecast: %+v", tt.name, f)
		}
		for _, w := range []int{40, 120} {
			t.Run(tt.name+"_"+strconv.Itoa(w), func(t *testing.T) {
				v := renderForecast(f, tt.peak, w, s)
				show(t, v)
				checkScreen(t, v, w, 1)
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}

func TestRenderForecastWords(t *testing.T) {
	s := compCommon(t).styles
	total := model.Some[uint64](forecastTotal)
	tests := []struct {
		name    string
		f       model.MemoryForecast
		peak    model.Opt[uint64]
		want    []string
		notWant []string
	}{
		{"tracked peak wins over the window's", model.ForecastMemory(memRamp(40, 40, 0, total), model.ForecastOptions{}),
			model.Some[uint64](78 << 30), []string{"steady", "peak 78.0 GiB"}, []string{"peak 40.0"}},
		{"window peak when nothing tracked", model.ForecastMemory(memRamp(40, 40, 0, total), model.ForecastOptions{}),
			model.None[uint64](), []string{"peak 40.0 GiB"}, nil},
		{"climbing says rate and time", model.ForecastMemory(memRamp(40, 20, 1.8, total), model.ForecastOptions{}),
			model.None[uint64](), []string{"full in ~", "at 1.8 GiB/s"}, []string{"▲"}},
		{"warning is marked without colour", model.ForecastMemory(memRamp(40, 60, 1.8, total), model.ForecastOptions{}),
			model.None[uint64](), []string{"▲ full in"}, nil},
		{"no reading is not zero", model.MemoryForecast{}, model.None[uint64](), []string{na}, []string{"0 B", "peak"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ansi.Strip(renderForecast(tt.f, tt.peak, 120, s))
			for _, w := range tt.want {
				if !strings.Contains(v, w) {
					t.Errorf("%q lacks %q", v, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(v, w) {
					t.Errorf("%q has %q", v, w)
				}
			}
		})
	}
	f := model.ForecastMemory(memRamp(40, 60, 1.8, total), model.ForecastOptions{})
	for w := 0; w <= 130; w++ {
		if got := lipgloss.Width(renderForecast(f, model.Some[uint64](1<<30), w, s)); got != w {
			t.Fatalf("width %d drew %d cells", w, got)
		}
	}
}

func msAt(ms int) model.Timestamp {
	return model.TimestampOf(t0.Add(time.Duration(ms) * time.Millisecond))
}

func memAtMs(ms int, giB uint64) model.Sample {
	return model.Sample{Time: msAt(ms), MemUsed: model.Some(giB << 30)}
}

func TestPeakTracker(t *testing.T) {
	type step struct {
		gpu     int
		samples []model.Sample
		reset   int // ms; 0 = no reset
	}
	tests := []struct {
		name   string
		steps  []step
		gpu    int
		want   model.Opt[uint64]
		wantAt model.Timestamp
	}{
		{"highest of one window", []step{{0, []model.Sample{memAtMs(1, 10), memAtMs(2, 30), memAtMs(3, 20)}, 0}}, 0,
			model.Some[uint64](30 << 30), msAt(2)},
		{"survives windows that no longer hold it", []step{
			{0, []model.Sample{memAtMs(1, 10), memAtMs(2, 30)}, 0},
			{0, []model.Sample{memAtMs(3, 20), memAtMs(4, 15)}, 0},
		}, 0, model.Some[uint64](30 << 30), msAt(2)},
		{"overlapping windows count once", []step{
			{0, []model.Sample{memAtMs(1, 10), memAtMs(2, 30)}, 0},
			{0, []model.Sample{memAtMs(1, 10), memAtMs(2, 30), memAtMs(3, 5)}, 0},
		}, 0, model.Some[uint64](30 << 30), msAt(2)},
		{"reset forgets", []step{
			{0, []model.Sample{memAtMs(1, 70), memAtMs(2, 30)}, 0},
			{0, nil, 5},
		}, 0, model.None[uint64](), 0},
		{"reset ignores older samples still in the window", []step{
			{0, []model.Sample{memAtMs(1, 70)}, 0},
			{0, nil, 5},
			{0, []model.Sample{memAtMs(1, 70), memAtMs(4, 60), memAtMs(6, 20), memAtMs(7, 25)}, 0},
		}, 0, model.Some[uint64](25 << 30), msAt(7)},
		{"unavailable readings are not zero", []step{
			{0, []model.Sample{{Time: msAt(1)}, {Time: msAt(2)}}, 0},
		}, 0, model.None[uint64](), 0},
		{"GPUs are separate", []step{
			{0, []model.Sample{memAtMs(1, 70)}, 0},
			{1, []model.Sample{memAtMs(1, 5)}, 0},
		}, 1, model.Some[uint64](5 << 30), msAt(1)},
		{"unknown GPU", nil, 3, model.None[uint64](), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := newPeakTracker(t0)
			for _, s := range tt.steps {
				if s.reset != 0 {
					pt.Reset(msAt(s.reset).Time())
					if pt.Since() != msAt(s.reset) {
						t.Errorf("Since = %v after reset at %v", pt.Since(), msAt(s.reset))
					}
					continue
				}
				pt.Observe(s.gpu, s.samples)
			}
			got, gotAt := pt.Peak(tt.gpu)
			if got != tt.want || gotAt != tt.wantAt {
				t.Errorf("peak %+v at %v, want %+v at %v", got, gotAt, tt.want, tt.wantAt)
			}
		})
	}
}

// ringSource shows only the newest keep samples of each GPU, like the
// sampler's ring once it has wrapped.
type ringSource struct {
	Source
	keep  int
	asked *int
}

type ringGPU struct {
	GPUSource
	keep  int
	asked *int // the largest n asked for
}

func (r ringSource) GPU(i int) GPUSource { return ringGPU{r.Source.GPU(i), r.keep, r.asked} }
func (g ringGPU) History(dst []model.Sample, n int) []model.Sample {
	if g.asked != nil {
		*g.asked = max(*g.asked, n)
	}
	return g.GPUSource.History(dst, min(n, g.keep))
}

func TestLoadWatchPeakOutlivesRing(t *testing.T) {
	fake := newFakeSource(2)
	var asked int
	src := ringSource{fake, 20, &asked}
	w := newLoadWatch(t0, 100*time.Millisecond, model.ForecastOptions{})
	// A load climbs to 70 GiB, frees down to 30 GiB, and the UI refreshes
	// every 500 ms while it happens.
	for i := range 120 {
		now := t0.Add(time.Duration(i+1) * 100 * time.Millisecond)
		used := uint64(30)
		if i <= 60 {
			used = uint64(i) * 70 / 60
		}
		fake.push(0, model.Sample{Time: model.TimestampOf(now), MemUsed: model.Some(used << 30),
			MemTotal: model.Some[uint64](forecastTotal)})
		if i%5 == 4 {
			w.refresh(src, now)
		}
	}
	f, peak := w.forecast(0)
	if !peak.OK || peak.V != 70<<30 {
		t.Errorf("peak %+v, want 70 GiB although the ring now holds only 30 GiB", peak)
	}
	if f.Peak.OK && f.Peak.V == 70<<30 {
		t.Error("the test is void: the window still holds the peak")
	}
	if f.Climbing {
		t.Errorf("flat memory forecast as climbing: %+v", f)
	}
	// Each refresh asks for the forecast window plus the time since the
	// previous refresh, not for everything since the peak.
	if limit := int(model.DefaultForecastWindow/(100*time.Millisecond)) + 2 + 5; asked > limit {
		t.Errorf("asked for %d samples per refresh, want at most %d", asked, limit)
	}
	if _, p1 := w.forecast(1); p1.OK {
		t.Errorf("GPU 1 has no samples, peak %+v", p1)
	}
	if _, p := w.forecast(7); p.OK {
		t.Error("a GPU out of range has a peak")
	}
	w.Reset(t0.Add(time.Hour))
	if _, p := w.forecast(0); p.OK {
		t.Errorf("peak %+v after reset", p)
	}
	w.refresh(nullSource{}, t0) // the null source: nothing to do, no panic
}

func TestLoadWatchForecastsClimb(t *testing.T) {
	fake := newFakeSource(1)
	w := newLoadWatch(t0, 100*time.Millisecond, model.ForecastOptions{})
	for _, s := range memRamp(40, 60, 1.8, model.Some[uint64](forecastTotal)) {
		fake.push(0, s)
	}
	w.refresh(fake, t0)
	f, peak := w.forecast(0)
	if !f.Climbing || !f.Warning {
		t.Errorf("forecast %+v, want a climbing warning", f)
	}
	if !peak.OK || peak != f.Used {
		t.Errorf("peak %+v, want the newest reading %+v", peak, f.Used)
	}
}
