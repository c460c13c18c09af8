// Command gputop is a terminal dashboard for live multi-GPU diagnosis: NVML
// samples at high frequency, one pane per GPU, and a compatibility checklist
// that says what is wrong and which command fixes it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gputop/gputop/model"
	"github.com/gputop/gputop/model/safe"
	"github.com/gputop/gputop/sampler"
	"github.com/gputop/gputop/themes"
)

// version is set at build time (-ldflags -X main.version=...); otherwise the
// module's build info is used.
var version = ""

func gputopVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad input: exit 2 with one clear line.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// options are the flags shared by the dashboard and the subcommands.
type options struct {
	interval        time.Duration
	demo            bool
	gpus            int
	seed            int64
	replay          string
	theme           string
	logFile         string
	readOnly        bool
	includeCmdlines bool
	cpuProfile      string
	memProfile      string
	args            []string       // the command line, for the fleet build (fleet_exec.go)
	gpusSet         bool           // --gpus was given
	cluster         clusterOptions // --prometheus (cluster.go)
}

func (o *options) validate() error {
	if o.interval < sampler.MinInterval {
		return usageError("--interval %v is too short: the minimum is %v", o.interval, sampler.MinInterval)
	}
	if o.interval > time.Minute {
		return usageError("--interval %v is too long: the maximum is 1m", o.interval)
	}
	if o.gpusSet && !o.demo {
		return usageError("--gpus sets the size of the simulated fleet: use it with --demo")
	}
	if o.gpus < 1 || o.gpus > 16 {
		return usageError("--gpus %d is out of range: the simulated fleet has 1 to 16 GPUs", o.gpus)
	}
	if o.demo && o.replay != "" {
		return usageError("--demo and --replay cannot be used together")
	}
	if o.theme != "" {
		if _, err := themes.Get(o.theme); err != nil {
			return usageError("%v", err)
		}
	}
	return nil
}

// logger writes to --log FILE, never to the terminal the TUI owns.
func (o *options) logger() (*slog.Logger, func(), error) {
	if o.logFile == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, usageError("--log: %v", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}

func newRootCmd(args []string, stdout, stderr io.Writer) *cobra.Command {
	o := &options{args: args}
	root := &cobra.Command{
		Use:   "gputop",
		Short: "Live multi-GPU dashboard with a compatibility checklist and fixes",
		Long: `gputop polls NVML at high frequency and shows one pane per GPU (memory,
utilisation, temperature, power, clocks, throttling, with history), plus a
checklist of the driver/CUDA/cuDNN/PyTorch/BAR1/PCIe stack that says what is
wrong, the evidence, and the command that fixes it. gputop never runs a fix.

Without a GPU or a driver, gputop still opens and explains what is missing;
--demo shows a simulated fleet of 8 GPUs.`,
		Example: `  gputop                       watch this machine's GPUs
  gputop --demo --gpus 4       a simulated fleet of 4 GPUs
  gputop check                 the checklist without the dashboard (exit 1 on a fail)
  gputop snapshot -o box.json  record the dashboard and checklist to a file
  gputop --replay box.json     open a snapshot anywhere, no GPU needed
  gputop serve                 Prometheus metrics of this node on 127.0.0.1:9400
  gputop --prometheus http://prometheus:9090   every GPU of the cluster`,
		Version:       gputopVersion(),
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if err := o.cluster.validate(o); err != nil {
				return err
			}
			if o.cluster.url != "" {
				return runCluster(cmd.Context(), o)
			}
			if o.cpuProfile != "" {
				f, err := os.Create(o.cpuProfile)
				if err != nil {
					return usageError("--cpuprofile: %v", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return usageError("--cpuprofile: %v", err)
				}
				defer pprof.StopCPUProfile()
			}
			if o.memProfile != "" {
				stop, err := startMemProfile(o.memProfile)
				if err != nil {
					return usageError("--memprofile: %v", err)
				}
				defer stop()
			}
			return runDashboard(cmd.Context(), o)
		},
	}
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		o.gpusSet = cmd.Flags().Changed("gpus")
		return nil
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("gputop {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.DurationVar(&o.interval, "interval", sampler.DefaultInterval, "fast sampling period (10ms to 1m)")
	pf.BoolVar(&o.demo, "demo", false, "use the simulated fleet instead of NVML")
	o.gpus = 8
	pf.Var((*gpuCount)(&o.gpus), "gpus", "number of simulated GPUs with --demo (1-16)")
	pf.Int64Var(&o.seed, "seed", 1, "seed of the simulated fleet")
	pf.StringVar(&o.logFile, "log", "", "write a debug log to `FILE` (never to the terminal)")
	pf.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to `FILE` (for overhead work)")
	_ = pf.MarkHidden("cpuprofile")
	pf.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to `FILE` at exit, and FILE.base 5 s after start (for overhead work)")
	_ = pf.MarkHidden("memprofile")
	f := root.Flags()
	f.StringVar(&o.replay, "replay", "", "open a snapshot `FILE` instead of live GPUs")
	f.StringVar(&o.theme, "theme", "", "colour theme: "+themeList()+" (NO_COLOR forces mono)")
	f.BoolVar(&o.readOnly, "readonly", false, "disable actions that change anything (signalling processes)")
	f.BoolVar(&o.includeCmdlines, "include-cmdlines", false, "keep full process command lines in snapshots (secrets are redacted by default)")
	addClusterFlags(f, &o.cluster)
	root.AddCommand(newCheckCmd(o, stdout), newSnapshotCmd(o, stdout, stderr), newServeCmd(o, stderr))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.SetArgs(args)
	return root
}

// gpuCount is --gpus: a whole number, said plainly when it is not one
// (strconv's "parsing \"abc\": invalid syntax" is not for users).
type gpuCount int

func (g *gpuCount) String() string { return strconv.Itoa(int(*g)) }
func (g *gpuCount) Type() string   { return "int" }
func (g *gpuCount) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("want a whole number of GPUs from 1 to 16")
	}
	*g = gpuCount(n)
	return nil
}

func themeList() string {
	s := ""
	for i, n := range themes.Names() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

func main() {
	tuneRuntime(os.Getenv)
	owner, ctx := newSignalOwner(context.Background())
	theSignalOwner = owner
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if c, ok := owner.exitCode(); ok {
		// SIGINT 130, SIGTERM 143, SIGHUP 129, SIGQUIT 131.
		model.RemoveTempFiles()
		code = c
	}
	os.Exit(code)
}

// run executes gputop and returns the exit code: 0 fine, 1 a check failed,
// 2 bad input or an error.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run under ctx (cancelled by the signal owner in main).
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(args, stdout, stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "gputop: "+safe.Line(ee.err.Error()))
		}
		return ee.code
	}
	// Errors quote file names and file contents: one safe line.
	fmt.Fprintln(stderr, "gputop: "+safe.Line(err.Error()))
	return 2
}
