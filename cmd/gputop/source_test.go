package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/ui"
)

var t0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// stubBackend is a Backend whose readings are fixed, with one GPU that can
// be made to fall off the bus.
type stubBackend struct {
	n    int
	lost map[int]bool
}

func (b *stubBackend) Open(context.Context) (model.System, []model.GPUInfo, error) {
	infos := make([]model.GPUInfo, b.n)
	for i := range infos {
		infos[i] = model.GPUInfo{Index: i, Name: "NVIDIA H100 80GB HBM3", BusID: fmt.Sprintf("00000000:%02X:00.0", 0x18+i*0x10),
			MemoryTotal: model.Some[uint64](80 << 30), MaxPCIeGen: model.Some(5), MaxPCIeWidth: model.Some(16)}
	}
	return model.System{Host: "stub", DriverVersion: "580.159.04", CUDADriverVersion: model.Some(13000)}, infos, nil
}

func (b *stubBackend) ReadFast(gpu int, s *model.Sample) error {
	if b.lost[gpu] {
		return &sampler.DeviceError{GPU: gpu, Code: "GPU_IS_LOST", State: model.Lost, Err: errors.New("GPU is lost")}
	}
	s.UtilGPU.Set(uint32(40 + gpu))
	s.MemUsed.Set(12 << 30)
	s.MemTotal.Set(80 << 30)
	s.PowerDraw.Set(300000)
	s.PowerLimit.Set(700000)
	return nil
}

func (b *stubBackend) ReadSlow(gpu int, s *model.SlowSample) error {
	s.PCIeGen.Set(4)
	s.PCIeWidth.Set(8)
	return nil
}

func (b *stubBackend) Close() error { return nil }

// The UI runs on the real sampler through the adapter, lost GPU included.
func TestSamplerSource(t *testing.T) {
	b := &stubBackend{n: 2, lost: map[int]bool{}}
	s, err := sampler.Open(context.Background(), b, sampler.Options{Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for k := range 20 {
		s.Step(t0.Add(time.Duration(k)*100*time.Millisecond), k%10 == 0)
	}
	b.lost[1] = true
	s.Step(t0.Add(2*time.Second), false)

	src := fromSampler(s)
	if src.GPUCount() != 2 || src.GPU(1).Info().Index != 1 || src.System().Host != "stub" {
		t.Fatalf("adapter: %d GPUs, host %q", src.GPUCount(), src.System().Host)
	}
	if n := len(src.GPU(0).History(nil, 100)); n != 21 {
		t.Errorf("history through the adapter: %d samples, want 21", n)
	}
	m := ui.New(ui.Config{Source: src, Interval: 100 * time.Millisecond, Now: func() time.Time { return t0 },
		Getenv: func(string) string { return "" }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	v := m.View()
	for _, want := range []string{"stub", "40%", "12.0/80.0 GiB", "300/700 W", "✖ LOST", "GPU_IS_LOST: GPU is lost",
		"GPU 1 lost"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if v := m.View(); !strings.Contains(v, "Gen4 x8") {
		t.Errorf("zoom lacks the slow-tier PCIe link:\n%s", v)
	}
	select {
	case <-src.Updates():
	default:
		// Step does not notify; Emit does, and the lost GPU emitted.
		t.Error("no notification on the sampler's channel after an event")
	}
}
