package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/detect"
	"github.com/gputop/gputop/sampler/sim"
	"github.com/gputop/gputop/ui"
	"github.com/muesli/termenv"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden screens under testdata/")

// drain runs cmd and feeds what it returns back into m, as the program
// would, up to depth levels; a command that waits for the sampler (which
// does not run here) is abandoned after a moment.
func drain(m tea.Model, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 8 {
		return
	}
	got := make(chan tea.Msg, 1)
	go func() { got <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-got:
	case <-time.After(300 * time.Millisecond):
		return
	}
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			drain(m, c, depth+1)
		}
	default:
		_, next := m.Update(msg)
		drain(m, next, depth+1)
	}
}

// Golden screens of the real simulated fleet, as the demo opens it: seed
// 1, eight GPUs with the demo's faults, a minute of prefilled history and a
// fixed clock. The checks are left out (they read this host).
func TestGoldenDemoFleet(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC).Add(20 * time.Second) // the LOST GPU 3 shows
	start := now.Add(-demoHistory - 20*time.Second)
	fleet := sim.New(sim.Options{GPUs: 8, Seed: 1, Start: start, Faults: demoFaults(8)})
	smp, err := sampler.Open(context.Background(), fleet, sampler.Options{Interval: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler), Detector: detect.New(detect.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	prefill(smp, start, now, fleet.EventsBetween(start, now))
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}, {250, 70}} {
		m := ui.New(ui.Config{Interval: 100 * time.Millisecond, Demo: true, Source: fromSampler(smp),
			Now: func() time.Time { return now }, Getenv: func(string) string { return "" }})
		_, cmd := m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		drain(m, cmd, 0)
		drain(m, m.Init(), 0)
		got := m.View()
		path := filepath.Join("testdata", "golden_demo", fmt.Sprintf("dashboard_%dx%d.golden", sz[0], sz[1]))
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./cmd/gputop -run GoldenDemo -update)", err)
		}
		if string(want) != got {
			t.Errorf("%s differs:\n%s", path, got)
		}
	}
}
