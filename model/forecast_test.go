package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const gib = 1 << 30

// series builds fast samples every step from t=0 for dur, memory given by f
// (ok=false: the reading is unavailable).
func series(step, dur time.Duration, total Opt[uint64], f func(t time.Duration) (uint64, bool)) []Sample {
	var out []Sample
	base := TimestampOf(time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC))
	for t := time.Duration(0); t <= dur; t += step {
		s := Sample{Time: base + Timestamp(t), MemTotal: total}
		if v, ok := f(t); ok {
			s.MemUsed = Some(v)
		}
		out = append(out, s)
	}
	return out
}

func TestForecastMemory(t *testing.T) {
	h100 := Some[uint64](80 * gib)
	h200 := Some[uint64](141 * gib)
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func() int64 { return int64(rng.IntN(100<<20)) - 50<<20 } // ±50 MiB

	tests := []struct {
		name      string
		samples   []Sample
		climbing  bool
		rate      float64 // true growth rate; the estimate must be within 20%
		warning   bool
		totalKnow bool
	}{
		{
			// A model loading 2 GiB every 200 ms, sampled every 100 ms.
			name: "fast steps on H100",
			samples: series(100*time.Millisecond, 3*time.Second, h100, func(t time.Duration) (uint64, bool) {
				return 10*gib + uint64(t/(200*time.Millisecond))*2*gib, true
			}),
			climbing: true, rate: 10 * gib, warning: true, totalKnow: true,
		},
		{
			name: "slow steps on H200",
			samples: series(100*time.Millisecond, 5*time.Second, h200, func(t time.Duration) (uint64, bool) {
				return 5*gib + uint64(t/time.Second)*2*gib, true
			}),
			climbing: true, rate: 2 * gib, warning: false, totalKnow: true,
		},
		{
			name: "steady climb with noise",
			samples: series(100*time.Millisecond, 4*time.Second, h100, func(t time.Duration) (uint64, bool) {
				return uint64(int64(20*gib) + int64(t.Seconds()*1.5*gib) + noise()), true
			}),
			climbing: true, rate: 1.5 * gib, warning: false, totalKnow: true,
		},
		{
			name: "flat",
			samples: series(100*time.Millisecond, 5*time.Second, h100, func(time.Duration) (uint64, bool) {
				return 30 * gib, true
			}),
		},
		{
			name: "flat with allocator noise",
			samples: series(100*time.Millisecond, 5*time.Second, h100, func(time.Duration) (uint64, bool) {
				return uint64(int64(30*gib) + noise()), true
			}),
		},
		{
			name: "freeing memory",
			samples: series(100*time.Millisecond, 5*time.Second, h100, func(t time.Duration) (uint64, bool) {
				if t < 4*time.Second {
					return 40 * gib, true
				}
				return 20 * gib, true
			}),
		},
		{
			name: "loaded then freed part of it",
			samples: series(100*time.Millisecond, 3*time.Second, h100, func(t time.Duration) (uint64, bool) {
				if t < 2500*time.Millisecond {
					return 10*gib + uint64(t/(200*time.Millisecond))*2*gib, true
				}
				return 20 * gib, true
			}),
		},
		{
			name: "a climb younger than MinSpan is not alarmed on",
			samples: series(100*time.Millisecond, 600*time.Millisecond, h100, func(t time.Duration) (uint64, bool) {
				return 10*gib + uint64(t/(200*time.Millisecond))*2*gib, true
			}),
		},
		{
			name: "every other reading unavailable",
			samples: series(100*time.Millisecond, 3*time.Second, h100, func(t time.Duration) (uint64, bool) {
				return 10*gib + uint64(t.Seconds()*3*gib), (t/(100*time.Millisecond))%2 == 0
			}),
			climbing: true, rate: 3 * gib, warning: false, totalKnow: true,
		},
		{
			name: "total unknown",
			samples: series(100*time.Millisecond, 3*time.Second, None[uint64](), func(t time.Duration) (uint64, bool) {
				return 10*gib + uint64(t.Seconds()*2*gib), true
			}),
			climbing: true, rate: 2 * gib,
		},
		{
			name: "all readings unavailable",
			samples: series(100*time.Millisecond, 3*time.Second, h100, func(time.Duration) (uint64, bool) {
				return 0, false
			}),
		},
		{
			name: "one sample",
			samples: series(100*time.Millisecond, 0, h100, func(time.Duration) (uint64, bool) {
				return 12 * gib, true
			}),
		},
		{name: "no samples"},
		{
			// Already past 95% and still climbing slowly: warn now.
			name: "past the warn line",
			samples: series(100*time.Millisecond, 3*time.Second, h100, func(t time.Duration) (uint64, bool) {
				return 77*gib + uint64(t.Seconds()*0.2*gib), true
			}),
			climbing: true, rate: 0.2 * gib, warning: true, totalKnow: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ForecastMemory(tt.samples, ForecastOptions{})
			if f.Climbing != tt.climbing {
				t.Fatalf("Climbing = %v, want %v (forecast %+v)", f.Climbing, tt.climbing, f)
			}
			if !tt.climbing {
				if f.Rate.OK || f.TimeToFull.OK || f.Warning || f.String() != "" {
					t.Errorf("forecast without a climb: %+v %q", f, f.String())
				}
				return
			}
			if !f.Rate.OK || math.Abs(f.Rate.V-tt.rate)/tt.rate > 0.2 {
				t.Errorf("Rate = %v, want %.0f ±20%%", f.Rate, tt.rate)
			}
			if f.Warning != tt.warning {
				t.Errorf("Warning = %v, want %v (%+v)", f.Warning, tt.warning, f)
			}
			if f.TimeToFull.OK != tt.totalKnow {
				t.Fatalf("TimeToFull = %v, total known %v", f.TimeToFull, tt.totalKnow)
			}
			if tt.totalKnow {
				want := float64(f.Total.V-min(f.Used.V, f.Total.V)) / f.Rate.V
				if got := f.TimeToFull.V.Seconds(); math.Abs(got-want) > 0.01 {
					t.Errorf("TimeToFull = %.2fs, want (total-used)/rate = %.2fs", got, want)
				}
				if !strings.HasPrefix(f.String(), "full") {
					t.Errorf("String() = %q", f.String())
				}
			} else if !strings.Contains(f.String(), "total unknown") {
				t.Errorf("String() = %q, want it to say the total is unknown", f.String())
			}
		})
	}
}

