package ui_test

import (
	"context"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/ui"
)

// How main wires the UI: the sampler polls on its own goroutines, the UI
// reads it through a ui.Source (cmd/gputop adapts the sampler: this package
// depends on model only), and quitting returns from Run.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var backend sampler.Backend // NVML, the simulated fleet or a replay
	s, err := sampler.Open(ctx, backend, sampler.Options{Interval: 100 * time.Millisecond})
	if err != nil {
		if oe, ok := sampler.AsOpenError(err); ok {
			// No GPU: the UI explains why instead of a stack of errors.
			fail := &model.OpenFailure{Code: oe.Code, Message: oe.Error(), Hint: oe.Hint}
			_, _ = tea.NewProgram(ui.New(ui.Config{OpenError: fail}), tea.WithAltScreen()).Run()
		}
		return
	}
	go func() { _ = s.Run(ctx) }()
	var src ui.Source // cmd/gputop's adapter of s

	m := ui.New(ui.Config{
		Source:    src,
		Interval:  s.Options().Interval,
		Theme:     "dark",
		Clipboard: os.Stdout, // the writer the program draws to
		RunChecks: func(ctx context.Context) ([]model.CheckResult, model.Facts, error) {
			return nil, model.Facts{}, nil // checks.Run(ctx, ...)
		},
		Evaluate:     func(f model.Facts) []model.CheckResult { return nil }, // checks.Evaluate
		RefreshFacts: func(f model.Facts) model.Facts { return f },           // copy latest samples into f
		Export: func(ctx context.Context) (string, error) {
			return "", nil // snapshot.Write(ctx, ...)
		},
	})
	_, _ = tea.NewProgram(m, tea.WithAltScreen()).Run()
}
