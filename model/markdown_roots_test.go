package model

import (
	"bytes"
	"strings"
	"testing"
)

// The report puts a root cause first, marks what follows from it (without
// repeating its fix), and counts followers once.
func TestMarkdownRootCause(t *testing.T) {
	in := SnapshotInput{Created: testEpoch, System: System{Host: "box"}, Checks: []CheckResult{
		{ID: "nvml.library", Title: "NVML library", Status: Fail, Evidence: "missing", Fix: "sudo modprobe nvidia", FollowsFrom: "pci.gpus"},
		{ID: "cuda.toolkit", Title: "Toolkit", Status: Warn, Evidence: "two", Fix: "pick one"},
		{ID: "pci.gpus", Title: "No NVIDIA GPU in this container", Status: Fail, Evidence: "none", Fix: "docker run --gpus all", Root: true},
	}}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, NewSnapshot(in)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	root, follower, warn := strings.Index(out, "No NVIDIA GPU in this container"), strings.Index(out, "### FAIL: NVML library"), strings.Index(out, "### WARN: Toolkit")
	if root < 0 || follower < root || warn < follower {
		t.Fatalf("order root %d, follower %d, warn %d:\n%s", root, follower, warn, out)
	}
	for _, want := range []string{"root cause: fix it first", "follows from `pci.gpus`", "1 fail / 1 warn / 0 pass / 0 skip (+1 following from a root cause)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sudo modprobe nvidia") {
		t.Error("a follower's fix is repeated")
	}
}
