package nvmlbackend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
)

func TestOpenReadsStaticInfo(t *testing.T) {
	srv, devs := newFleet(t)
	b := New(srv, Options{})
	sys, infos, err := b.Open(context.Background())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()

	host, _ := os.Hostname()
	if sys.Source != "nvml" || sys.DriverVersion != fixDriverVer || sys.NVMLVersion != srv.NvmlVersion || sys.Host != host {
		t.Errorf("system = %+v", sys)
	}
	if v, ok := sys.CUDADriverVersion.Get(); !ok || v != srv.CudaDriverVersion {
		t.Errorf("CUDA driver version = %v, want %d", sys.CUDADriverVersion, srv.CudaDriverVersion)
	}
	if len(infos) != len(devs) {
		t.Fatalf("%d GPUs, want %d", len(infos), len(devs))
	}
	for i, g := range infos {
		d := devs[i]
		if g.Index != i || g.Name != d.Config.Name || g.UUID != d.UUID || g.Architecture != "Hopper" {
			t.Errorf("GPU %d identity = %d %q %q %q", i, g.Index, g.Name, g.UUID, g.Architecture)
		}
		if g.PCIDeviceID != model.Some[uint16](0x2330) {
			t.Errorf("GPU %d PCI device id = %#v, want 0x2330", i, g.PCIDeviceID)
		}
		wantBus := "00000000:" + fmt.Sprintf("%02X", 0x18+i) + ":00.0"
		if g.BusID != wantBus {
			t.Errorf("GPU %d bus id = %q, want %q", i, g.BusID, wantBus)
		}
		if g.CC() != "9.0" || g.Serial != fixSerial || g.VBIOS != fixVBIOS {
			t.Errorf("GPU %d cc/serial/vbios = %q %q %q", i, g.CC(), g.Serial, g.VBIOS)
		}
		if g.MemoryTotal.V != d.MemoryInfo.Total || !g.MemoryTotal.OK || g.BAR1Total.V != fixBAR1 {
			t.Errorf("GPU %d memory/BAR1 = %v %v", i, g.MemoryTotal, g.BAR1Total)
		}
		if g.PowerLimitDefault.V != fixDefLimit || g.PowerLimitMin.V != fixMinLimit || g.PowerLimitMax.V != fixDefLimit {
			t.Errorf("GPU %d power limits = %v %v %v", i, g.PowerLimitDefault, g.PowerLimitMin, g.PowerLimitMax)
		}
		if g.TempSlowdown.V != fixSlowdown || g.TempShutdown.V != fixShutdown || g.TempMemMax.V != fixMemMax {
			t.Errorf("GPU %d thresholds = %v %v %v", i, g.TempSlowdown, g.TempShutdown, g.TempMemMax)
		}
		if g.ClockMaxSM.V != fixMaxSM || g.ClockMaxMem.V != fixMaxMem {
			t.Errorf("GPU %d max clocks = %v %v", i, g.ClockMaxSM, g.ClockMaxMem)
		}
		if g.MaxPCIeGen.V != 5 || g.MaxPCIeWidth.V != 16 || g.GPUMaxPCIeGen.V != 5 {
			t.Errorf("GPU %d PCIe max = %v %v %v", i, g.MaxPCIeGen, g.MaxPCIeWidth, g.GPUMaxPCIeGen)
		}
		if !g.NumFans.OK || g.NumFans.V != 0 {
			t.Errorf("GPU %d fans = %v", i, g.NumFans)
		}
	}
}