func TestForecastUsedAndPeak(t *testing.T) {
	samples := series(100*time.Millisecond, 2*time.Second, Some[uint64](80*gib), func(t time.Duration) (uint64, bool) {
		switch {
		case t < 500*time.Millisecond:
			return 50 * gib, true // the peak before the reset
		case t < 1500*time.Millisecond:
			return 30 * gib, true
		case t < 1800*time.Millisecond:
			return 35 * gib, true // the peak after the reset
		}
		return 0, false // newest readings unavailable
	})
	reset := samples[6].Time

	f := ForecastMemory(samples, ForecastOptions{})
	if !f.Peak.OK || f.Peak.V != 50*gib || f.PeakTime != samples[0].Time {
		t.Errorf("peak over all = %v at %v, want 50 GiB at the first sample", f.Peak, f.PeakTime)
	}
	f = ForecastMemory(samples, ForecastOptions{Since: reset})
	if !f.Peak.OK || f.Peak.V != 35*gib || f.PeakTime != samples[15].Time {
		t.Errorf("peak since reset = %v at %v, want 35 GiB at sample 15", f.Peak, f.PeakTime)
	}
	// The newest available reading counts as "used", not the unavailable tail.
	if !f.Used.OK || f.Used.V != 35*gib || f.Time != samples[17].Time {
		t.Errorf("used = %v at %v, want 35 GiB at sample 17", f.Used, f.Time)
	}
	if f := ForecastMemory(samples[18:], ForecastOptions{}); f.Used.OK || f.Peak.OK {
		t.Errorf("no readings: used %v peak %v, want unavailable", f.Used, f.Peak)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		f    MemoryForecast
		want string
	}{
		{MemoryForecast{Climbing: true, Rate: Some(1.8 * gib), TimeToFull: Some(12 * time.Second)}, "full in ~12 s at 1.8 GiB/s"},
		{MemoryForecast{Climbing: true, Rate: Some(200.0 * (1 << 20)), TimeToFull: Some(150 * time.Second)}, "full in ~3 min at 200 MiB/s"},
		{MemoryForecast{Climbing: true, Rate: Some(4.0 * gib), TimeToFull: Some(300 * time.Millisecond)}, "full in <1 s at 4.0 GiB/s"},
		{MemoryForecast{Climbing: true, Rate: Some(4.0 * gib), TimeToFull: Some(time.Duration(0))}, "full, still climbing at 4.0 GiB/s"},
		{MemoryForecast{Climbing: true, Rate: Some(2.0 * gib)}, "climbing at 2.0 GiB/s (total unknown)"},
		{MemoryForecast{}, ""},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func slowWith(ts Timestamp, procs ...Process) *SlowSample {
	return &SlowSample{Time: ts, Processes: procs}
}

func proc(pid uint32, name string, mem uint64) Process {
	p := Process{PID: pid, Kind: "compute", UsedMemory: Some(mem)}
	if name != "" {
		p.Resolved, p.Name = true, name
	}
	return p
}

func TestProcessPeaks(t *testing.T) {
	sec := Timestamp(time.Second)
	pp := NewProcessPeaks(10*time.Second, 0)

	pp.Update(0, slowWith(1*sec, proc(100, "python3", 2*gib), proc(200, "", 1*gib)))
	pp.Update(1, slowWith(1*sec, proc(100, "python3", 7*gib))) // same PID on another GPU
	pp.Update(0, slowWith(2*sec, proc(100, "python3", 9*gib), proc(200, "", 1*gib)))
	pp.Update(0, slowWith(3*sec, proc(100, "python3", 4*gib))) // 200 left GPU 0

	if r, ok := pp.Get(0, 100); !ok || r.Peak != 9*gib || r.PeakTime != 2*sec || !r.Live || r.FirstSeen != 1*sec {
		t.Errorf("gpu0 pid100 = %+v, %v", r, ok)
	}
	if r, ok := pp.Get(1, 100); !ok || r.Peak != 7*gib {
		t.Errorf("gpu1 pid100 = %+v (GPU updates must not mix)", r)
	}
	if r, ok := pp.Get(0, 200); !ok || r.Live || r.LastSeen != 2*sec {
		t.Errorf("gpu0 pid200 = %+v, %v, want gone, last seen at 2s", r, ok)
	}

	// PID 100 reused by another program: a new record.
	pp.Update(0, slowWith(4*sec, proc(100, "java", 1*gib)))
	if r, _ := pp.Get(0, 100); r.Name != "java" || r.Peak != 1*gib || r.FirstSeen != 4*sec {
		t.Errorf("reused pid = %+v, want a fresh java record", r)
	}

	// Compute + graphics contexts of one process add up.
	pp.Update(2, slowWith(4*sec, proc(300, "blender", 1*gib), Process{PID: 300, Kind: "graphics", UsedMemory: Some[uint64](gib / 2)}))
	if r, _ := pp.Get(2, 300); r.Peak != gib+gib/2 {
		t.Errorf("two contexts peak = %d, want 1.5 GiB", r.Peak)
	}

	// Gone records expire after keep.
	pp.Update(0, slowWith(20*sec))
	if _, ok := pp.Get(0, 200); ok {
		t.Error("gone record kept past keep")
	}
	list := pp.List(nil)
	for i := 1; i < len(list); i++ {
		if list[i-1].GPU > list[i].GPU || (list[i-1].GPU == list[i].GPU && list[i-1].Peak < list[i].Peak) {
			t.Errorf("List not ordered by GPU then peak: %+v", list)
		}
	}
}

func TestProcessPeaksBounded(t *testing.T) {
	pp := NewProcessPeaks(time.Hour, 100)
	for i := range 1000 {
		// Each update lists one new process: the previous ones are gone.
		pp.Update(0, slowWith(Timestamp(i)*Timestamp(time.Second), proc(uint32(i+1), "p", 1)))
	}
	list := pp.List(nil)
	if len(list) > 100 {
		t.Fatalf("%d records kept, want at most 100", len(list))
	}
	if r, ok := pp.Get(0, 1000); !ok || !r.Live {
		t.Error("the live process was dropped")
	}
	if _, ok := pp.Get(0, 1); ok {
		t.Error("the oldest gone process was kept")
	}
}

// A load that began one sample ago has shown one 2 GiB step in 100 ms: that
// must not read as 20 GiB/s (twice its real 10 GiB/s) and raise an alarm.
func TestForecastYoungClimbIsNotOverestimated(t *testing.T) {
	const trueRate = 10 * gib // 2 GiB every 200 ms
	samples := series(100*time.Millisecond, 3*time.Second, Some[uint64](80*gib), func(t time.Duration) (uint64, bool) {
		if t < 3*time.Second {
			return 60 * gib, true
		}
		return 62 * gib, true
	})
	f := ForecastMemory(samples, ForecastOptions{})
	if f.Rate.OK && f.Rate.V > trueRate {
		t.Errorf("rate after one step = %.1f GiB/s, more than the real %.0f GiB/s", f.Rate.V/gib, float64(trueRate)/gib)
	}
	if f.Warning {
		t.Errorf("one step raised the warning: %+v", f)
	}
}

// One allocation step and then flat memory is not a load in progress: no
// forecast at any moment after the step (it used to read "full in ~10 s"
// in the fail colour for the whole window).
func TestForecastOneStepIsNoClimb(t *testing.T) {
	total := Some[uint64](80 << 30)
	all := series(100*time.Millisecond, 10*time.Second, total, func(t time.Duration) (uint64, bool) {
		if t < 5*time.Second {
			return 40 << 30, true
		}
		return 60 << 30, true // one 20 GiB step, then flat
	})
	for n := 52; n <= len(all); n++ {
		if f := ForecastMemory(all[:n], ForecastOptions{}); f.Climbing || f.Warning {
			t.Fatalf("after %v: forecast %q from a single step", all[n-1].Time.Sub(all[0].Time), f.String())
		}
	}
	// Steps that keep coming are a load: the forecast follows within a
	// couple of seconds.
	stairs := series(100*time.Millisecond, 6*time.Second, total, func(t time.Duration) (uint64, bool) {
		return 10<<30 + uint64(t/(200*time.Millisecond))*(2<<30)/4, true
	})
	if f := ForecastMemory(stairs, ForecastOptions{}); !f.Climbing {
		t.Error("a staircase load gives no forecast")
	}
}
