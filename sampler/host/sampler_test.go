package host

import (
	"context"
	"testing"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

// oneProcBackend reports one GPU with PID 900 on it.
type oneProcBackend struct{}

func (oneProcBackend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	return model.System{Source: "test"}, []model.GPUInfo{{Index: 0}}, nil
}
func (oneProcBackend) ReadFast(int, *model.Sample) error { return nil }
func (oneProcBackend) ReadSlow(_ int, s *model.SlowSample) error {
	s.Processes = []model.Process{{PID: 900, Kind: "compute", UsedMemory: model.Some[uint64](1 << 30)}}
	return nil
}
func (oneProcBackend) Close() error { return nil }

func TestResolverInSampler(t *testing.T) {
	tbl, clk := newFakeTable(), newFakeClock()
	tbl.set(900, fakeProc{create: 1, name: "python3", cmd: "python3 serve.py", uid: 1000, files: GPUFilesOpen})
	r := newTestResolver(t, tbl, clk)
	s, err := sampler.Open(context.Background(), oneProcBackend{}, sampler.Options{ResolveProcesses: r.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	s.Step(clk.Now(), true)
	_, _, slow, _ := s.GPUs()[0].Latest()
	if len(slow.Processes) != 1 || !slow.Processes[0].Resolved || slow.Processes[0].User != "alice" {
		t.Errorf("stored processes = %+v", slow.Processes)
	}
}