func TestOpenStaticFailuresLeaveValuesUnavailable(t *testing.T) {
	srv, devs := newFleet(t)
	devs[0].GetBAR1MemoryInfoFunc = func() (nvml.BAR1Memory, nvml.Return) { return nvml.BAR1Memory{}, nvml.ERROR_NOT_SUPPORTED }
	devs[0].GetNumFansFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	devs[0].GetArchitectureFunc = func() (nvml.DeviceArchitecture, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
	b := New(srv, Options{})
	_, infos, err := b.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	g := infos[0]
	if g.BAR1Total.OK || g.NumFans.OK || g.Architecture != "" {
		t.Errorf("unsupported static values must stay unavailable: BAR1 %v fans %v arch %q", g.BAR1Total, g.NumFans, g.Architecture)
	}
	if !infos[1].BAR1Total.OK {
		t.Error("GPU 1 lost its BAR1 value")
	}
}

func TestOpenErrorClassification(t *testing.T) {
	tests := []struct {
		ret      nvml.Return
		code     string
		hintHas  string
		messages string
	}{
		{nvml.ERROR_LIBRARY_NOT_FOUND, "LIBRARY_NOT_FOUND", "gputop --demo", "libnvidia-ml.so.1"},
		{nvml.ERROR_DRIVER_NOT_LOADED, "DRIVER_NOT_LOADED", "modprobe nvidia", "kernel driver"},
		{nvml.ERROR_NO_PERMISSION, "NO_PERMISSION", "/dev/nvidia", "permission"},
		{nvml.ERROR_LIB_RM_VERSION_MISMATCH, "LIB_RM_VERSION_MISMATCH", "reboot", "different versions"},
		{nvml.ERROR_INSUFFICIENT_POWER, "INSUFFICIENT_POWER", "power cables", "power"},
		{nvml.ERROR_GPU_IS_LOST, "GPU_IS_LOST", "Reboot", "fallen off the bus"},
		{nvml.ERROR_RESET_REQUIRED, "RESET_REQUIRED", "nvidia-smi -r", "reset"},
		{nvml.ERROR_OPERATING_SYSTEM, "OPERATING_SYSTEM", "cgroup", "operating system"},
		{nvml.ERROR_UNKNOWN, "UNKNOWN", "nvidia-smi", "UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			lib := &mock.Interface{
				InitFunc:     func() nvml.Return { return tt.ret },
				ShutdownFunc: func() nvml.Return { return nvml.SUCCESS },
			}
			b := New(lib, Options{})
			_, infos, err := b.Open(context.Background())
			oe, ok := sampler.AsOpenError(err)
			if !ok {
				t.Fatalf("want *sampler.OpenError, got %T %v", err, err)
			}
			if oe.Code != tt.code || !strings.Contains(oe.Hint, tt.hintHas) || !strings.Contains(oe.Message, tt.messages) {
				t.Errorf("got code %q message %q hint %q", oe.Code, oe.Message, oe.Hint)
			}
			if !errors.Is(err, tt.ret) {
				t.Errorf("error %v does not wrap %v", err, tt.ret)
			}
			if infos != nil {
				t.Errorf("infos = %v on failure", infos)
			}
			// A library that did not initialise must not be shut down: with
			// no libnvidia-ml that call would crash the process.
			if err := b.Close(); err != nil {
				t.Errorf("Close after failed Open: %v", err)
			}
			if n := len(lib.ShutdownCalls()); n != 0 {
				t.Errorf("Shutdown called %d times after a failed Init", n)
			}
		})
	}
}

func TestOpenNoDevices(t *testing.T) {
	lib := &mock.Interface{
		InitFunc:           func() nvml.Return { return nvml.SUCCESS },
		ShutdownFunc:       func() nvml.Return { return nvml.SUCCESS },
		DeviceGetCountFunc: func() (int, nvml.Return) { return 0, nvml.SUCCESS },
	}
	b := New(lib, Options{})
	_, _, err := b.Open(context.Background())
	oe, ok := sampler.AsOpenError(err)
	if !ok || oe.Code != "NO_DEVICES" || !strings.Contains(oe.Hint, "--demo") {
		t.Fatalf("got %v", err)
	}
	if n := len(lib.ShutdownCalls()); n != 1 {
		t.Errorf("Shutdown called %d times, want 1 (Init had succeeded)", n)
	}
	if err := b.Close(); err != nil || len(lib.ShutdownCalls()) != 1 {
		t.Errorf("Close after NO_DEVICES: %v, shutdown calls %d", err, len(lib.ShutdownCalls()))
	}
}

func TestOpenDeviceCountFailure(t *testing.T) {
	lib := &mock.Interface{
		InitFunc:           func() nvml.Return { return nvml.SUCCESS },
		ShutdownFunc:       func() nvml.Return { return nvml.SUCCESS },
		DeviceGetCountFunc: func() (int, nvml.Return) { return 0, nvml.ERROR_NO_PERMISSION },
	}
	_, _, err := New(lib, Options{}).Open(context.Background())
	if oe, ok := sampler.AsOpenError(err); !ok || oe.Code != "NO_PERMISSION" {
		t.Fatalf("got %v", err)
	}
}

