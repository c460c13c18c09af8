package nvmlbackend

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/gputop/gputop/model"
)

// fakeMIG is one MIG device of the fixture.
type fakeMIG struct {
	gi, ci int
	uuid   string // "MIG-<gi>" when empty
	procs  []nvml.ProcessInfo
}

// gpmFix is what the mock answers for MIG and GPM; tests change it between
// readings.
type gpmFix struct {
	instances []fakeMIG
	// support: GpmQueryDeviceSupport's answer and whether the device is
	// supported.
	support   nvml.Return
	supported bool
	// sampleRet: GpmMigSampleGet's answer per GPU instance (SUCCESS when
	// absent).
	sampleRet map[int]nvml.Return
	// util, sm: the metrics per GPU instance; metricRet the per-metric
	// answer, metricsRet the call's.
	util, sm   map[int]float64
	metricRet  nvml.Return
	metricsRet nvml.Return
	allocRet   nvml.Return

	// What happened.
	samplesOf map[*mock.GpmSample]int // GPU instance last read into a buffer
	live      map[*mock.GpmSample]bool
	allocs    int
	frees     int
	reads     map[int]int // GpmMigSampleGet calls per GPU instance
	metrics   int
	pairs     [][2]int // the GPU instances of each metrics call's samples
}

func newGPMFix() *gpmFix {
	return &gpmFix{
		instances: []fakeMIG{
			{gi: 1, ci: 0, procs: []nvml.ProcessInfo{{Pid: 31337, UsedGpuMemory: 5 << 30, GpuInstanceId: 1, ComputeInstanceId: 0}}},
			{gi: 2, ci: 0},
		},
		supported: true,
		sampleRet: map[int]nvml.Return{},
		util:      map[int]float64{1: 87.4, 2: 0},
		sm:        map[int]float64{1: 61.6, 2: 0},
		samplesOf: map[*mock.GpmSample]int{},
		live:      map[*mock.GpmSample]bool{},
		reads:     map[int]int{},
	}
}

// installGPM makes GPU 0 of the mock a MIG GPU with fx's instances and GPM.
func installGPM(srv *server.Server, d *server.Device, fx *gpmFix) {
	d.GetMigModeFunc = func() (int, int, nvml.Return) { return 1, 1, nvml.SUCCESS }
	d.GetMigDeviceHandleByIndexFunc = func(idx int) (nvml.Device, nvml.Return) {
		if idx >= len(fx.instances) {
			return nil, nvml.ERROR_NOT_FOUND
		}
		in := fx.instances[idx]
		return &mock.Device{
			GetGpuInstanceIdFunc:     func() (int, nvml.Return) { return in.gi, nvml.SUCCESS },
			GetComputeInstanceIdFunc: func() (int, nvml.Return) { return in.ci, nvml.SUCCESS },
			GetNameFunc:              func() (string, nvml.Return) { return "NVIDIA H100 80GB HBM3 MIG 3g.40gb", nvml.SUCCESS },
			GetUUIDFunc: func() (string, nvml.Return) {
				if in.uuid != "" {
					return in.uuid, nvml.SUCCESS
				}
				return fmt.Sprintf("MIG-%d", in.gi), nvml.SUCCESS
			},
			GetMemoryInfoFunc: func() (nvml.Memory, nvml.Return) {
				return nvml.Memory{Total: 40 << 30, Used: 1 << 30}, nvml.SUCCESS
			},
			GetComputeRunningProcessesFunc: func() ([]nvml.ProcessInfo, nvml.Return) { return in.procs, nvml.SUCCESS },
		}, nvml.SUCCESS
	}
	d.GpmQueryDeviceSupportFunc = func() (nvml.GpmSupport, nvml.Return) {
		var s nvml.GpmSupport
		if fx.supported {
			s.IsSupportedDevice = 1
		}
		return s, fx.support
	}
	d.GpmMigSampleGetFunc = func(gi int, smp nvml.GpmSample) nvml.Return {
		fx.reads[gi]++
		if r, ok := fx.sampleRet[gi]; ok && r != nvml.SUCCESS {
			return r
		}
		fx.samplesOf[smp.(*mock.GpmSample)] = gi
		return nvml.SUCCESS
	}
	srv.GpmSampleAllocFunc = func() (nvml.GpmSample, nvml.Return) {
		if fx.allocRet != nvml.SUCCESS {
			return nil, fx.allocRet
		}
		fx.allocs++
		s := &mock.GpmSample{}
		fx.live[s] = true
		return s, nvml.SUCCESS
	}
	srv.GpmSampleFreeFunc = func(s nvml.GpmSample) nvml.Return {
		m := s.(*mock.GpmSample)
		if !fx.live[m] {
			panic("GPM sample freed twice or never allocated")
		}
		delete(fx.live, m)
		fx.frees++
		return nvml.SUCCESS
	}
	srv.GpmMetricsGetFunc = func(r *nvml.GpmMetricsGetType) nvml.Return {
		fx.metrics++
		g1, g2 := fx.samplesOf[r.Sample1.(*mock.GpmSample)], fx.samplesOf[r.Sample2.(*mock.GpmSample)]
		fx.pairs = append(fx.pairs, [2]int{g1, g2})
		if fx.metricsRet != nvml.SUCCESS {
			return fx.metricsRet
		}
		for i := range r.NumMetrics {
			m := &r.Metrics[i]
			m.NvmlReturn = uint32(fx.metricRet)
			switch nvml.GpmMetricId(m.MetricId) {
			case nvml.GPM_METRIC_GRAPHICS_UTIL:
				m.Value = fx.util[g2]
			case nvml.GPM_METRIC_SM_UTIL:
				m.Value = fx.sm[g2]
			default:
				m.NvmlReturn = uint32(nvml.ERROR_INVALID_ARGUMENT)
			}
		}
		return nvml.SUCCESS
	}
}

