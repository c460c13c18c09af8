package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The glue over sampler/procmem, on this process: the largest mappings
// come first, one line each, and the status fields are found by name.
func TestTopMappingsAndStatusSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip(err) // not Linux
	}
	lines := strings.Split(strings.TrimSuffix(topMappings(os.Getpid(), 3), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3: %q", len(lines), lines)
	}
	prev := int64(1 << 62)
	for _, l := range lines {
		var kb int64
		var rng, perms string
		if _, err := fmt.Sscanf(l, "%d kB %s %s", &kb, &rng, &perms); err != nil || !strings.Contains(rng, "-") || kb > prev {
			t.Errorf("line %q (after %d kB): %v", l, prev, err)
		}
		prev = kb
	}
	if !strings.HasSuffix(topMappings(-1, 3), "no such file or directory\n") {
		t.Errorf("a missing process: %q", topMappings(-1, 3))
	}
	if statusField("/proc/self/status", "VmHWM") <= 0 || statusField("/proc/self/status", "voluntary_ctxt_switches") < 0 {
		t.Error("VmHWM not read")
	}
	if statusField("/proc/self/status", "NoSuchField") != 0 || statusField("/no/such/file", "VmHWM") != 0 {
		t.Error("a missing field or file is not 0")
	}
}

// The process's CPU from its threads' schedstat: a thread born in between
// counts from zero; a thread gone, or one whose schedstat could not be
// read, leaves the figure to the clock ticks.
func TestRunDelta(t *testing.T) {
	ms := time.Millisecond
	th := func(run time.Duration) thread { return thread{run: run} }
	for _, c := range []struct {
		name          string
		before, after map[string]thread
		want          time.Duration
		ok            bool
	}{
		{"both threads stay", map[string]thread{"1": th(10 * ms), "2": th(5 * ms)}, map[string]thread{"1": th(13 * ms), "2": th(6 * ms)}, 4 * ms, true},
		{"a thread is born", map[string]thread{"1": th(10 * ms)}, map[string]thread{"1": th(11 * ms), "3": th(2 * ms)}, 3 * ms, true},
		{"a thread exits", map[string]thread{"1": th(10 * ms), "2": th(5 * ms)}, map[string]thread{"1": th(11 * ms)}, 0, false},
		{"unreadable before", map[string]thread{"1": th(-1)}, map[string]thread{"1": th(11 * ms)}, 0, false},
		{"unreadable born", map[string]thread{"1": th(1 * ms)}, map[string]thread{"1": th(2 * ms), "2": th(-1)}, 0, false},
		{"process gone", map[string]thread{"1": th(1 * ms)}, map[string]thread{}, 0, false},
	} {
		got, ok := runDelta(c.before, c.after)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// On this process: schedstat's run time agrees with utime+stime to within
// the clock ticks' resolution, after some work.
func TestRunTimeSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip(err) // not Linux
	}
	// 300 ms of this process's CPU, however loaded the machine is.
	cpu := func() time.Duration {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ts.Nano())
	}
	start, deadline := cpu(), time.Now().Add(20*time.Second)
	for x := 0; cpu()-start < 300*time.Millisecond && time.Now().Before(deadline); x++ {
		_ = x * x
	}
	th := threads(os.Getpid())
	var run time.Duration
	for _, x := range th {
		if x.run < 0 {
			t.Skip("no schedstat on this kernel")
		}
		run += x.run
	}
	ticks, err := cpuTime("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	if run < 250*time.Millisecond {
		t.Errorf("threads ran %v, want at least the 300 ms loop", run)
	}
	// utime+stime include exited threads and lag by up to a tick per thread.
	if d := run - ticks; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("schedstat %v against utime+stime %v", run, ticks)
	}
	if runTime("/no/such/schedstat") != -1 {
		t.Error("a missing schedstat is not -1")
	}
}
