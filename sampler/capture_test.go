package sampler_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

var captureEpoch = time.Date(2026, 11, 21, 7, 53, 0, 0, time.UTC)

// captureBackend is a deterministic two-GPU backend; GPU 1 falls off the
// bus at lostAfter (if set).
type captureBackend struct {
	lostAfter time.Time
}

func (b *captureBackend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	return model.System{Host: "cap", Source: "demo"},
		[]model.GPUInfo{{Index: 0, Name: "A"}, {Index: 1, Name: "B"}}, nil
}

func (b *captureBackend) lost(gpu int, t model.Timestamp) bool {
	return gpu == 1 && !b.lostAfter.IsZero() && t.Time().After(b.lostAfter)
}

func (b *captureBackend) ReadFast(gpu int, s *model.Sample) error {
	if b.lost(gpu, s.Time) {
		return &sampler.DeviceError{GPU: gpu, Code: "GPU_IS_LOST", State: model.Lost, Err: errors.New("GPU is lost")}
	}
	s.UtilGPU.Set(uint32(gpu * 10))
	return nil
}

func (b *captureBackend) ReadSlow(gpu int, s *model.SlowSample) error {
	if b.lost(gpu, s.Time) {
		return &sampler.DeviceError{GPU: gpu, Code: "GPU_IS_LOST", State: model.Lost, Err: errors.New("GPU is lost")}
	}
	s.Processes = []model.Process{{PID: 42, GPUIndex: gpu, Command: "python x.py"}}
	return nil
}

func (b *captureBackend) Close() error { return nil }

func stepFor(t *testing.T, b sampler.Backend, dur time.Duration) *sampler.Sampler {
	t.Helper()
	s, err := sampler.Open(context.Background(), b, sampler.Options{Interval: 100 * time.Millisecond, SlowInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= int(dur/(100*time.Millisecond)); i++ {
		s.Step(captureEpoch.Add(time.Duration(i)*100*time.Millisecond), i%10 == 0)
	}
	return s
}

func TestCaptureWindow(t *testing.T) {
	s := stepFor(t, &captureBackend{}, 90*time.Second)
	tests := []struct {
		window         time.Duration
		wantFast       int
		wantSlow       int
		wantFirstFastS float64 // seconds after the epoch
	}{
		{60 * time.Second, 601, 61, 30},
		{time.Second, 11, 2, 89},
		{0, 901, 91, 0}, // everything held
		{-time.Second, 901, 91, 0},
		{time.Hour, 901, 91, 0},
	}
	for _, tc := range tests {
		recs := s.Capture(tc.window)
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2", len(recs))
		}
		for g, rec := range recs {
			if rec.Index != g || rec.Name != s.GPUs()[g].Info.Name {
				t.Errorf("record %d is GPU %d %q", g, rec.Index, rec.Name)
			}
			if len(rec.Samples) != tc.wantFast || len(rec.SlowSamples) != tc.wantSlow {
				t.Errorf("window %v GPU %d: %d fast, %d slow; want %d, %d", tc.window, g,
					len(rec.Samples), len(rec.SlowSamples), tc.wantFast, tc.wantSlow)
				continue
			}
			if first := rec.Samples[0].Time.Sub(model.TimestampOf(captureEpoch)).Seconds(); first != tc.wantFirstFastS {
				t.Errorf("window %v GPU %d: first sample at %vs, want %vs", tc.window, g, first, tc.wantFirstFastS)
			}
		}
	}
}

// A GPU lost a while ago keeps its last window before the loss, and its
// health says lost.
func TestCaptureLostGPU(t *testing.T) {
	lostAt := captureEpoch.Add(20 * time.Second)
	s := stepFor(t, &captureBackend{lostAfter: lostAt}, 90*time.Second)
	recs := s.Capture(10 * time.Second)
	lost := recs[1]
	if lost.Health.State != model.Lost {
		t.Errorf("health %+v, want lost", lost.Health)
	}
	if n := len(lost.Samples); n != 101 || lost.Samples[n-1].Time != model.TimestampOf(lostAt) {
		t.Errorf("lost GPU: %d samples ending %v, want 101 ending at the loss", n, lost.Samples[len(lost.Samples)-1].Time)
	}
	if len(recs[0].Samples) != 101 || recs[0].Health.State != model.Healthy {
		t.Errorf("healthy GPU: %d samples, health %v", len(recs[0].Samples), recs[0].Health.State)
	}
}

// Captured records share nothing with the sampler: a snapshot redacts its
// process lists in place.
func TestCaptureCopies(t *testing.T) {
	s := stepFor(t, &captureBackend{}, 3*time.Second)
	recs := s.Capture(0)
	recs[0].SlowSamples[0].Processes[0].Command = "changed"
	recs[0].Samples[0].UtilGPU = model.Some[uint32](99)
	slow := s.GPUs()[0].SlowHistory(nil, 1)
	fast := s.GPUs()[0].History(nil, math.MaxInt)
	_, _, latest, _ := s.GPUs()[0].Latest()
	if slow[0].Processes[0].Command != "python x.py" || latest.Processes[0].Command != "python x.py" {
		t.Error("changing a captured process changed the sampler's")
	}
	if fast[0].UtilGPU != model.Some[uint32](0) {
		t.Error("changing a captured sample changed the sampler's")
	}
}

func TestCaptureInput(t *testing.T) {
	s := stepFor(t, &captureBackend{}, 2*time.Second)
	s.Emit(model.Event{Time: model.TimestampOf(captureEpoch), Kind: model.EventInfo, Message: "hello"})
	in := s.CaptureInput(time.Minute)
	if in.System != s.System() || in.Interval != 100*time.Millisecond || in.SlowInterval != time.Second {
		t.Errorf("input system/intervals = %+v %v %v", in.System, in.Interval, in.SlowInterval)
	}
	if len(in.GPUs) != 2 || len(in.Events) != 1 || in.Events[0].Message != "hello" || in.Created.IsZero() {
		t.Errorf("input has %d GPUs, events %+v, created %v", len(in.GPUs), in.Events, in.Created)
	}
}

// Capture runs on the UI's export command while the sampler polls.
func TestCaptureWhileRunning(t *testing.T) {
	s, err := sampler.Open(context.Background(), &captureBackend{}, sampler.Options{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Run(ctx) }()
	captured := 0
	for captured < 20 {
		<-s.Updates()
		for _, rec := range s.Capture(time.Minute) {
			for i := 1; i < len(rec.Samples); i++ {
				if rec.Samples[i].Time < rec.Samples[i-1].Time {
					t.Fatalf("captured samples out of order")
				}
			}
		}
		captured++
	}
	cancel()
	wg.Wait()
}
