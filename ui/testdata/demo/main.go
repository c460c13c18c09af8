// Command demo runs the UI over a real sampler fed by a small synthetic
// backend, to look at the screens in a terminal while the simulated fleet is
// built elsewhere: go run ./ui/testdata/demo -gpus 4 [-theme light]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/ui"
)

type wave struct{ n int }

func (w wave) Open(context.Context) (model.System, []model.GPUInfo, error) {
	var infos []model.GPUInfo
	for i := range w.n {
		infos = append(infos, model.GPUInfo{Index: i, Name: "NVIDIA H100 80GB HBM3",
			BusID: fmt.Sprintf("00000000:%02X:00.0", 0x18+i*0x10), MemoryTotal: model.Some[uint64](81559 << 20),
			TempSlowdown: model.Some[int32](87), ClockMaxSM: model.Some[uint32](1980), ClockMaxMem: model.Some[uint32](2619),
			MaxPCIeGen: model.Some(5), MaxPCIeWidth: model.Some(16)})
	}
	return model.System{Host: "demo-host", DriverVersion: "580.159.04", CUDADriverVersion: model.Some(13000), Source: "demo"}, infos, nil
}

func (w wave) ReadFast(gpu int, s *model.Sample) error {
	t := float64(s.Time) / 1e9
	if gpu == 3 && int(t)%20 > 15 {
		return &sampler.DeviceError{GPU: gpu, Code: "GPU_IS_LOST", State: model.Lost, Err: errors.New("GPU is lost")}
	}
	u := 50 + 45*math.Sin(t/3+float64(gpu))
	s.UtilGPU.Set(uint32(u))
	s.UtilMem.Set(uint32(u / 2))
	s.MemUsed.Set(uint64((20 + 10*float64(gpu) + 5*math.Sin(t/10)) * (1 << 30)))
	s.MemTotal.Set(81559 << 20)
	s.PowerDraw.Set(uint32(100000 + u*5500))
	s.PowerLimit.Set(700000)
	s.TempGPU.Set(int32(40 + u/3))
	s.ClockSM.Set(uint32(1200 + u*7))
	s.ClockMem.Set(2619)
	s.PState.Set(0)
	reasons := uint64(0)
	if u > 85 {
		reasons = model.ThrottleSWPowerCap
	}
	if gpu == 2 {
		reasons |= model.ThrottleHWSlowdown
	}
	s.ThrottleReasons.Set(reasons)
	return nil
}

func (w wave) ReadSlow(gpu int, s *model.SlowSample) error {
	s.PCIeGen.Set(5)
	s.PCIeWidth.Set(16)
	s.PCIeTxKBps.Set(1200)
	s.PCIeRxKBps.Set(53000)
	s.ECCEnabled.Set(true)
	s.Persistence.Set(true)
	s.Processes = []model.Process{{PID: uint32(4242 + gpu), UsedMemory: model.Some[uint64](38 << 30),
		Resolved: true, User: "alice", Command: "python train.py --model llama-70b"}}
	return nil
}

func (w wave) Close() error { return nil }

func main() {
	gpus := flag.Int("gpus", 4, "number of GPUs")
	theme := flag.String("theme", "", "theme")
	interval := flag.Duration("interval", 100*time.Millisecond, "fast interval")
	flag.Parse()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sampler.Open(ctx, wave{*gpus}, sampler.Options{Interval: *interval})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go s.Run(ctx)
	checks := []model.CheckResult{
		{ID: "bar1.gpu0", Title: "BAR1 aperture covers GPU memory", Status: model.Fail,
			Evidence: "BAR1 256 MiB < 79.6 GiB", Fix: "Enable Above 4G Decoding.", Commands: []string{"sudo dmidecode -t bios"}},
		{ID: "driver", Title: "NVIDIA driver loaded", Status: model.Pass, Evidence: "580.159.04"},
	}
	m := ui.New(ui.Config{
		Source: ui.FromSampler(s), Interval: *interval, Theme: *theme, Clipboard: os.Stdout,
		RunChecks: func(ctx context.Context) ([]model.CheckResult, model.Facts, error) {
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-ctx.Done():
			}
			return checks, model.Facts{}, ctx.Err()
		},
		Export: func(context.Context) (string, error) { return "/tmp/gputop-demo.json", nil },
	})
	if _, err := tea.NewProgram(m, tea.WithAltScreen()).Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
