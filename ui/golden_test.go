package ui

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gputop/gputop/model"

	"github.com/charmbracelet/x/exp/golden"
)

func TestGoldenDashboard(t *testing.T) {
	for _, n := range []int{1, 4, 8, 16} {
		for _, sz := range [][2]int{{80, 24}, {200, 50}} {
			t.Run(fmt.Sprintf("gpus%d_%dx%d", n, sz[0], sz[1]), func(t *testing.T) {
				m := screen(t, n, sz[0], sz[1], nil)
				defer m.cancel()
				v := m.View()
				show(t, v)
				checkScreen(t, v, sz[0], sz[1])
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}

// screen builds a model over n fake GPUs, starts it at w x h, applies
// setup to the source and config first, then sends keys.
func screen(t *testing.T, n, w, h int, setup func(*Config, *fakeSource), keys ...string) *Model {
	t.Helper()
	cfg, src := testConfig(n)
	src.quiet = true
	cfg = withChecks(cfg)
	if setup != nil {
		setup(&cfg, src)
	}
	m := New(cfg)
	m.after = noTimers
	start(m, w, h)
	for _, k := range keys {
		if k == "r" {
			// A rerun whose result has not arrived: start it, drop its command.
			m.Update(press("r"))
			continue
		}
		drive(m, press(k))
	}
	return m
}

func TestGoldenScreens(t *testing.T) {
	lost := func(_ *Config, src *fakeSource) {
		src.setHealth(2, model.Health{State: model.Lost, Reason: "GPU_IS_LOST: GPU is lost"})
		src.setHealth(3, model.Health{State: model.Stale, Reason: "no answer from the driver for 1.2s"})
		src.emit(model.Event{Time: model.TimestampOf(t0), GPU: model.Some(2), Kind: model.EventHealth,
			Severity: model.SevError, Message: "GPU 2 lost: GPU_IS_LOST: GPU is lost"})
	}
	tests := []struct {
		name  string
		n     int
		w, h  int
		setup func(*Config, *fakeSource)
		keys  []string
	}{
		{"checks_focused_100x30", 1, 100, 30, nil, []string{"tab", "down"}},
		{"fix_panel_100x30", 1, 100, 30, nil, []string{"tab", "enter"}},
		{"fix_panel_80x24", 4, 80, 24, nil, []string{"shift+tab", "enter"}},
		{"fix_panel_beside_gpus_200x50", 4, 200, 50, nil, []string{"shift+tab", "enter"}},
		{"help_100x30", 4, 100, 30, nil, []string{"?"}},
		{"help_200x50", 8, 200, 50, nil, []string{"?"}},
		{"zoom_80x24", 2, 80, 24, nil, []string{"right", "enter"}},
		{"zoom_200x50", 2, 200, 50, nil, []string{"enter"}},
		{"lost_gpu_80x24", 4, 80, 24, lost, nil},
		{"lost_gpu_200x50", 4, 200, 50, lost, nil},
		{"lost_gpu_zoom_120x40", 4, 120, 40, lost, []string{"right", "right", "enter"}},
		{"too_small_16gpus_80x20", 16, 80, 20, nil, nil},
		{"too_small_40x10", 1, 40, 10, nil, nil},
		{"paused_80x24", 1, 80, 24, nil, []string{"p"}},
		{"mono_theme_80x24", 1, 80, 24, func(c *Config, _ *fakeSource) { c.Theme = "mono" }, nil},
		{"no_color_env_80x24", 2, 80, 24, func(c *Config, _ *fakeSource) {
			c.Getenv = func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }
		}, nil},
		{"unavailable_values_80x24", 1, 80, 24, func(_ *Config, src *fakeSource) {
			src.push(0, model.Sample{Time: model.TimestampOf(t0.Add(100 * time.Millisecond))})
		}, nil},
		{"replay_cursor_100x30", 1, 100, 30, func(c *Config, _ *fakeSource) {
			c.Replay = &ReplayInfo{Host: "gpu-node-7", Recorded: t0.Add(-24 * time.Hour)}
			c.ReadOnly = true
		}, []string{"{", "["}},
		{"checks_running_80x24", 1, 80, 24, nil, []string{"r"}},
		{"checks_error_80x24", 1, 80, 24, func(c *Config, _ *fakeSource) {
			c.RunChecks = func(context.Context) ([]model.CheckResult, model.Facts, error) {
				return nil, model.Facts{}, errors.New("probe nvml: permission denied")
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := screen(t, tt.n, tt.w, tt.h, tt.setup, tt.keys...)
			defer m.cancel()
			v := m.View()
			show(t, v)
			checkScreen(t, v, tt.w, tt.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

func TestGoldenNoGPU(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 30}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := New(Config{
				OpenError: &model.OpenFailure{Code: "DRIVER_NOT_LOADED",
					Message: "the NVIDIA kernel module is not loaded: nvmlInit: DRIVER_NOT_LOADED",
					Hint:    "Load it with `sudo modprobe nvidia`, or install the driver: `sudo ubuntu-drivers install`. Then run gputop again."},
				Now: func() time.Time { return t0 }, Getenv: func(string) string { return "" },
			})
			start(m, sz[0], sz[1])
			v := m.View()
			show(t, v)
			checkScreen(t, v, sz[0], sz[1])
			golden.RequireEqual(t, []byte(v))
		})
	}
}
