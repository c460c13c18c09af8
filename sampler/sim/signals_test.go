package sim_test

import (
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/sim"
)

// The demo presents each hardware signal: a GPU throttled 40 s of the last
// minute, an NVLink link down, a MIG GPU with instances, a recovery action
// pending.
func TestFleetPresentsEachSignal(t *testing.T) {
	f, infos := open(t, sim.Options{})
	at2m := 2 * time.Minute
	// GPU 1: power cap 40 s of 60.
	s1 := slow(t, f, 1, at2m).Signals
	if s1 == nil || s1.ThrottleWindowS != 60 {
		t.Fatalf("GPU 1 signals %+v", s1)
	}
	for _, c := range s1.Throttle {
		if c.Reason == "power" && (!c.Window.OK || c.Window.V != 40e9) {
			t.Errorf("GPU 1 power throttle %+v, want 40 s", c)
		}
	}
	// GPU 2: link 4 down of 12.
	s2 := slow(t, f, 2, at2m).Signals
	if a, n := s2.ActiveLinks(); a != 11 || n != 12 || s2.NVLinks[4].State != "inactive" {
		t.Errorf("GPU 2 links %d/%d", a, n)
	}
	// GPU 3: MIG with two instances.
	sl3 := slow(t, f, 3, at2m)
	if sl3.MIGCurrent.V != 1 || len(sl3.Signals.MIG) != 2 || !sl3.Signals.MIG[0].MemUsed.OK {
		t.Errorf("GPU 3 MIG %v %+v", sl3.MIGCurrent, sl3.Signals.MIG)
	}
	// GPU 7: reset pending.
	if s7 := slow(t, f, 7, at2m).Signals; s7.RecoveryAction != model.Some(model.RecoveryGPUReset) {
		t.Errorf("GPU 7 recovery %+v", s7.RecoveryAction)
	}
	// GPU 0 (training) peers GPU 1 and 7 over NVLink; the desktop card has none.
	s0 := slow(t, f, 0, at2m).Signals
	if len(s0.Peers) != 2 || s0.Peers[0].Topology != "NV18" {
		t.Errorf("GPU 0 peers %+v", s0.Peers)
	}
	if s4 := slow(t, f, 4, at2m).Signals; len(s4.NVLinks) != 0 || !s4.DecoderUtil.OK || infos[4].Name == "" {
		t.Errorf("GPU 4 (desktop) signals %+v", s4)
	}
	// The faults appear during the run, so the timeline shows them.
	if a, _ := slow(t, f, 2, 10*time.Second).Signals.ActiveLinks(); a != 12 {
		t.Errorf("GPU 2 at +10 s: %d links up, want 12 (the link goes down at +30 s)", a)
	}
	if r := slow(t, f, 7, 10*time.Second).Signals.RecoveryAction; r != model.Some(model.RecoveryNone) {
		t.Errorf("GPU 7 at +10 s: recovery %+v", r)
	}
	// Early on, the window is what has elapsed.
	if w := slow(t, f, 1, 20*time.Second).Signals.ThrottleWindowS; w != 20 {
		t.Errorf("window at 20 s = %v", w)
	}
}
