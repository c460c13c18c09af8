package ui

import (
	"testing"
	"time"
)

// cappedGPU is a source that keeps cap samples, as the sampler says it does.
type cappedGPU struct {
	GPUSource
	cap int
}

func (c cappedGPU) HistoryCap() int { return c.cap }

type cappedSource struct {
	*fakeSource
	gpu GPUSource
}

func (c cappedSource) GPU(int) GPUSource { return c.gpu }

// The mirror holds what the source keeps (121 samples: 120 s at 1 s), not
// 12,000 points whatever the interval; the newest samples are the ones kept.
func TestHistoryMirrorsOnlyWhatTheSourceKeeps(t *testing.T) {
	src := newFakeSource(1)
	src.fill(500, t0, time.Second)
	gpu := cappedGPU{GPUSource: src.GPU(0), cap: 121}
	f := newFrame(cappedSource{src, gpu})
	h := f.GPUs[0].hist
	if h.ring.Cap() != 121 {
		t.Fatalf("mirror capacity %d, want the source's 121", h.ring.Cap())
	}
	h.sync(gpu)
	all := src.GPU(0).History(nil, 500)
	if h.len() != 121 || h.at(120).T != all[499].Time || h.at(0).T != all[379].Time {
		t.Errorf("mirror holds %d points from %v to %v, want the newest 121", h.len(), h.at(0).T, h.at(h.len()-1).T)
	}
	if historyCapOf(src.GPU(0)) != historyCapacity {
		t.Errorf("a source that does not say keeps %d, want %d", historyCapOf(src.GPU(0)), historyCapacity)
	}
}
