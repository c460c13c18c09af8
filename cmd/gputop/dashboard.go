package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/mattn/go-isatty"

	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/sampler/host"
	"github.com/gputop/gputop/sampler/replay"
	"github.com/gputop/gputop/ui"
	"github.com/gputop/gputop/ui/tty"
)

// runDashboard opens the data source, starts the sampler and runs the TUI;
// q, Ctrl-C or SIGTERM end all of it in order: UI, sampler, backend.
func runDashboard(parent context.Context, o *options) error {
	log, closeLog, err := o.logger()
	if err != nil {
		return err
	}
	defer closeLog()
	// Signals are main's signal owner's: it cancels parent.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	s, err := openSession(ctx, o, log)
	if err != nil {
		return err
	}
	defer s.close()
	// After opening, so a bad --replay file is what the user hears about.
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		return usageError("the dashboard needs a terminal; for scripts use 'gputop check' or 'gputop snapshot'")
	}

	cfg := ui.Config{
		Interval:     o.interval,
		Demo:         o.demo,
		Theme:        o.theme,
		ReadOnly:     o.readOnly,
		RunChecks:    s.runChecks,
		Evaluate:     s.evaluateLive,
		RefreshFacts: s.refreshFacts,
		Export:       s.export,
		OpenError:    openFailure(s.openErr),
		Clipboard:    os.Stdout,
		Logger:       log,
		Peaks:        s.peaks,
	}
	if cs, ok := s.backend.(sampler.CallStatter); ok {
		cfg.CallStats = cs.CallStats
	}
	if s.snap == nil {
		cfg.Host = host.NewSampler() // this host's strip, in the demo too
	}
	if s.snap == nil && !o.demo {
		// Live NVML only: demo and replay PIDs are not this host's.
		cfg.Terminate = func(pid int32) error { return host.Terminate(pid, terminateGrace) }
		if s.resolver != nil {
			cfg.PIDHint = s.resolver.PIDNamespaceHint
		}
	}
	if s.sampler != nil {
		cfg.Source = fromSampler(s.sampler)
		cfg.Interval = s.sampler.Options().Interval
	}
	if s.snap != nil {
		cfg.ReadOnly = true
		cfg.Replay = &ui.ReplayInfo{Host: s.snap.Host, Recorded: s.snap.Created.Time(), Path: o.replay}
		cfg.Evaluate, cfg.RefreshFacts = nil, nil
	}
	if s.snap != nil && s.sampler != nil {
		cfg.Replay = &ui.ReplayInfo{Host: s.snap.Host, Recorded: s.snap.Created.Time(), Path: o.replay}
		cfg.ReadOnly = true
		// Recorded facts do not change: keep the recorded-vs-now marks.
		cfg.Evaluate, cfg.RefreshFacts = nil, nil
		// The clock of a replay is the recording's: the header shows when
		// the newest sample was taken, not today's time.
		_, end, _ := replay.Range(s.snap)
		if !end.IsZero() {
			cfg.Now = func() time.Time { return end }
		}
	}

	runCtx, stopSampler := context.WithCancel(ctx)
	samplerDone := make(chan struct{})
	if s.sampler != nil && s.snap == nil {
		go func() {
			defer close(samplerDone)
			if err := s.sampler.Run(runCtx); err != nil {
				log.Error("sampler stopped", "err", err)
			}
		}()
	} else {
		close(samplerDone)
	}

	// The UI draws at most 5 frames a second, and only when something
	// changed; tty's renderer writes a frame when the view changed and
	// otherwise never wakes (bubbletea's own ticked 20-60 times a second).
	// Mouse reporting (click to focus, the wheel) is on while it runs.
	//
	// No bubbletea signal handler: the signal owner (signals.go) is the
	// only one, and cancels ctx; ctrl+z and SIGTSTP suspend through the
	// tty handle it is given.
	owner := theSignalOwner
	restore := terminalRestorer(os.Stdin, os.Stdout)
	_, runErr := tty.RunWith(ctx, suspendable{Model: ui.New(cfg), owner: owner}, os.Stdin, os.Stdout, tty.Config{
		Options: []tea.ProgramOption{tea.WithoutSignalHandler()},
		Mouse:   true,
		Started: func(t *tty.Terminal) { owner.attach(t, restore) },
	})
	owner.detach()
	stopSampler()
	releaseHangs(s)
	<-samplerDone
	logStats(s, log)
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) && !errors.Is(runErr, context.Canceled) {
		return &exitError{code: 2, err: runErr}
	}
	return nil
}

// releaseHangs ends the simulated fleet's injected hangs (the demo's STALE
// GPU) so that quitting does not wait for them; a real backend has none to
// release.
func releaseHangs(s *session) {
	r, ok := s.backend.(interface{ Release(gpu int) })
	if !ok || s.sampler == nil {
		return
	}
	for i := range s.sampler.GPUs() {
		r.Release(i)
	}
}

// terminateGrace is how long a process has to exit after SIGTERM before
// SIGKILL.
const terminateGrace = 5 * time.Second

// logStats records the sampler's own cost at shutdown (the overhead tool
// reads these lines).
func logStats(s *session, log *slog.Logger) {
	if s.sampler == nil {
		return
	}
	for i, g := range s.sampler.GPUs() {
		st := g.Stats()
		log.Info("sampler stats", "gpu", i, "fast_reads", st.FastReads, "fast_mean", st.FastMean,
			"slow_reads", st.SlowReads, "slow_mean", st.SlowMean, "skipped", st.SkippedTicks,
			"late_p50", st.LateP50, "late_p99", st.LateP99, "late_max", st.LateMax.Round(time.Microsecond))
	}
	if cs, ok := s.backend.(sampler.CallStatter); ok {
		for _, c := range cs.CallStats() {
			log.Info("nvml call", "call", c.Name, "count", c.Count, "mean", c.Mean)
		}
	}
}
