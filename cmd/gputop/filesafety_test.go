package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gputop/gputop/model"
)

// TestSnapshotRefusesNonRegularTargets: issue 11 item 5. `snapshot -o
// /dev/null` (as root) renamed a regular file over the device and printed
// nothing. The targets here are made in a temporary directory so that a
// regression cannot take the machine's /dev/null with it. `-o -` is the way
// to standard output.
func TestSnapshotRefusesNonRegularTargets(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "stdout")
	if err := os.Symlink("/proc/self/fd/1", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	targets := []string{link, fifo}
	null := filepath.Join(dir, "null")
	if syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3) == nil {
		targets = append(targets, null)
	}
	for _, target := range targets {
		before, _ := os.Lstat(target)
		code, _, stderr := runArgs(t, "snapshot", "--demo", "-o", target)
		if code != 2 || !strings.Contains(stderr, "not a regular file") || strings.Count(stderr, "\n") > 2 {
			t.Errorf("%s: exit %d, stderr %q", target, code, stderr)
		}
		after, err := os.Lstat(target)
		if err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s was replaced", target)
		}
	}
	code, stdout, _ := runArgs(t, "snapshot", "--demo", "-o", "-")
	if code != 0 || !strings.HasPrefix(stdout, `{"schema":"`+model.SnapshotSchema) {
		t.Errorf("-o -: exit %d, stdout starts %q", code, stdout[:min(len(stdout), 40)])
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(targets) {
		t.Errorf("files left behind: %v", ents)
	}
}

// TestErrorsQuoteFileNamesSafely: an error names the file it could not
// read; a file name with escapes (from a glob of someone's files) must not
// reach the terminal raw.
func TestErrorsQuoteFileNamesSafely(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x\x1b]0;PWNED\x07.json")
	if err := os.WriteFile(p, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "--from", p}, {"--replay", p}} {
		code, _, stderr := runArgs(t, args...)
		if code != 2 || strings.ContainsAny(stderr, "\x1b\x07") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args[0], code, stderr)
		}
	}
}
