package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
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
