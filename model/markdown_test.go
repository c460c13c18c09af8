package model

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./model/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./model/ -update rewrites it after review):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestWriteMarkdownGolden(t *testing.T) {
	in := testInput()
	in.GPUs = testRecords(3, 2*time.Second, 100*time.Millisecond)
	// GPU 1 fell off the bus: it has no reading at all, so every value is
	// unavailable and must say so rather than 0.
	lost := &in.GPUs[1]
	lost.Samples, lost.SlowSamples = nil, nil
	lost.MemoryTotal = None[uint64]()
	lost.Health = Health{State: Lost, Reason: "GPU_IS_LOST: GPU is lost", Since: TimestampOf(testEpoch)}
	// GPU 2 has a process from another PID namespace.
	gpu2 := &in.GPUs[2]
	gpu2.SlowSamples[len(gpu2.SlowSamples)-1].Processes = []Process{{PID: 91234, GPUIndex: 2, Kind: "compute",
		UsedMemory: Some[uint64](3 << 30)}}
	in.Versions.Driver = "580.95.05 (open kernel module)"

	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, NewSnapshot(in)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// The properties the golden file is there to show.
	for _, want := range []string{
		"**dgx01** · 3 GPUs · 1 fail / 1 warn / 1 pass / 1 skip · 2026-11-21 07:53:10 UTC · gputop 0.1.0, source nvml",
		"| 1 | NVIDIA H100 80GB HBM3 | N/A | N/A | N/A | N/A | ✖ LOST +2 (GPU_IS_LOST: GPU is lost) |",
		"### WARN: Persistence mode \\| GPU 1\n\nCheck `persistence.gpu1`, GPU 1.",
		"```sh\nsudo systemctl enable --now nvidia-persistenced\necho `nvidia-smi -q | grep Persist`\n```",
		"| CUDA supported by the driver | 13.0 |",
		"| cuDNN | not found |",
		"--hf-token [REDACTED]",
		"| 07:53:01.000 | 1 | error | Xid 79: GPU has fallen off the bus (action: reseat the GPU) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Index(out, "### FAIL") > strings.Index(out, "### WARN") || strings.Index(out, "### WARN") > strings.Index(out, "## GPUs") {
		t.Error("failing checks must come first, then warnings, then the GPU table")
	}
	checkGolden(t, "report.golden", buf.Bytes())
}

func TestWriteMarkdownEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, NewSnapshot(SnapshotInput{Created: testEpoch})); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report-empty.golden", buf.Bytes())
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"fence around a fence", codeFence("cat <<EOF\n```\nEOF"), "````"},
		{"plain fence", codeFence("echo `date`"), "```"},
		{"cell keeps the row", mdCell("a | b\nc"), `a \| b c`},
		{"inline cannot start a heading", mdInline("x\n# y"), "x # y"},
		{"code span", mdCode("a`b"), "a'b"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestWriteMarkdownMarksDemo(t *testing.T) {
	for source, want := range map[string]bool{"demo": true, "nvml": false, "": false} {
		in := testInput()
		in.System.Source = source
		var buf bytes.Buffer
		if err := WriteMarkdown(&buf, NewSnapshot(in)); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "Simulated GPUs"); got != want {
			t.Errorf("source %q: simulated note shown %v, want %v", source, got, want)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestWriteMarkdownWriteError(t *testing.T) {
	err := WriteMarkdown(failingWriter{}, NewSnapshot(testInput()))
	if err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}