func TestOpenUnreachableGPUIsListedAndReportsItsError(t *testing.T) {
	srv, _ := newFleet(t)
	byIndex := srv.DeviceGetHandleByIndexFunc
	srv.DeviceGetHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
		if i == 2 {
			return nil, nvml.ERROR_GPU_IS_LOST
		}
		return byIndex(i)
	}
	b := New(srv, Options{})
	_, infos, err := b.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(infos) != 8 || !strings.Contains(infos[2].Name, "GPU_IS_LOST") || infos[3].Name == "" {
		t.Fatalf("infos: %d, GPU 2 %q", len(infos), infos[2].Name)
	}
	var s model.Sample
	de := asDeviceError(t, b.ReadFast(2, &s))
	if de.State.String() != "lost" || de.Code != "GPU_IS_LOST" || de.GPU != 2 {
		t.Errorf("GPU 2: %+v", de)
	}
	if err := b.ReadFast(3, &s); err != nil {
		t.Errorf("GPU 3 must still read: %v", err)
	}
}

func TestOpenTwiceAndCancelled(t *testing.T) {
	b, _, _, _ := openFleet(t, Options{})
	if _, _, err := b.Open(context.Background()); err == nil {
		t.Error("second Open succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv, _ := newFleet(t)
	if _, _, err := New(srv, Options{}).Open(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v", err)
	}
	if len(srv.InitCalls()) != 0 {
		t.Error("Init called with a cancelled context")
	}
}

func TestCloseShutsDownOnce(t *testing.T) {
	srv, _ := newFleet(t)
	b := New(srv, Options{})
	if _, _, err := b.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.ShutdownCalls()); n != 1 {
		t.Errorf("Shutdown called %d times", n)
	}
}

func TestMissingSymbolsAreNeverCalled(t *testing.T) {
	srv, devs := newFleet(t)
	missing := map[string]bool{
		"nvmlDeviceGetMemoryInfo_v2":             true,
		"nvmlDeviceGetCurrentClocksEventReasons": true, // pre-R535: the throttle-reasons name is used
		"nvmlDeviceGetGpuFabricInfo":             true, // and no V either
		"nvmlDeviceGetGpuFabricInfoV":            true,
		"nvmlDeviceGetNumFans":                   true,
	}
	srv.LookupSymbolFunc = func(name string) error {
		if missing[name] {
			return errors.New("undefined symbol " + name)
		}
		return nil
	}
	b := New(srv, Options{})
	_, infos, err := b.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if infos[0].NumFans.OK {
		t.Error("NumFans read without its symbol")
	}
	var s model.Sample
	var slow model.SlowSample
	for range 3 {
		if err := b.ReadFast(0, &s); err != nil {
			t.Fatal(err)
		}
		if err := b.ReadSlow(0, &slow); err != nil {
			t.Fatal(err)
		}
	}
	d := devs[0]
	if n := len(d.GetMemoryInfo_v2Calls()); n != 0 {
		t.Errorf("GetMemoryInfo_v2 called %d times without its symbol", n)
	}
	if len(d.GetCurrentClocksEventReasonsCalls()) != 0 || len(d.GetCurrentClocksThrottleReasonsCalls()) != 3 {
		t.Errorf("event reasons %d, throttle reasons %d calls", len(d.GetCurrentClocksEventReasonsCalls()), len(d.GetCurrentClocksThrottleReasonsCalls()))
	}
	if s.ThrottleReasons.V != fixThrottle || !s.ThrottleReasons.OK {
		t.Errorf("throttle reasons via the old name = %v", s.ThrottleReasons)
	}
	if len(d.GetGpuFabricInfoCalls()) != 0 || slow.FabricState.OK {
		t.Error("fabric info read without its symbol")
	}
	if !s.MemUsed.OK || s.MemReserved.OK {
		t.Errorf("memory must come from v1 without reserved: used %v reserved %v", s.MemUsed, s.MemReserved)
	}
	// With a pre-fan-count library the fan is asked once, then remembered.
	if n := len(d.GetFanSpeedCalls()); n != 1 {
		t.Errorf("GetFanSpeed called %d times", n)
	}
}
