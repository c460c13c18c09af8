//go:build nofleet

package main

// The dashboard-only build (`go build -tags nofleet`, what `make build`
// installs as bin/gputop). It leaves out the fleet commands' code (the
// Prometheus client, promhttp, exporter-toolkit, protobuf, the HTTP server,
// TLS, YAML and OAuth2 configuration, the cluster view): 161 packages
// instead of 352, a stripped binary of 9.8 MB instead of 18.7 MB. Linux maps
// a Go binary's pages as the program runs (and faults in their neighbours), so
// nearly the whole file ends up resident: the dashboard's peak RSS fell by
// the same 9-10 MB (docs/performance.md, "Memory").
//
// `gputop serve` and `gputop --prometheus` keep working: their flags, help
// and the check of the dashboard's own options are the same code in both
// builds, and the command itself replaces this process with gputop-fleet
// (the full build, next to this binary or on PATH) with the same arguments,
// so its output, exit codes and signals are gputop-fleet's own.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// fleetBinary is the full build's name, next to the dashboard's.
const fleetBinary = "gputop-fleet"

// fleetExecEnv is set for gputop-fleet, so that a dashboard-only build
// installed under that name fails instead of executing itself forever.
const fleetExecEnv = "GPUTOP_FLEET_EXEC"

func serveCmd(_ context.Context, o *options, _ *serveOptions, _ io.Writer) error {
	return execFleet(o.args, "serve")
}

func runCluster(_ context.Context, o *options) error {
	return execFleet(o.args, "--prometheus")
}

// findFleet looks beside the running executable (symbolic links resolved),
// then on PATH.
func findFleet() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(exe), fleetBinary)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return exec.LookPath(fleetBinary)
}

func execFleet(args []string, what string) error {
	if os.Getenv(fleetExecEnv) != "" {
		return &exitError{code: 2, err: fmt.Errorf("%s: %s is a dashboard-only build too (-tags nofleet); rebuild it with `make build`", what, fleetBinary)}
	}
	path, err := findFleet()
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("%s needs %s, the full build, beside this gputop or on PATH: "+
			"this gputop is the dashboard-only build (no Prometheus code, to stay small). "+
			"`make build` builds both; `go build ./cmd/gputop` builds one gputop with everything", what, fleetBinary)}
	}
	env := append(os.Environ(), fleetExecEnv+"=1")
	err = syscall.Exec(path, append([]string{path}, args...), env)
	return &exitError{code: 2, err: fmt.Errorf("%s: running %s: %w", what, path, err)}
}