// migBackend opens the mock fleet with every tier on every reading, GPU 0 a
// MIG GPU, and a fake clock.
func migBackend(t *testing.T, fx *gpmFix) (*Backend, *fakeClock, *server.Server, []*server.Device) {
	t.Helper()
	b, srv, devs, _ := openFleet(t, Options{RareEvery: 1, MediumEvery: 1, EnergyEvery: 1000})
	installGPM(srv, devs[0], fx)
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	b.devices[0].sig.clock = clk.now
	return b, clk, srv, devs
}

func readMIG(t *testing.T, b *Backend) (*model.Signals, model.SlowSample) {
	t.Helper()
	var s model.SlowSample
	if err := b.ReadSlow(0, &s); err != nil {
		t.Fatalf("ReadSlow: %v", err)
	}
	if s.Signals == nil {
		t.Fatal("no signals")
	}
	return s.Signals, s
}

func wantUtil(t *testing.T, what string, m model.MIGInstance, util, sm model.Opt[uint32]) {
	t.Helper()
	if m.UtilGPU != util || m.SMUtil != sm {
		t.Errorf("%s: GI %v util %+v sm %+v, want %+v %+v", what, m.GI, m.UtilGPU, m.SMUtil, util, sm)
	}
}

func TestMIGUtilFromGPM(t *testing.T) {
	fx := newGPMFix()
	b, clk, _, _ := migBackend(t, fx)

	sg, _ := readMIG(t, b)
	if len(sg.MIG) != 2 {
		t.Fatalf("MIG %+v", sg.MIG)
	}
	// The first reading has no previous sample: unavailable, not 0.
	for _, m := range sg.MIG {
		wantUtil(t, "first reading", m, model.Opt[uint32]{}, model.Opt[uint32]{})
	}
	if sg.MIGUtilNote != "" || fx.metrics != 0 || fx.reads[1] != 1 || fx.reads[2] != 1 {
		t.Errorf("first reading: note %q, %d metrics calls, reads %v", sg.MIGUtilNote, fx.metrics, fx.reads)
	}

	clk.t = clk.t.Add(10 * time.Second)
	sg, _ = readMIG(t, b)
	wantUtil(t, "busy instance", sg.MIG[0], model.Some[uint32](87), model.Some[uint32](62))
	wantUtil(t, "idle instance", sg.MIG[1], model.Some[uint32](0), model.Some[uint32](0))
	// Each metrics call pairs two samples of the same GPU instance.
	for _, p := range fx.pairs {
		if p[0] != p[1] {
			t.Errorf("metrics asked between GI %d and GI %d samples", p[0], p[1])
		}
	}
	if fx.allocs != 4 || fx.frees != 0 || fx.metrics != 2 {
		t.Errorf("allocs %d frees %d metrics %d, want 4 0 2", fx.allocs, fx.frees, fx.metrics)
	}
	// The support query is asked once.
	if n := len(b.devices[0].handle.(*server.Device).GpmQueryDeviceSupportCalls()); n != 1 {
		t.Errorf("GpmQueryDeviceSupport asked %d times", n)
	}

	// Too soon after the last sample (NVML needs 100 ms): no sample, no
	// value, and the older sample is kept for the next span.
	clk.t = clk.t.Add(50 * time.Millisecond)
	sg, _ = readMIG(t, b)
	wantUtil(t, "50 ms later", sg.MIG[0], model.Opt[uint32]{}, model.Opt[uint32]{})
	if fx.reads[1] != 2 {
		t.Errorf("GI 1 sampled %d times, want 2 (not 50 ms after the last)", fx.reads[1])
	}
	clk.t = clk.t.Add(time.Second)
	sg, _ = readMIG(t, b)
	wantUtil(t, "a second later", sg.MIG[0], model.Some[uint32](87), model.Some[uint32](62))

	// Close frees every buffer once.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if fx.frees != fx.allocs || len(fx.live) != 0 {
		t.Errorf("after Close: %d allocated, %d freed, %d live", fx.allocs, fx.frees, len(fx.live))
	}
}

