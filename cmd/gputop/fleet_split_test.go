package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fleetOnly are packages the dashboard has no use for: the Prometheus
// client, exporter and API configuration, protobuf, the HTTP server and TLS,
// YAML, OAuth2, and gputop's own fleet packages. Linked into the dashboard
// they cost it about 9 MB of binary, nearly all of it resident
// (docs/performance.md, "Memory").
var fleetOnly = []string{
	"github.com/prometheus/",
	"google.golang.org/protobuf/",
	"net/http",
	"crypto/tls",
	"go.yaml.in/yaml/",
	"golang.org/x/oauth2",
	"github.com/gputop/gputop/sampler/promapi",
	"github.com/gputop/gputop/sampler/promexport",
	"github.com/gputop/gputop/ui/cluster",
}

func goListDeps(t *testing.T, tags string) []string {
	t.Helper()
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := exec.Command("go", append(args, ".")...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.Fields(string(out))
}

func fleetPackagesIn(deps []string) []string {
	var found []string
	for _, d := range deps {
		for _, f := range fleetOnly {
			if d == f || strings.HasPrefix(d, f) {
				found = append(found, d)
				break
			}
		}
	}
	return found
}

// TestDashboardBuildLeavesFleetOut: the dashboard-only build (make build's
// bin/gputop) links none of the fleet's packages; the full build does, so
// the list names real packages.
func TestDashboardBuildLeavesFleetOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	dash := goListDeps(t, "nofleet")
	if found := fleetPackagesIn(dash); len(found) > 0 {
		t.Errorf("the dashboard-only build links %d fleet-only packages (move their use behind the nofleet tag, fleet_exec.go):\n%s",
			len(found), strings.Join(found, "\n"))
	}
	full := goListDeps(t, "")
	for _, f := range fleetOnly {
		if !strings.Contains("\n"+strings.Join(full, "\n"), "\n"+f) {
			t.Errorf("the full build does not link %s: update fleetOnly", f)
		}
	}
	t.Logf("packages linked: dashboard %d, full %d", len(dash), len(full))
}

// The dashboard-only build says the same as the full one: same help, same
// flags, same version, for the dashboard and for the fleet commands.
func TestDashboardBuildHelpIsTheFullBuilds(t *testing.T) {
	bin := gputopBinary(t)
	fleet := filepath.Join(filepath.Dir(bin), "gputop-fleet")
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"check", "--help"}, {"--version"}} {
		dash, err1 := exec.Command(bin, args...).CombinedOutput()
		full, err2 := exec.Command(fleet, args...).CombinedOutput()
		if err1 != nil || err2 != nil {
			t.Fatalf("%v: %v / %v", args, err1, err2)
		}
		if string(dash) != string(full) {
			t.Errorf("%v differs between the builds:\n--- gputop\n%s\n--- gputop-fleet\n%s", args, dash, full)
		}
	}
}

// Without gputop-fleet, serve and --prometheus say what is missing and how
// to get it (exit 2); a dashboard-only build installed as gputop-fleet is
// refused instead of running itself again and again.
func TestFleetCommandsWithoutFleetBinary(t *testing.T) {
	bin := gputopBinary(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	alone := filepath.Join(dir, "gputop")
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(alone, args...)
		cmd.Env = append(os.Environ(), "PATH="+dir)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	for _, args := range [][]string{{"serve", "--demo", "--listen", "127.0.0.1:0"}, {"--prometheus", "http://127.0.0.1:1"}} {
		code, out := run(args...)
		if code != 2 || !strings.Contains(out, "needs gputop-fleet") || !strings.Contains(out, "make build") || strings.Count(out, "\n") != 1 {
			t.Errorf("%v without gputop-fleet: exit %d\n%s", args, code, out)
		}
	}
	// Bad input is still judged by the dashboard build before anything runs.
	if code, out := run("--prometheus", "http://x", "--demo"); code != 2 || !strings.Contains(out, "cannot be used with --demo") {
		t.Errorf("--prometheus --demo: exit %d\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "gputop-fleet"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out := run("serve", "--demo", "--listen", "127.0.0.1:0"); code != 2 || !strings.Contains(out, "dashboard-only build too") {
		t.Errorf("serve with a dashboard-only gputop-fleet: exit %d\n%s", code, out)
	}
}
