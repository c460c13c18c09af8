package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
)

func newSnapshotCmd(o *options, stdout, stderr io.Writer) *cobra.Command {
	var out, format string
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Record the dashboard and checklist to a file, without the TUI",
		Long: `Sample the GPUs for --duration, run the checklist, and write a snapshot: every
GPU's identity and samples at full resolution, the raw facts, the check results,
processes and events. Open it anywhere with 'gputop --replay FILE' or re-judge it
with 'gputop check --from FILE'. --format md writes a Markdown report for a bug
tracker instead.

Files are written atomically with mode 0600. Process command lines are redacted
of credentials unless --include-cmdlines is given.`,
		Example: `  gputop snapshot                          # gputop-<host>-<UTC time>.json here
  gputop snapshot -o box.json --duration 60s
  gputop snapshot --format md -o report.md
  gputop snapshot --demo -o demo.json      # the simulated fleet (a minute of history at once)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			format = strings.ToLower(format)
			if format == "markdown" {
				format = model.FormatMarkdown
			}
			if format != model.FormatJSON && format != model.FormatMarkdown {
				return usageError("--format %q: want json or md", format)
			}
			if duration < 0 || duration > 10*time.Minute {
				return usageError("--duration %v: want 0 to 10m", duration)
			}
			return takeSnapshot(cmd.Context(), o, out, format, duration, stdout, stderr)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` (default gputop-<host>-<UTC time>.<json|md> here; - for standard output)")
	cmd.Flags().StringVar(&format, "format", "json", "json (replayable) or md (a report)")
	cmd.Flags().DurationVar(&duration, "duration", 5*time.Second, "how long to sample live GPUs first (the demo has a minute of history at once)")
	cmd.Flags().BoolVar(&o.includeCmdlines, "include-cmdlines", false, "keep full process command lines (credentials are redacted by default)")
	return cmd
}

func takeSnapshot(ctx context.Context, o *options, out, format string, duration time.Duration, stdout, stderr io.Writer) error {
	log, closeLog, err := o.logger()
	if err != nil {
		return err
	}
	defer closeLog()
	s, err := openSession(ctx, o, log)
	if err != nil {
		return err
	}
	defer s.close()
	if s.openErr != nil {
		// The case a snapshot is for: record the diagnosis to read elsewhere.
		fmt.Fprintf(stderr, "no GPU could be opened (%s: %s); recording the facts, the checks and the error\n",
			s.openErr.Code, s.openErr.Message)
	}
	if s.sampler != nil && !o.demo && s.snap == nil && duration > 0 {
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = s.sampler.Run(runCtx) }()
		progress(ctx, stderr, len(s.sampler.GPUs()), duration)
		stop()
		<-done
	}
	if ctx.Err() != nil {
		// A signal: write nothing (main exits 128+n).
		return &exitError{code: 2, err: fmt.Errorf("interrupted; no snapshot written")}
	}
	fmt.Fprintln(stderr, "running the checklist ...")
	snap, err := s.buildSnapshot(ctx)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if out == "-" {
		if format == model.FormatMarkdown {
			err = model.WriteMarkdown(stdout, snap)
		} else {
			err = snap.WriteJSON(stdout)
		}
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		return nil
	}
	if out == "" {
		out = model.DefaultSnapshotName(snap.Host, snap.Created.Time(), format)
	}
	if err := snap.Save(out, format); err != nil {
		return &exitError{code: 2, err: err}
	}
	abs, _ := filepath.Abs(out)
	fmt.Fprintf(stderr, "wrote %s (%d GPUs, %d checks)\n", safe.Line(abs), len(snap.GPUs), len(snap.Checks))
	return nil
}

// progress shows sampling progress on stderr once a second.
func progress(ctx context.Context, w io.Writer, gpus int, d time.Duration) {
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		fmt.Fprintf(w, "\rsampling %d GPU(s): %v / %v ", gpus, time.Since(start).Truncate(time.Second), d)
		select {
		case <-ctx.Done():
			fmt.Fprintln(w)
			return
		case <-deadline.C:
			fmt.Fprintf(w, "\rsampling %d GPU(s): %v / %v \n", gpus, d, d)
			return
		case <-t.C:
		}
	}
}
