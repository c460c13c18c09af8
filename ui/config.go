package ui

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/ui/clip"
)

// Config is everything main hands the UI. Only Source is required (or
// OpenError, for the screen that explains why there is no Source).
type Config struct {
	Source   Source
	Interval time.Duration // the sampler's fast interval, shown in the header
	Theme    string        // themes.Names(); "" is the default
	// Demo marks the simulated fleet: the header says so, always.
	Demo bool
	// ReadOnly disables the actions that write (export), e.g. when replaying.
	ReadOnly bool

	// RunChecks gathers facts and judges them. It runs as a tea.Cmd on
	// startup and on `r`; ctx is cancelled when the UI quits.
	RunChecks func(ctx context.Context) ([]model.CheckResult, model.Facts, error)
	// Evaluate re-judges facts with the pure rules; the UI calls it about
	// once a second while samples arrive, so live checks follow the GPUs.
	Evaluate func(model.Facts) []model.CheckResult
	// RefreshFacts updates the per-GPU sample fields of facts from the
	// Source before each live evaluation. nil leaves facts as gathered.
	RefreshFacts func(model.Facts) model.Facts
	// Export writes a snapshot and says where.
	Export func(ctx context.Context) (path string, err error)

	// OpenError, when set, replaces the dashboard with the explanation of
	// why no GPU could be opened.
	OpenError *model.OpenFailure
	// Replay is nil when live.
	Replay *ReplayInfo

	// Now is the clock (time.Now when nil); tests fix it for golden screens.
	Now func() time.Time
	// Clipboard receives the OSC 52 sequence of `c`. Pass the writer the
	// tea.Program writes to (os.Stdout unless tea.WithOutput says
	// otherwise) so the sequence reaches the same terminal. nil disables
	// copying with a footer message.
	Clipboard io.Writer
	// Copy copies text to the clipboard (see package clip); nil uses
	// clip.Copy with Clipboard as the terminal. Tests record instead.
	Copy func(ctx context.Context, text string) clip.Result
	// Getenv reads NO_COLOR and TMUX (os.Getenv when nil).
	Getenv func(string) string
	// Logger receives failures of checks, export and clipboard (never the
	// terminal: the UI owns it). nil discards.
	Logger *slog.Logger

	// Terminate signals a process (SIGTERM, then SIGKILL after a grace); the
	// process table calls it only after the user confirms, never with
	// ReadOnly. nil disables it.
	Terminate func(pid int32) error
	// Host reads the host strip (CPU, load, RAM, swap) off the UI goroutine
	// once a second; nil hides the strip.
	Host hostReader
	// Peaks is each process's peak GPU memory, updated by the sampler.
	Peaks *model.ProcessPeaks
	// PIDHint says when NVML's PIDs cannot be resolved here (a container
	// without the host PID namespace) and what to do about it.
	PIDHint func() (bool, string)
	// CallStats is the backend's driver call costs (atomics, no driver
	// call) for the overhead section of help; nil hides it.
	CallStats func() []model.CallStat
}

// ReplayInfo describes the recording a replay shows.
type ReplayInfo struct {
	Host     string
	Recorded time.Time
	Path     string
}