func TestMIGUtilUnsupported(t *testing.T) {
	cases := []struct {
		name      string
		support   nvml.Return
		supported bool
		note      string
	}{
		{"pre-Hopper: not a GPM device", nvml.SUCCESS, false, gpmNoteUnsupported},
		{"query not supported", nvml.ERROR_NOT_SUPPORTED, false, gpmNoteUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newGPMFix()
			fx.support, fx.supported = c.support, c.supported
			b, clk, srv, devs := migBackend(t, fx)
			for range 3 {
				sg, _ := readMIG(t, b)
				clk.t = clk.t.Add(10 * time.Second)
				if sg.MIGUtilNote != c.note {
					t.Errorf("note %q, want %q", sg.MIGUtilNote, c.note)
				}
				for _, m := range sg.MIG {
					wantUtil(t, "unsupported", m, model.Opt[uint32]{}, model.Opt[uint32]{})
				}
			}
			if fx.allocs != 0 || len(devs[0].GpmMigSampleGetCalls()) != 0 || len(srv.GpmMetricsGetCalls()) != 0 {
				t.Errorf("GPM used on a GPU without it: %d allocs, %d samples", fx.allocs, len(devs[0].GpmMigSampleGetCalls()))
			}
			if n := len(devs[0].GpmQueryDeviceSupportCalls()); n != 1 {
				t.Errorf("support asked %d times, want once", n)
			}
		})
	}
}

// A library without the GPM symbols is never asked (calling a missing
// symbol would crash the process).
func TestMIGUtilLibraryWithoutGPM(t *testing.T) {
	srv, devs := newFleet(t)
	srv.LookupSymbolFunc = func(name string) error {
		if name == "nvmlGpmMigSampleGet" {
			return errors.New("undefined symbol " + name)
		}
		return nil
	}
	b := New(srv, Options{RareEvery: 1, MediumEvery: 1, EnergyEvery: 1000})
	if _, _, err := b.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fx := newGPMFix()
	installGPM(srv, devs[0], fx)
	sg, _ := readMIG(t, b)
	if sg.MIGUtilNote != gpmNoteNoLibrary {
		t.Errorf("note %q", sg.MIGUtilNote)
	}
	if len(devs[0].GpmQueryDeviceSupportCalls()) != 0 || len(devs[0].GpmMigSampleGetCalls()) != 0 || fx.allocs != 0 {
		t.Error("GPM called without its symbols")
	}
}

