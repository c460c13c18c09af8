package detect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// scriptBackend answers readings computed from the sample's time, like the
// simulated fleet: GPU 0 hits its power cap from t=2s, and a process
// arrives at t=3s.
type scriptBackend struct{ start model.Timestamp }

func (b *scriptBackend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	return model.System{Source: "test"}, []model.GPUInfo{{Index: 0, Name: "Test GPU"}}, nil
}

func (b *scriptBackend) ReadFast(_ int, s *model.Sample) error {
	t := s.Time.Sub(b.start)
	mask := model.ThrottleIdle
	if t >= 2*time.Second {
		mask = model.ThrottleSWPowerCap
	}
	s.ThrottleReasons = model.Some(mask)
	s.MemTotal = model.Some[uint64](80 * gib)
	s.MemUsed = model.Some[uint64](10 * gib)
	return nil
}

func (b *scriptBackend) ReadSlow(_ int, s *model.SlowSample) error {
	s.Processes = []model.Process{}
	if s.Time.Sub(b.start) >= 3*time.Second {
		s.Processes = append(s.Processes, model.Process{PID: 4321, Kind: "compute", UsedMemory: model.Some[uint64](3 * gib)})
	}
	return nil
}

func (b *scriptBackend) Close() error { return nil }

func TestDetectorInSampler(t *testing.T) {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	s, err := sampler.Open(context.Background(), &scriptBackend{start: model.TimestampOf(start)},
		sampler.Options{Detector: New(Options{})})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 60 { // 6 s of 100 ms samples, slow every second
		s.Step(start.Add(time.Duration(i)*100*time.Millisecond), i%10 == 0)
	}
	var msgs []string
	for _, e := range s.Events(nil, 100) {
		msgs = append(msgs, e.Time.Time().Sub(start).String()+" "+e.Message)
	}
	want := []string{
		// Step reads the slow tier first.
		"3s PID 4321 started on GPU 0, 3.0 GiB",
		"3s GPU 0 clocks throttled: SW power cap",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}
