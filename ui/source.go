package ui

import "github.com/gputop/gputop/model"

// Source is what the UI reads: the live sampler in the program (adapted in
// cmd/gputop, so this package depends on model only), a fake in tests. Every method must return quickly (a mutex, never a driver call),
// because the UI reads it on its own goroutine when it builds a frame.
type Source interface {
	System() model.System
	GPUCount() int
	GPU(i int) GPUSource
	// Updates delivers a latest-wins notification when new data arrived.
	Updates() <-chan struct{}
	// Events appends up to n newest events (oldest first) to dst.
	Events(dst []model.Event, n int) []model.Event
	// EventCount changes whenever an event is added.
	EventCount() uint64
}

// GPUSource is one GPU of a Source.
type GPUSource interface {
	Info() model.GPUInfo
	Latest() (fast model.Sample, ok bool, slow model.SlowSample, health model.Health)
	// History appends the newest n fast samples, oldest first.
	History(dst []model.Sample, n int) []model.Sample
	// SlowHistory appends the newest n slow samples, oldest first.
	SlowHistory(dst []model.SlowSample, n int) []model.SlowSample
	Stats() model.SamplerStats
}

// nullSource is the Source of a session without GPUs (the no-GPU screen):
// no GPU, no event, no update ever, so nothing downstream checks for nil.
type nullSource struct{}

func (nullSource) System() model.System                          { return model.System{} }
func (nullSource) GPUCount() int                                 { return 0 }
func (nullSource) GPU(int) GPUSource                             { return nil }
func (nullSource) Updates() <-chan struct{}                      { return nil }
func (nullSource) Events(dst []model.Event, _ int) []model.Event { return dst }
func (nullSource) EventCount() uint64                            { return 0 }
