package nvmlbackend

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler/nvmlbackend/standin"
)

// The live path of the MIG readings: real go-nvml (cgo, dlopen) against the
// stand-in library (standin/testdata/nvml.c), whose GPU 0 is a MIG GPU with
// two instances, with or without GPM. It checks the C structures go-nvml
// passes (GPM samples, the metrics request, process entries with their
// instance ids) and that every GPM sample is freed by Close.
func TestStandinMIG(t *testing.T) {
	if ok, _ := libraryLoadable(); ok {
		t.Skip("a real libnvidia-ml.so.1 is loadable: the stand-in would share its symbols")
	}
	dir := standin.BuildForTest(t)
	for _, gpm := range []bool{true, false} {
		name := "GPM"
		if !gpm {
			name = "no GPM"
		}
		t.Run(name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "standin.log")
			t.Setenv("GPUTOP_STANDIN_GPUS", "2")
			t.Setenv("GPUTOP_STANDIN_MIG", "1")
			t.Setenv("GPUTOP_STANDIN_PIDS", "4242")
			t.Setenv("GPUTOP_STANDIN_LOG", log)
			t.Setenv("GPUTOP_STANDIN_GPM", map[bool]string{true: "1", false: "0"}[gpm])
			b := New(nvml.New(nvml.WithLibraryPath(filepath.Join(dir, standin.Library))), Options{RareEvery: 1, MediumEvery: 1, EnergyEvery: 1000})
			if _, _, err := b.Open(context.Background()); err != nil {
				t.Fatalf("Open: %v", err)
			}
			read := func() model.SlowSample {
				t.Helper()
				var s model.SlowSample
				if err := b.ReadSlow(0, &s); err != nil {
					t.Fatalf("ReadSlow: %v", err)
				}
				return s
			}
			first := read()
			time.Sleep(150 * time.Millisecond) // NVML wants GPM samples 100 ms apart
			s := read()
			var f model.Sample
			if err := b.ReadFast(0, &f); err != nil {
				t.Fatalf("ReadFast: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			if s.MIGCurrent != model.Some(1) || s.Signals == nil || len(s.Signals.MIG) != 2 {
				t.Fatalf("MIG %+v signals %+v", s.MIGCurrent, s.Signals)
			}
			if f.UtilGPU.OK {
				t.Errorf("whole-GPU utilisation %+v on a MIG GPU (the stand-in says NOT_SUPPORTED)", f.UtilGPU)
			}
			m0, m1 := s.Signals.MIG[0], s.Signals.MIG[1]
			if m0.GI != model.Some(1) || m1.GI != model.Some(2) || m0.CI != model.Some(0) ||
				m0.Name != "Stand-in GPU MIG 3g.40gb" || m0.MemUsed != model.Some[uint64](12<<30) || len(m0.PIDs) != 1 || m0.PIDs[0] != 4242 {
				t.Errorf("instances %+v", s.Signals.MIG)
			}
			for _, m := range first.Signals.MIG {
				if m.UtilGPU.OK || m.SMUtil.OK {
					t.Errorf("first reading has utilisation %+v: it needs two samples", m)
				}
			}
			if gpm {
				if m0.UtilGPU != model.Some[uint32](75) || m0.SMUtil != model.Some[uint32](50) ||
					m1.UtilGPU != model.Some[uint32](0) || m1.SMUtil != model.Some[uint32](0) || s.Signals.MIGUtilNote != "" {
					t.Errorf("GPM utilisation %+v %+v / %+v %+v, note %q", m0.UtilGPU, m0.SMUtil, m1.UtilGPU, m1.SMUtil, s.Signals.MIGUtilNote)
				}
			} else if m0.UtilGPU.OK || m1.SMUtil.OK || s.Signals.MIGUtilNote != model.MIGUtilNoGPM {
				t.Errorf("without GPM: %+v %+v, note %q", m0.UtilGPU, m1.SMUtil, s.Signals.MIGUtilNote)
			}
			if len(s.Processes) != 1 || s.Processes[0].PID != 4242 || s.Processes[0].GI != model.Some(1) || s.Processes[0].CI != model.Some(0) {
				t.Errorf("processes %+v", s.Processes)
			}
			out, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != "gpm_samples_live 0" {
				t.Errorf("stand-in at shutdown: %q, want every GPM sample freed", got)
			}
		})
	}
}
