// Package replay turns a loaded snapshot back into a sampler.Backend, so the
// dashboard and the checklist open on a machine without a GPU exactly as they
// were on the machine that recorded them.
//
// Typical use:
//
//	snap, err := model.LoadSnapshot(path)
//	b := replay.Load(snap)
//	s, err := sampler.Open(ctx, b, replay.Options(snap))
//	err = replay.Fill(s, snap) // the history rings now hold the recording
//
// The UI then reads s like a live sampler; Run is not needed (it would keep
// repeating the last recorded sample).
package replay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// Source is what a replaying backend reports as model.System.Source.
const Source = "replay"

// Backend answers readings from a snapshot: the recorded sample of a GPU
// whose time is closest at or before the time the sampler stamped on the
// request. It is safe for concurrent use (it never changes after Load).
type Backend struct {
	system model.System
	infos  []model.GPUInfo
	fast   [][]model.Sample
	slow   [][]model.SlowSample
}

var _ sampler.Backend = (*Backend)(nil)

// Load builds a backend over snap. It keeps references to the snapshot's
// samples, which must not be modified afterwards.
func Load(snap *model.Snapshot) *Backend {
	b := &Backend{system: snap.System}
	b.system.Source = Source
	for _, g := range snap.GPUs {
		b.infos = append(b.infos, g.GPUInfo)
		b.fast = append(b.fast, g.Samples)
		b.slow = append(b.slow, g.SlowSamples)
	}
	return b
}

// Open returns the recorded system (Source "replay") and GPUs.
func (b *Backend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	if len(b.infos) == 0 {
		return model.System{}, nil, &sampler.OpenError{Code: "NO_DEVICES",
			Message: "the snapshot records no GPU", Hint: "it was taken on a machine where gputop saw no GPU; its checks still apply"}
	}
	return b.system, slices.Clone(b.infos), nil
}

// ReadFast fills s with the recorded fast sample at or before s.Time,
// keeping the time the sampler asked for.
func (b *Backend) ReadFast(gpu int, s *model.Sample) error {
	if gpu < 0 || gpu >= len(b.fast) {
		return noGPU(gpu)
	}
	i, err := atOrBefore(gpu, b.fast[gpu], s.Time, func(x model.Sample) model.Timestamp { return x.Time })
	if err != nil {
		return err
	}
	at := s.Time
	*s = b.fast[gpu][i]
	s.Time = at
	return nil
}

// ReadSlow fills s with the recorded slow sample at or before s.Time. The
// process list is copied, so a sampler's ResolveProcesses cannot alter the
// snapshot (leave ResolveProcesses unset when replaying: the PIDs are not
// this machine's).
func (b *Backend) ReadSlow(gpu int, s *model.SlowSample) error {
	if gpu < 0 || gpu >= len(b.slow) {
		return noGPU(gpu)
	}
	i, err := atOrBefore(gpu, b.slow[gpu], s.Time, func(x model.SlowSample) model.Timestamp { return x.Time })
	if err != nil {
		return err
	}
	at := s.Time
	*s = b.slow[gpu][i]
	s.Time = at
	s.Processes = slices.Clone(s.Processes)
	return nil
}

// Close releases nothing; a replay holds no device.
func (b *Backend) Close() error { return nil }

var errNotRecorded = errors.New("no recorded sample at or before this time")

func noGPU(gpu int) error {
	return &sampler.DeviceError{GPU: gpu, Code: "NOT_RECORDED", State: model.Failed,
		Err: errors.New("the snapshot has no such GPU")}
}

func atOrBefore[T any](gpu int, samples []T, t model.Timestamp, at func(T) model.Timestamp) (int, error) {
	// Index of the first sample after t; the one before it is the answer.
	i := sort.Search(len(samples), func(i int) bool { return at(samples[i]) > t })
	if i == 0 {
		return 0, &sampler.DeviceError{GPU: gpu, Code: "NOT_RECORDED", State: model.Stale, Err: errNotRecorded}
	}
	return i - 1, nil
}

// Options returns sampler options whose history holds the whole recording
// at its recorded intervals, so Fill loses nothing. The history is sized by
// sample count, not by the recorded time span: a damaged file with samples
// a century apart must not make the sampler allocate a century of rings.
func Options(snap *model.Snapshot) sampler.Options {
	_, _, step := Range(snap)
	opts := sampler.Options{
		Interval:     time.Duration(snap.Interval),
		SlowInterval: time.Duration(snap.SlowInterval),
	}
	if opts.Interval <= 0 {
		opts.Interval = step
	}
	opts.Interval = max(opts.Interval, sampler.MinInterval)
	if opts.SlowInterval < opts.Interval {
		opts.SlowInterval = max(sampler.DefaultSlow, opts.Interval)
	}
	opts.History = sampler.DefaultHistory
	for _, g := range snap.GPUs {
		opts.History = max(opts.History,
			time.Duration(len(g.Samples))*opts.Interval,
			time.Duration(len(g.SlowSamples))*opts.SlowInterval)
	}
	return opts
}

// Fill makes s hold exactly the recording: every GPU's fast and slow
// history, its latest readings and health, and the event timeline. s must
// have been opened on Load(snap) (or on a backend with the same GPUs) with
// Options(snap) or a longer History, and must not be running.
func Fill(s *sampler.Sampler, snap *model.Snapshot) error {
	if err := s.Restore(snap.GPUs, snap.Events); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// Range is the recorded span, for time scrubbing: the earliest and latest
// fast sample of any GPU, and the recording's fast interval (estimated from
// the samples when the snapshot does not say). All zero when nothing was
// recorded.
func Range(snap *model.Snapshot) (start, end time.Time, step time.Duration) {
	var first, last model.Timestamp
	for _, g := range snap.GPUs {
		if len(g.Samples) == 0 {
			continue
		}
		a, z := g.Samples[0].Time, g.Samples[len(g.Samples)-1].Time
		if first == 0 || a < first {
			first = a
		}
		if z > last {
			last = z
		}
	}
	if first == 0 {
		return time.Time{}, time.Time{}, 0
	}
	step = time.Duration(snap.Interval)
	if step <= 0 {
		step = medianStep(snap)
	}
	return first.Time(), last.Time(), step
}

// medianStep estimates the interval of a snapshot that does not record it,
// from the GPU with the most samples. The median ignores the odd late tick.
func medianStep(snap *model.Snapshot) time.Duration {
	var samples []model.Sample
	for _, g := range snap.GPUs {
		if len(g.Samples) > len(samples) {
			samples = g.Samples
		}
	}
	if len(samples) < 2 {
		return 0
	}
	gaps := make([]time.Duration, 0, len(samples)-1)
	for i := 1; i < len(samples); i++ {
		gaps = append(gaps, samples[i].Time.Sub(samples[i-1].Time))
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2]
}
