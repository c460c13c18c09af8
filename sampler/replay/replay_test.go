package replay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/replay"
)

var epoch = time.Date(2026, 11, 21, 7, 53, 0, 0, time.UTC)

// fakeBackend computes every reading from the GPU and the sample's time,
// so the same times always give the same history. Some fields are
// unavailable (null) on purpose, GPU 1 reports no power, and process lists
// alternate between unavailable, empty and present.
type fakeBackend struct{ gpus int }

func (f *fakeBackend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	infos := make([]model.GPUInfo, f.gpus)
	for i := range infos {
		infos[i] = model.GPUInfo{Index: i, Name: "NVIDIA A100-SXM4-80GB", UUID: fmt.Sprintf("GPU-%08d", i),
			BusID: fmt.Sprintf("00000000:%02X:00.0", i+7), MemoryTotal: model.Some[uint64](80 << 30),
			CCMajor: model.Some(8), CCMinor: model.Some(0), TempShutdown: model.Some[int32](92),
			NumFans: model.None[int]()}
	}
	return model.System{Host: "node7", DriverVersion: "570.172.08", NVMLVersion: "12.570.172.08",
		CUDADriverVersion: model.Some(12080), Source: "demo"}, infos, nil
}

func (f *fakeBackend) ReadFast(gpu int, s *model.Sample) error {
	k := uint64(s.Time.Sub(model.TimestampOf(epoch))/time.Millisecond) + uint64(gpu)*7919
	s.MemUsed.Set(k % (80 << 30))
	s.MemTotal.Set(80 << 30)
	s.UtilGPU.Set(uint32(k % 101))
	s.TempGPU.Set(int32(30 + k%50))
	if gpu != 1 {
		s.PowerDraw.Set(uint32(60000 + k%300000))
	}
	s.ClockSM.Set(uint32(1410 - k%500))
	s.ThrottleReasons.Set(k % 3 * model.ThrottleSWPowerCap)
	return nil
}

func (f *fakeBackend) ReadSlow(gpu int, s *model.SlowSample) error {
	k := uint64(s.Time.Sub(model.TimestampOf(epoch)) / time.Second)
	s.EnergyMilliJ.Set(k * 1000)
	s.PCIeGen.Set(4)
	s.ECCEnabled.Set(k%2 == 0)
	switch k % 3 {
	case 0: // unavailable: stays nil
	case 1:
		s.Processes = []model.Process{}
	case 2:
		s.Processes = []model.Process{{PID: uint32(1000 + k), GPUIndex: gpu, Kind: "compute",
			UsedMemory: model.Some[uint64](k << 20), Resolved: true, User: "bob", Name: "python",
			Command: "python train.py --epochs 3", CPUPercent: model.Some(12.5)}}
	}
	return nil
}

func (f *fakeBackend) Close() error { return nil }

