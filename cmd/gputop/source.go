package main

import (
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/ui"
)

// samplerSource adapts a *sampler.Sampler to ui.Source: the wiring lives
// here so that the ui package depends on model only. sampler.GPU exposes
// Info as a field, which an interface cannot ask for, hence the wrapper.
type samplerSource struct {
	s    *sampler.Sampler
	gpus []ui.GPUSource
}

func fromSampler(s *sampler.Sampler) ui.Source {
	gpus := make([]ui.GPUSource, len(s.GPUs()))
	for i, g := range s.GPUs() {
		gpus[i] = samplerGPU{g}
	}
	return samplerSource{s: s, gpus: gpus}
}

func (a samplerSource) System() model.System     { return a.s.System() }
func (a samplerSource) GPUCount() int            { return len(a.gpus) }
func (a samplerSource) GPU(i int) ui.GPUSource   { return a.gpus[i] }
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
func (a samplerGPU) Stats() model.SamplerStats { return a.g.Stats() }

// HistoryCap sizes the UI's history mirror to what the sampler keeps.
func (a samplerGPU) HistoryCap() int { return a.g.HistoryCap() }