func TestMIGUtilInstanceGoneAndBack(t *testing.T) {
	fx := newGPMFix()
	b, clk, _, _ := migBackend(t, fx)
	readMIG(t, b)
	clk.t = clk.t.Add(10 * time.Second)
	readMIG(t, b)
	all := fx.instances
	fx.instances = all[:1] // GI 2 destroyed
	clk.t = clk.t.Add(10 * time.Second)
	sg, _ := readMIG(t, b)
	if len(sg.MIG) != 1 {
		t.Fatalf("MIG %+v", sg.MIG)
	}
	wantUtil(t, "remaining instance", sg.MIG[0], model.Some[uint32](87), model.Some[uint32](62))
	if fx.frees != 2 || len(fx.live) != 2 {
		t.Errorf("GI 2's buffers not freed: %d frees, %d live", fx.frees, len(fx.live))
	}
	// Created again: a new span starts, so no value on its first reading.
	fx.instances = all
	clk.t = clk.t.Add(10 * time.Second)
	sg, _ = readMIG(t, b)
	wantUtil(t, "re-created GI 2", sg.MIG[1], model.Opt[uint32]{}, model.Opt[uint32]{})
	clk.t = clk.t.Add(10 * time.Second)
	sg, _ = readMIG(t, b)
	wantUtil(t, "re-created GI 2 later", sg.MIG[1], model.Some[uint32](0), model.Some[uint32](0))

	// Destroyed and created again between two readings with the same GPU
	// instance id (a new UUID): no span across the two.
	fx.instances[1].uuid = "MIG-new"
	clk.t = clk.t.Add(10 * time.Second)
	sg, _ = readMIG(t, b)
	wantUtil(t, "same GI, new instance", sg.MIG[1], model.Opt[uint32]{}, model.Opt[uint32]{})
	wantUtil(t, "the other instance", sg.MIG[0], model.Some[uint32](87), model.Some[uint32](62))
	clk.t = clk.t.Add(10 * time.Second)
	sg, _ = readMIG(t, b)
	wantUtil(t, "same GI, new instance, later", sg.MIG[1], model.Some[uint32](0), model.Some[uint32](0))

	// MIG turned off: every buffer freed, no instances.
	b.devices[0].handle.(*server.Device).GetMigModeFunc = func() (int, int, nvml.Return) { return 0, 0, nvml.SUCCESS }
	clk.t = clk.t.Add(10 * time.Second)
	sg, _ = readMIG(t, b)
	if len(sg.MIG) != 0 || len(fx.live) != 0 || fx.frees != fx.allocs {
		t.Errorf("MIG off: %d instances, %d buffers live", len(sg.MIG), len(fx.live))
	}
}

