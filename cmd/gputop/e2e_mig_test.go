package main

import (
	"os"
	"testing"

	"github.com/gputop/gputop/model"
)

// TestE2EStandinMIGSnapshot: the real binary over the stand-in NVML whose
// GPU 0 is a MIG GPU without GPM records the instances in its snapshot,
// with the note that says why they carry no utilisation (and none made
// up).
func TestE2EStandinMIGSnapshot(t *testing.T) {
	t.Parallel() // waits on tmux and timers, not the CPU (Makefile, test)
	lib := buildStandin(t)
	bin := gputopBinary(t)
	snap, _ := standinSnapshot(t, bin, append(os.Environ(), "LD_LIBRARY_PATH="+lib, "GPUTOP_STANDIN_GPUS=2", "GPUTOP_STANDIN_MIG=1", "GPUTOP_STANDIN_GPM=0"))
	var sg *model.Signals
	for _, s := range snap.GPUs[0].SlowSamples {
		if s.Signals != nil && len(s.Signals.MIG) > 0 {
			sg = s.Signals
		}
	}
	if sg == nil {
		t.Fatal("no MIG instances recorded for GPU 0")
	}
	if len(sg.MIG) != 2 || sg.MIG[0].GI != model.Some(1) || sg.MIG[1].GI != model.Some(2) || sg.MIGUtilNote != model.MIGUtilNoGPM {
		t.Errorf("MIG %+v note %q", sg.MIG, sg.MIGUtilNote)
	}
	for _, m := range sg.MIG {
		if m.UtilGPU.OK || m.SMUtil.OK {
			t.Errorf("instance %d has utilisation without GPM: %+v", m.Index, m)
		}
	}
	for _, s := range snap.GPUs[1].SlowSamples {
		if s.Signals != nil && len(s.Signals.MIG) > 0 {
			t.Errorf("GPU 1 (no MIG) has instances %+v", s.Signals.MIG)
		}
	}
}