// record steps a sampler over the fake backend through dur of virtual time.
func record(t *testing.T, gpus int, dur, interval time.Duration) *sampler.Sampler {
	t.Helper()
	s, err := sampler.Open(context.Background(), &fakeBackend{gpus: gpus},
		sampler.Options{Interval: interval, SlowInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	perSlow := int(time.Second / interval)
	for i := 0; i <= int(dur/interval); i++ {
		s.Step(epoch.Add(time.Duration(i)*interval), i%perSlow == 0)
	}
	return s
}

func history(g *sampler.GPU) ([]model.Sample, []model.SlowSample) {
	return g.History(nil, math.MaxInt), g.SlowHistory(nil, math.MaxInt)
}

// TestRoundTrip is the snapshot's promise: what a GPU box recorded, a
// laptop replays sample for sample.
func TestRoundTrip(t *testing.T) {
	orig := record(t, 3, 60*time.Second, 100*time.Millisecond)
	orig.Emit(model.Event{Time: model.TimestampOf(epoch.Add(5 * time.Second)), GPU: model.Some(2),
		Kind: model.EventXid, Severity: model.SevError, Message: "Xid 48: double bit ECC error", Xid: model.Some(48)})
	orig.Emit(model.Event{Time: model.TimestampOf(epoch.Add(6 * time.Second)), GPU: model.None[int](),
		Kind: model.EventInfo, Severity: model.SevInfo, Message: "checks rerun"})

	in := orig.CaptureInput(60 * time.Second)
	in.Version = "test"
	var file bytes.Buffer
	if err := model.NewSnapshot(in).WriteJSON(&file); err != nil {
		t.Fatal(err)
	}
	snap, err := model.DecodeSnapshot(&file, 0)
	if err != nil {
		t.Fatal(err)
	}

	b := replay.Load(snap)
	got, err := sampler.Open(context.Background(), b, replay.Options(snap))
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(got, snap); err != nil {
		t.Fatal(err)
	}

	wantSys := orig.System()
	wantSys.Source = replay.Source
	if got.System() != wantSys {
		t.Errorf("system %+v, want %+v", got.System(), wantSys)
	}
	if len(got.GPUs()) != len(orig.GPUs()) {
		t.Fatalf("%d GPUs replayed, %d recorded", len(got.GPUs()), len(orig.GPUs()))
	}
	for i, og := range orig.GPUs() {
		rg := got.GPUs()[i]
		if !reflect.DeepEqual(rg.Info, og.Info) {
			t.Errorf("GPU %d info %+v, want %+v", i, rg.Info, og.Info)
		}
		wantFast, wantSlow := history(og)
		gotFast, gotSlow := history(rg)
		if len(wantFast) != 601 || len(wantSlow) != 61 {
			t.Fatalf("recording has %d fast and %d slow samples, want 601 and 61", len(wantFast), len(wantSlow))
		}
		if !reflect.DeepEqual(gotFast, wantFast) {
			t.Errorf("GPU %d: fast history differs (%d vs %d samples)", i, len(gotFast), len(wantFast))
		}
		if !reflect.DeepEqual(gotSlow, wantSlow) {
			t.Errorf("GPU %d: slow history differs", i)
		}
		wf, wok, ws, wh := og.Latest()
		gf, gok, gs, gh := rg.Latest()
		if !reflect.DeepEqual([]any{gf, gok, gs, gh}, []any{wf, wok, ws, wh}) {
			t.Errorf("GPU %d: latest readings differ", i)
		}
	}
	if want, gotEv := orig.Events(nil, math.MaxInt), got.Events(nil, math.MaxInt); !reflect.DeepEqual(gotEv, want) {
		t.Errorf("events %+v, want %+v", gotEv, want)
	}

	start, end, step := replay.Range(snap)
	if !start.Equal(epoch) || !end.Equal(epoch.Add(60*time.Second)) || step != 100*time.Millisecond {
		t.Errorf("Range = %v, %v, %v", start, end, step)
	}
}

// Live samplers read each GPU, and each tier, at slightly different
// instants. Replay must keep those times, not merge them.
func TestFillKeepsPerGPUTimes(t *testing.T) {
	recs := make([]model.GPURecord, 2)
	for g := range recs {
		recs[g].GPUInfo = model.GPUInfo{Index: g, Name: "GPU"}
		recs[g].Health = model.Health{State: model.Healthy, Since: model.TimestampOf(epoch)}
		for i := range 50 {
			at := epoch.Add(time.Duration(i)*100*time.Millisecond + time.Duration(g*37+i%5)*time.Microsecond)
			recs[g].Samples = append(recs[g].Samples, model.Sample{Time: model.TimestampOf(at), UtilGPU: model.Some(uint32(i))})
			if i%10 == 3 {
				recs[g].SlowSamples = append(recs[g].SlowSamples,
					model.SlowSample{Time: model.TimestampOf(at.Add(time.Millisecond)), PCIeGen: model.Some(5)})
			}
		}
	}
	recs[1].Health = model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost", Since: recs[1].Samples[49].Time}
	snap := model.NewSnapshot(model.SnapshotInput{System: model.System{Host: "h", Source: "nvml"},
		Interval: 100 * time.Millisecond, SlowInterval: time.Second, GPUs: recs})

	s, err := sampler.Open(context.Background(), replay.Load(snap), replay.Options(snap))
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(s, snap); err != nil {
		t.Fatal(err)
	}
	for g, rec := range recs {
		fast, slow := history(s.GPUs()[g])
		if !reflect.DeepEqual(fast, rec.Samples) || !reflect.DeepEqual(slow, rec.SlowSamples) {
			t.Errorf("GPU %d: history differs from the recording", g)
		}
		if _, _, _, h := s.GPUs()[g].Latest(); h != rec.Health {
			t.Errorf("GPU %d: health %+v, want %+v", g, h, rec.Health)
		}
	}
}

func TestFillRefusesMismatch(t *testing.T) {
	orig := record(t, 2, 2*time.Second, 100*time.Millisecond)
	snap := model.NewSnapshot(orig.CaptureInput(0))

	other, err := sampler.Open(context.Background(), &fakeBackend{gpus: 3}, sampler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(other, snap); err == nil {
		t.Error("Fill into a sampler with 3 GPUs from a 2-GPU snapshot: no error")
	}

	// A sampler whose history is shorter than the recording cannot hold it
	// exactly; Fill says so instead of dropping samples.
	long := record(t, 2, 30*time.Second, 10*time.Millisecond)
	snap = model.NewSnapshot(long.CaptureInput(0))
	short, err := sampler.Open(context.Background(), replay.Load(snap),
		sampler.Options{Interval: 10 * time.Millisecond, History: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(short, snap); err == nil {
		t.Error("Fill into a 5 s history from a 30 s recording: no error")
	}
	// Options(snap) sizes it right.
	fits, err := sampler.Open(context.Background(), replay.Load(snap), replay.Options(snap))
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(fits, snap); err != nil {
		t.Errorf("Fill with Options(snap): %v", err)
	}
}

func TestBackendReadsAtOrBefore(t *testing.T) {
	at := func(ms int) model.Timestamp {
		return model.TimestampOf(epoch.Add(time.Duration(ms) * time.Millisecond))
	}
	snap := &model.Snapshot{
		System: model.System{Host: "h", Source: "nvml", DriverVersion: "1"},
		GPUs: []model.GPURecord{{
			GPUInfo: model.GPUInfo{Index: 0, Name: "G"},
			Samples: []model.Sample{
				{Time: at(0), UtilGPU: model.Some[uint32](10)},
				{Time: at(100), UtilGPU: model.Some[uint32](20)},
				{Time: at(200), UtilGPU: model.Some[uint32](30)},
			},
			SlowSamples: []model.SlowSample{{Time: at(0), Processes: []model.Process{{PID: 1}}}},
		}},
	}
	b := replay.Load(snap)
	sys, infos, err := b.Open(context.Background())
	if err != nil || sys.Source != replay.Source || sys.DriverVersion != "1" || len(infos) != 1 || infos[0].Name != "G" {
		t.Fatalf("Open = %+v, %+v, %v", sys, infos, err)
	}
	tests := []struct {
		ms       int
		wantUtil uint32
		wantErr  bool
	}{
		{-1, 0, true}, {0, 10, false}, {50, 10, false}, {99, 10, false}, {100, 20, false},
		{150, 20, false}, {200, 30, false}, {10_000, 30, false},
	}
	for _, tc := range tests {
		s := model.Sample{Time: at(tc.ms)}
		err := b.ReadFast(0, &s)
		var de *sampler.DeviceError
		if tc.wantErr {
			if !errors.As(err, &de) || de.Code != "NOT_RECORDED" {
				t.Errorf("t=%dms: err %v, want a NOT_RECORDED DeviceError", tc.ms, err)
			}
			continue
		}
		if err != nil || s.UtilGPU != model.Some(tc.wantUtil) || s.Time != at(tc.ms) {
			t.Errorf("t=%dms: util %+v time %v err %v, want %d at the asked time", tc.ms, s.UtilGPU, s.Time, err, tc.wantUtil)
		}
	}
	var slow model.SlowSample
	slow.Time = at(500)
	if err := b.ReadSlow(0, &slow); err != nil || len(slow.Processes) != 1 {
		t.Fatalf("ReadSlow = %+v, %v", slow, err)
	}
	slow.Processes[0].PID = 99
	if snap.GPUs[0].SlowSamples[0].Processes[0].PID != 1 {
		t.Error("ReadSlow hands out the snapshot's own process slice")
	}
	if err := b.ReadFast(3, &model.Sample{Time: at(0)}); err == nil {
		t.Error("ReadFast of a GPU the snapshot lacks: no error")
	}
	if _, _, err := replay.Load(&model.Snapshot{}).Open(context.Background()); err == nil {
		t.Error("Open of a snapshot without GPUs: no error")
	}
}

// A stepped replay sampler (the UI scrubbing through time) sees the
// recording through the backend.
func TestStepThroughReplay(t *testing.T) {
	orig := record(t, 2, 5*time.Second, 100*time.Millisecond)
	snap := model.NewSnapshot(orig.CaptureInput(0))
	s, err := sampler.Open(context.Background(), replay.Load(snap), replay.Options(snap))
	if err != nil {
		t.Fatal(err)
	}
	start, end, step := replay.Range(snap)
	for at := start; !at.After(end); at = at.Add(step) {
		s.Step(at, false)
	}
	for g := range orig.GPUs() {
		want, _ := history(orig.GPUs()[g])
		got, _ := history(s.GPUs()[g])
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GPU %d: stepped replay differs from the recording", g)
		}
	}
}

func TestRangeEstimatesStep(t *testing.T) {
	if start, end, step := replay.Range(&model.Snapshot{}); !start.IsZero() || !end.IsZero() || step != 0 {
		t.Errorf("empty snapshot: Range = %v %v %v", start, end, step)
	}
	orig := record(t, 1, 3*time.Second, 250*time.Millisecond)
	snap := model.NewSnapshot(orig.CaptureInput(0))
	snap.Interval = 0 // an older writer that did not record it
	if _, _, step := replay.Range(snap); step != 250*time.Millisecond {
		t.Errorf("estimated step %v, want 250ms", step)
	}
}

// A damaged file whose samples lie a century apart is still sized by its
// sample count.
func TestOptionsBoundedBySampleCount(t *testing.T) {
	snap := &model.Snapshot{Interval: model.Duration(10 * time.Millisecond), SlowInterval: model.Duration(10 * time.Millisecond),
		GPUs: []model.GPURecord{{
			Samples:     []model.Sample{{Time: model.TimestampOf(epoch)}, {Time: model.TimestampOf(epoch.AddDate(100, 0, 0))}},
			SlowSamples: []model.SlowSample{{Time: model.TimestampOf(epoch)}, {Time: model.TimestampOf(epoch.AddDate(100, 0, 0))}},
		}}}
	opts := replay.Options(snap)
	if opts.History > sampler.DefaultHistory {
		t.Errorf("history %v for 2 samples, want at most %v", opts.History, sampler.DefaultHistory)
	}
	s, err := sampler.Open(context.Background(), replay.Load(snap), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := replay.Fill(s, snap); err != nil {
		t.Fatal(err)
	}
	if fast, slow := history(s.GPUs()[0]); len(fast) != 2 || len(slow) != 2 {
		t.Errorf("replayed %d fast and %d slow samples, want 2 and 2", len(fast), len(slow))
	}
}
