package sim_test

import (
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/sim"
)

// The demo's MIG GPUs: the A100 says why its instances have no
// utilisation, the H100 shows one busy and one idle instance; the busy
// instance's process is listed with its instance.
func TestFleetMIGInstances(t *testing.T) {
	f, _ := open(t, sim.Options{})
	for _, at := range []time.Duration{5 * time.Second, 2 * time.Minute, 7 * time.Minute} {
		a100 := slow(t, f, 3, at)
		if a100.Signals.MIGUtilNote != model.MIGUtilNoGPM {
			t.Errorf("GPU 3 at %v: note %q", at, a100.Signals.MIGUtilNote)
		}
		for _, m := range a100.Signals.MIG {
			if m.UtilGPU.OK || m.SMUtil.OK {
				t.Errorf("GPU 3 (A100) instance %d has utilisation %+v: an A100 has no GPM", m.Index, m)
			}
		}
		h100 := slow(t, f, 7, at)
		sg := h100.Signals
		if h100.MIGCurrent != model.Some(1) || len(sg.MIG) != 2 || sg.MIGUtilNote != "" {
			t.Fatalf("GPU 7 at %v: MIG %+v note %q", at, sg.MIG, sg.MIGUtilNote)
		}
		busy, idle := sg.MIG[0], sg.MIG[1]
		if !busy.UtilGPU.OK || busy.UtilGPU.V < 70 || busy.UtilGPU.V > 100 || !busy.SMUtil.OK || busy.SMUtil.V >= busy.UtilGPU.V {
			t.Errorf("GPU 7 at %v: busy instance %+v %+v", at, busy.UtilGPU, busy.SMUtil)
		}
		if idle.UtilGPU != model.Some[uint32](0) || idle.SMUtil != model.Some[uint32](0) {
			t.Errorf("GPU 7 at %v: idle instance %+v %+v", at, idle.UtilGPU, idle.SMUtil)
		}
		for _, s := range []model.SlowSample{a100, h100} {
			if len(s.Processes) != 1 {
				t.Fatalf("at %v: processes %+v", at, s.Processes)
			}
			p, m := s.Processes[0], s.Signals.MIG[0]
			if p.GI != m.GI || p.CI != m.CI || len(m.PIDs) != 1 || m.PIDs[0] != p.PID || p.SMUtil.OK {
				t.Errorf("at %v: process %+v not in instance %+v", at, p, m)
			}
			if !p.UsedMemory.OK || !m.MemUsed.OK || p.UsedMemory.V > m.MemUsed.V || m.MemUsed.V > m.MemTotal.V {
				t.Errorf("at %v: process memory %+v, instance %+v of %+v", at, p.UsedMemory, m.MemUsed, m.MemTotal)
			}
		}
	}
	// A GPU without MIG lists no instances.
	if s := slow(t, f, 1, time.Minute); len(s.Signals.MIG) != 0 || s.Signals.MIGUtilNote != "" {
		t.Errorf("GPU 1 MIG %+v", s.Signals.MIG)
	}
}
