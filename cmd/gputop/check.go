package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/gputop/gputop/checks"
	"github.com/gputop/gputop/model"
)

// checkBudget bounds the whole headless check: every probe is bounded on its
// own, this is the belt to those braces.
const checkBudget = 10 * time.Second

func newCheckCmd(o *options, stdout io.Writer) *cobra.Command {
	var asJSON, problems bool
	var from string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run the compatibility checklist without the dashboard",
		Long: `Run the compatibility checklist (driver, NVML, PCI, BAR1/ReBAR, CUDA toolkit,
cuDNN, PyTorch, persistence, PCIe, throttling, memory errors, device nodes,
fabric manager) and print it, fails first, with the evidence and the fix.

A root cause comes first with its fix; the checks that fail only because of
it are listed under it ("follows from <id>") and counted once.

With --from, the facts recorded in a snapshot are judged with today's rules,
beside the verdicts recorded then; the header names the recorded host and
time, never this machine.

Exit status: 0 no check failed, 1 at least one failed, 2 an error.
gputop never runs a fix; it prints the command.`,
		Example: `  gputop check
  gputop check --json | jq '.checks[] | select(.status=="fail")'
  gputop check --problems                                  # only fails and warns
  gputop check --from gputop-dgx01-20261121T075300Z.json   # today's rules on recorded facts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if from != "" && o.demo {
				return usageError("--from and --demo cannot be used together")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), checkBudget)
			defer cancel()
			f, rs, rec, err := headlessCheck(ctx, o, from)
			if err != nil {
				return err
			}
			shown := rs
			if problems {
				shown = checks.Problems(rs)
			}
			if asJSON {
				rep := checks.NewReport(f, shown)
				rep.Summary = checks.Summarize(rs)
				if rec != nil {
					rep.Recording = rec
					rep.Changed = checks.ChangedVerdicts(rs)
				}
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(rep); err != nil {
					return &exitError{code: 2, err: err}
				}
			} else if err := checks.WriteReport(stdout, f, shown, checks.TextOptions{Color: colorOK(stdout), Recording: rec, Summary: summaryPtr(rs)}); err != nil {
				return &exitError{code: 2, err: err}
			}
			if code := checks.ExitCode(rs); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON report (schema gputop.check/v1)")
	cmd.Flags().StringVar(&from, "from", "", "judge the facts and events recorded in snapshot `FILE` with today's rules")
	cmd.Flags().BoolVar(&problems, "problems", false, "list only the checks that fail or warn (the summary and exit status still count every check)")
	return cmd
}

func summaryPtr(rs []model.CheckResult) *checks.Summary {
	s := checks.Summarize(rs)
	return &s
}

// headlessCheck gathers (or loads) facts and judges them. From a snapshot
// it judges the recorded facts and event timeline and sets each result's
// recorded verdict; rec then describes the recording.
func headlessCheck(ctx context.Context, o *options, from string) (model.Facts, []model.CheckResult, *checks.Recording, error) {
	if from != "" {
		snap, err := model.LoadSnapshot(from)
		if err != nil {
			return model.Facts{}, nil, nil, &exitError{code: 2, err: err}
		}
		f := checks.FromSnapshot(snap)
		rec := &checks.Recording{File: from, Host: snap.Host, Created: snap.Created, HasChecks: len(snap.Checks) > 0, Missing: f.Missing}
		if rec.Host == "" {
			rec.Host = f.Host
		}
		rs := checks.Evaluate(f)
		if rec.HasChecks {
			rs = checks.CompareRecorded(rs, snap.Checks)
		}
		return f, rs, rec, nil
	}
	f, rs, err := liveCheck(ctx, o)
	return f, rs, nil, err
}

// liveCheck opens NVML (or the demo), gathers the facts and judges them.
func liveCheck(ctx context.Context, o *options) (model.Facts, []model.CheckResult, error) {
	log, closeLog, err := o.logger()
	if err != nil {
		return model.Facts{}, nil, err
	}
	defer closeLog()
	s, err := openSession(ctx, o, log)
	if err != nil {
		return model.Facts{}, nil, err
	}
	defer s.close()
	if s.sampler != nil && s.snap == nil && !o.demo {
		// One fast and one slow reading, so persistence, MIG, PCIe and
		// memory errors are judged rather than skipped.
		s.sampler.Step(time.Now(), true)
	}
	rs, f, err := s.runChecks(ctx)
	if err != nil {
		return f, nil, &exitError{code: 2, err: fmt.Errorf("checks: %w", err)}
	}
	return f, rs, nil
}

// colorOK: colour only on a terminal, and never with NO_COLOR set.
func colorOK(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
