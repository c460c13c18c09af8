package nvmlbackend

import (
	"context"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// The backend under the real Sampler: a lost GPU shows as lost on its own
// pane while the others keep their readings.
func TestUnderSamplerStep(t *testing.T) {
	srv, devs := newFleet(t)
	devs[6].GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	devs[6].GetPcieThroughputFunc = func(nvml.PcieUtilCounter) (uint32, nvml.Return) { return 0, nvml.ERROR_GPU_IS_LOST }
	b := New(srv, Options{})
	s, err := sampler.Open(t.Context(), b, sampler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s.Step(time.Unix(1_700_000_000, 0), true)
	for _, g := range s.GPUs() {
		fast, ok, slow, health := g.Latest()
		if g.Info.Index == 6 {
			if health.State != model.Lost || ok {
				t.Errorf("GPU 6: health %+v, sample stored %v", health, ok)
			}
			continue
		}
		if !ok || health.State != model.Healthy || fast.PowerDraw != model.Some(fixPower+uint32(g.Info.Index)) {
			t.Errorf("GPU %d: ok %v health %+v power %v", g.Info.Index, ok, health, fast.PowerDraw)
		}
		if slow.PCIeTxKBps != model.Some(fixPcieTX+uint32(g.Info.Index)) {
			t.Errorf("GPU %d slow: %+v", g.Info.Index, slow)
		}
	}
}

// Run polls, delivers an Xid through Events, and stops when its context
// ends.
func TestUnderSamplerRun(t *testing.T) {
	srv, devs := newFleet(t)
	es := newEventScript()
	srv.EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return es.set, nvml.SUCCESS }
	b := New(srv, Options{EventTimeout: testEventTimeout})
	s, err := sampler.Open(t.Context(), b, sampler.Options{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	es.answers <- waitAnswer{nvml.EventData{Device: devs[2], EventType: nvml.EventTypeXidCriticalError, EventData: 31}, nvml.SUCCESS}
	for {
		<-s.Updates()
		evs := s.Events(nil, 100)
		var xid *model.Event
		for i := range evs {
			if evs[i].Kind == model.EventXid {
				xid = &evs[i]
			}
		}
		if xid != nil && s.GPUs()[7].HistoryLen() >= 2 {
			if xid.GPU != model.Some(2) || xid.Xid != model.Some(31) {
				t.Errorf("xid event %+v", *xid)
			}
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
