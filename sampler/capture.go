package sampler

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gputop/gputop/model"
)

// Capture copies the recorded state of every GPU for a snapshot: identity,
// health, and the fast and slow history of the last window (all that is held
// when window <= 0). The window is counted back from each tier's newest
// sample of that GPU, so a GPU that was lost a while ago still shows its last
// minute before the loss. It is safe to call while Run is polling; the
// records share nothing with the sampler's rings.
func (s *Sampler) Capture(window time.Duration) []model.GPURecord {
	records := make([]model.GPURecord, 0, len(s.gpus))
	for _, g := range s.gpus {
		_, _, _, health := g.Latest()
		fast := g.History(nil, g.HistoryLen())
		slow := g.SlowHistory(nil, g.slowLen())
		for i := range slow {
			// The ring's copies share their process slices with the
			// sampler's; a snapshot is redacted in place later.
			slow[i].Processes = slices.Clone(slow[i].Processes) // nil stays nil
		}
		records = append(records, model.GPURecord{
			GPUInfo:     g.Info,
			Health:      health,
			Samples:     lastWindow(fast, window, func(s model.Sample) model.Timestamp { return s.Time }),
			SlowSamples: lastWindow(slow, window, func(s model.SlowSample) model.Timestamp { return s.Time }),
		})
	}
	return records
}

// CaptureInput fills the sampler's part of a snapshot: system, intervals,
// GPU records of the last window and the event timeline. The caller adds
// the version, facts, checks, versions and redaction options, then calls
// model.NewSnapshot.
func (s *Sampler) CaptureInput(window time.Duration) model.SnapshotInput {
	return model.SnapshotInput{
		Created:      time.Now(),
		System:       s.system,
		Interval:     s.opts.Interval,
		SlowInterval: s.opts.SlowInterval,
		GPUs:         s.Capture(window),
		Events:       s.Events(nil, math.MaxInt),
	}
}

func (g *GPU) slowLen() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.slowH.Len()
}

// lastWindow returns the samples (oldest first) no older than window before
// the newest one.
func lastWindow[T any](samples []T, window time.Duration, at func(T) model.Timestamp) []T {
	if window <= 0 || len(samples) == 0 {
		return samples
	}
	cutoff := at(samples[len(samples)-1]) - model.Timestamp(window)
	first := 0
	for first < len(samples) && at(samples[first]) < cutoff {
		first++
	}
	return samples[first:]
}

// Restore replaces every GPU's history, latest readings and health with
// recorded ones, and appends the recorded events: this is how a replayed
// snapshot becomes the same dashboard it was. Records are matched to GPUs
// by position. It must not be used while Run is polling.
//
// Replay restores rather than re-reads through Step because a live
// sampler's GPUs (and its two tiers) are read at slightly different
// instants: stepping all GPUs at each recorded time would give every GPU
// the union of all times.
func (s *Sampler) Restore(records []model.GPURecord, events []model.Event) error {
	if len(records) != len(s.gpus) {
		return fmt.Errorf("restore: %d recorded GPUs for %d sampled ones", len(records), len(s.gpus))
	}
	for i, rec := range records {
		g := s.gpus[i]
		g.mu.RLock()
		fastCap, slowCap := g.fast.Cap(), g.slowH.Cap()
		g.mu.RUnlock()
		if len(rec.Samples) > fastCap || len(rec.SlowSamples) > slowCap {
			return fmt.Errorf("restore: GPU %d has %d fast and %d slow samples; this sampler keeps %d and %d (open it with longer History)",
				i, len(rec.Samples), len(rec.SlowSamples), fastCap, slowCap)
		}
	}
	for i, rec := range records {
		g := s.gpus[i]
		fast := model.NewSampleRing(g.fast.Cap())
		for _, sample := range rec.Samples {
			fast.Push(sample)
		}
		slowH := model.NewRing[model.SlowSample](g.slowH.Cap())
		var latestSlow model.SlowSample
		for _, slow := range rec.SlowSamples {
			slow.Processes = slices.Clone(slow.Processes)
			slowH.Push(slow)
			latestSlow = slow
		}
		g.mu.Lock()
		g.fast, g.slowH, g.slow, g.health = fast, slowH, latestSlow, rec.Health
		g.mu.Unlock()
	}
	for _, ev := range events {
		s.Emit(ev)
	}
	return nil
}
