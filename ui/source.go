package ui

import (
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// Source is what the UI reads: the live sampler in the program, a fake in
// tests. Every method must return quickly (a mutex, never a driver call),
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
	Stats() sampler.Stats
}

// FromSampler adapts a *sampler.Sampler. sampler.GPU exposes Info as a field,
// which an interface cannot ask for, hence the thin wrapper.
func FromSampler(s *sampler.Sampler) Source {
	gpus := make([]GPUSource, len(s.GPUs()))
	for i, g := range s.GPUs() {
		gpus[i] = samplerGPU{g}
	}
	return samplerSource{s: s, gpus: gpus}
}

type samplerSource struct {
	s    *sampler.Sampler
	gpus []GPUSource
}

func (a samplerSource) System() model.System     { return a.s.System() }
func (a samplerSource) GPUCount() int            { return len(a.gpus) }
func (a samplerSource) GPU(i int) GPUSource      { return a.gpus[i] }
func (a samplerSource) Updates() <-chan struct{} { return a.s.Updates() }
func (a samplerSource) EventCount() uint64       { return a.s.EventCount() }
func (a samplerSource) Events(dst []model.Event, n int) []model.Event {
	return a.s.Events(dst, n)
}

type samplerGPU struct{ g *sampler.GPU }

func (a samplerGPU) Info() model.GPUInfo { return a.g.Info }
func (a samplerGPU) Latest() (model.Sample, bool, model.SlowSample, model.Health) {
	return a.g.Latest()
}
func (a samplerGPU) History(dst []model.Sample, n int) []model.Sample { return a.g.History(dst, n) }
func (a samplerGPU) SlowHistory(dst []model.SlowSample, n int) []model.SlowSample {
	return a.g.SlowHistory(dst, n)
}
func (a samplerGPU) Stats() sampler.Stats { return a.g.Stats() }