func TestMIGUtilErrors(t *testing.T) {
	t.Run("a sample fails: that span is lost, the GPU is not", func(t *testing.T) {
		fx := newGPMFix()
		b, clk, _, _ := migBackend(t, fx)
		readMIG(t, b)
		fx.sampleRet[1] = nvml.ERROR_UNKNOWN
		clk.t = clk.t.Add(10 * time.Second)
		sg, _ := readMIG(t, b)
		wantUtil(t, "failed sample", sg.MIG[0], model.Opt[uint32]{}, model.Opt[uint32]{})
		wantUtil(t, "other instance", sg.MIG[1], model.Some[uint32](0), model.Some[uint32](0))
		delete(fx.sampleRet, 1)
		clk.t = clk.t.Add(10 * time.Second)
		sg, _ = readMIG(t, b)
		wantUtil(t, "first sample after the failure", sg.MIG[0], model.Opt[uint32]{}, model.Opt[uint32]{})
		clk.t = clk.t.Add(10 * time.Second)
		sg, _ = readMIG(t, b)
		wantUtil(t, "recovered", sg.MIG[0], model.Some[uint32](87), model.Some[uint32](62))
	})
	t.Run("sampling unsupported: said once, buffers freed", func(t *testing.T) {
		fx := newGPMFix()
		b, clk, _, devs := migBackend(t, fx)
		fx.sampleRet[1] = nvml.ERROR_NOT_SUPPORTED
		sg, _ := readMIG(t, b)
		if sg.MIGUtilNote == "" || len(fx.live) != 0 {
			t.Errorf("note %q, %d buffers live", sg.MIGUtilNote, len(fx.live))
		}
		n := len(devs[0].GpmMigSampleGetCalls())
		clk.t = clk.t.Add(10 * time.Second)
		readMIG(t, b)
		if len(devs[0].GpmMigSampleGetCalls()) != n {
			t.Error("GPM sampled again after NOT_SUPPORTED")
		}
	})
	t.Run("lost GPU fails the reading", func(t *testing.T) {
		fx := newGPMFix()
		b, _, _, _ := migBackend(t, fx)
		fx.sampleRet[1] = nvml.ERROR_GPU_IS_LOST
		var s model.SlowSample
		err := b.ReadSlow(0, &s)
		if de := asDeviceError(t, err); de.State != model.Lost {
			t.Errorf("state %v", de.State)
		}
	})
	t.Run("metrics call fails", func(t *testing.T) {
		fx := newGPMFix()
		b, clk, _, _ := migBackend(t, fx)
		readMIG(t, b)
		fx.metricsRet = nvml.ERROR_INVALID_ARGUMENT
		clk.t = clk.t.Add(10 * time.Second)
		sg, _ := readMIG(t, b)
		wantUtil(t, "failed metrics", sg.MIG[0], model.Opt[uint32]{}, model.Opt[uint32]{})
	})
	t.Run("metric not computed or out of range", func(t *testing.T) {
		fx := newGPMFix()
		b, clk, _, _ := migBackend(t, fx)
		readMIG(t, b)
		fx.metricRet = nvml.ERROR_NOT_SUPPORTED
		clk.t = clk.t.Add(10 * time.Second)
		sg, _ := readMIG(t, b)
		wantUtil(t, "metric error", sg.MIG[0], model.Opt[uint32]{}, model.Opt[uint32]{})
		fx.metricRet = nvml.SUCCESS
		fx.util[1], fx.sm[1] = math.NaN(), 150
		clk.t = clk.t.Add(10 * time.Second)
		sg, _ = readMIG(t, b)
		wantUtil(t, "NaN and 150%", sg.MIG[0], model.Opt[uint32]{}, model.Opt[uint32]{})
	})
	t.Run("allocation fails for good", func(t *testing.T) {
		fx := newGPMFix()
		fx.allocRet = nvml.ERROR_NOT_SUPPORTED
		b, _, _, _ := migBackend(t, fx)
		sg, _ := readMIG(t, b)
		if sg.MIGUtilNote == "" {
			t.Error("no note after the buffers were refused")
		}
	})
}

func TestGPMPercent(t *testing.T) {
	for _, c := range []struct {
		v    float64
		ret  nvml.Return
		want model.Opt[uint32]
	}{
		{0, nvml.SUCCESS, model.Some[uint32](0)},
		{99.6, nvml.SUCCESS, model.Some[uint32](100)},
		{100.4, nvml.SUCCESS, model.Some[uint32](100)},
		{100.6, nvml.SUCCESS, model.Opt[uint32]{}},
		{-0.1, nvml.SUCCESS, model.Opt[uint32]{}},
		{math.Inf(1), nvml.SUCCESS, model.Opt[uint32]{}},
		{50, nvml.ERROR_NOT_SUPPORTED, model.Opt[uint32]{}},
	} {
		if got := gpmPercent(nvml.GpmMetric{Value: c.v, NvmlReturn: uint32(c.ret)}); got != c.want {
			t.Errorf("gpmPercent(%v, %v) = %+v, want %+v", c.v, c.ret, got, c.want)
		}
	}
}

