package replay_test

import (
	"context"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/replay"
)

// TestReplayAcceptsWhatTheLoaderAccepts: issue 11 found snapshots the loader
// accepted (more than 12,000 samples per GPU) that replay then refused with
// a developer's hint. A snapshot at every per-GPU limit, at several
// intervals, loads and replays; one sample more is refused by the loader.
func TestReplayAcceptsWhatTheLoaderAccepts(t *testing.T) {
	for _, iv := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, time.Second} {
		t0 := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
		rec := model.GPURecord{GPUInfo: model.GPUInfo{Index: 0, Name: "H100"}}
		for i := range model.MaxSamplesPerGPU {
			rec.Samples = append(rec.Samples, model.Sample{Time: model.TimestampOf(t0.Add(time.Duration(i) * iv))})
		}
		for i := range model.MaxSlowSamplesPerGPU {
			// slow samples closer together than the slow interval, as a
			// hostile file may have them
			rec.SlowSamples = append(rec.SlowSamples, model.SlowSample{Time: model.TimestampOf(t0.Add(time.Duration(i) * iv))})
		}
		loaded := model.NewSnapshot(model.SnapshotInput{Created: t0, System: model.System{Host: "h", Source: "nvml"},
			Interval: iv, SlowInterval: time.Second, GPUs: []model.GPURecord{rec}})
		// What the loader checks after decoding (the limits are the same
		// constants); no JSON round trip, which would cost a minute under -race.
		if err := loaded.Validate(); err != nil {
			t.Fatalf("interval %v: loader refuses: %v", iv, err)
		}
		s, err := sampler.Open(context.Background(), replay.Load(loaded), replay.Options(loaded))
		if err != nil {
			t.Fatalf("interval %v: %v", iv, err)
		}
		if err := replay.Fill(s, loaded); err != nil {
			t.Errorf("interval %v: the loader accepted what replay refuses: %v", iv, err)
		}
	}
}