func TestMIGProcessesAttributed(t *testing.T) {
	t.Run("whole-GPU list carries the instance ids", func(t *testing.T) {
		fx := newGPMFix()
		b, _, _, devs := migBackend(t, fx)
		devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
			return []nvml.ProcessInfo{{Pid: 31337, UsedGpuMemory: 5 << 30, GpuInstanceId: 1, ComputeInstanceId: 0}}, nvml.SUCCESS
		}
		_, s := readMIG(t, b)
		if len(s.Processes) != 1 || s.Processes[0].GI != model.Some(1) || s.Processes[0].CI != model.Some(0) {
			t.Errorf("processes %+v", s.Processes)
		}
	})
	t.Run("ids missing from the whole-GPU list come from the instance", func(t *testing.T) {
		fx := newGPMFix()
		fx.instances[1].procs = []nvml.ProcessInfo{{Pid: 7, UsedGpuMemory: valueNotAvailable, GpuInstanceId: noInstance, ComputeInstanceId: noInstance}}
		b, _, _, devs := migBackend(t, fx)
		devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
			return []nvml.ProcessInfo{{Pid: 7, UsedGpuMemory: 1 << 20, GpuInstanceId: noInstance, ComputeInstanceId: noInstance}}, nvml.SUCCESS
		}
		_, s := readMIG(t, b)
		// 31337 is in an instance but not in the current whole-GPU list:
		// it has ended, so it is not listed again.
		if len(s.Processes) != 1 || s.Processes[0].PID != 7 || s.Processes[0].GI != model.Some(2) || s.Processes[0].UsedMemory != model.Some[uint64](1<<20) {
			t.Errorf("processes %+v", s.Processes)
		}
	})
	t.Run("without the whole-GPU list the instances' processes are listed", func(t *testing.T) {
		fx := newGPMFix()
		b, _, _, devs := migBackend(t, fx)
		devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) { return nil, nvml.ERROR_NO_PERMISSION }
		var s model.SlowSample
		for range 2 { // the first answer marks the call unavailable
			_, s = readMIG(t, b)
		}
		if len(s.Processes) != 1 {
			t.Fatalf("processes %+v", s.Processes)
		}
		p := s.Processes[0]
		if p.PID != 31337 || p.GPUIndex != 0 || p.Kind != "compute" || p.GI != model.Some(1) || p.CI != model.Some(0) || p.UsedMemory != model.Some[uint64](5<<30) {
			t.Errorf("process %+v", p)
		}
	})
	t.Run("a whole-GPU list without any instance process gives way", func(t *testing.T) {
		fx := newGPMFix()
		b, _, _, devs := migBackend(t, fx)
		devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) { return nil, nvml.SUCCESS }
		_, s := readMIG(t, b)
		if len(s.Processes) != 1 || s.Processes[0].PID != 31337 || s.Processes[0].GI != model.Some(1) {
			t.Errorf("processes %+v", s.Processes)
		}
	})
	t.Run("MIG off: no instance ids", func(t *testing.T) {
		b, _, devs, _ := openFleet(t, Options{RareEvery: 1, MediumEvery: 1, EnergyEvery: 1000})
		devs[0].GetComputeRunningProcessesFunc = func() ([]nvml.ProcessInfo, nvml.Return) {
			return []nvml.ProcessInfo{{Pid: 9, UsedGpuMemory: 1 << 20}}, nvml.SUCCESS // ids 0, as a struct's zero value
		}
		var s model.SlowSample
		if err := b.ReadSlow(0, &s); err != nil {
			t.Fatal(err)
		}
		if len(s.Processes) != 1 || s.Processes[0].GI.OK || s.Processes[0].CI.OK {
			t.Errorf("processes %+v", s.Processes)
		}
	})
}
