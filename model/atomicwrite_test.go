package model

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// dirEntries lists a directory, to prove no temporary file was left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snap.json")

	if err := WriteFileAtomic(path, 0o600, writeString("first")); err != nil {
		t.Fatal(err)
	}
	// Replacing an existing, more open file gives the new content and 0600.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, 0o600, writeString("second")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "second" || st.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v, want \"second\" 0600", got, st.Mode().Perm())
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only snap.json", names)
	}
}

func TestWriteFileAtomicFailures(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.json")
	if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	diskFull := func(w io.Writer) error {
		if _, err := io.WriteString(w, "partial"); err != nil {
			return err
		}
		return fmt.Errorf("encode snapshot: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	}
	tests := []struct {
		name  string
		path  string
		write func(io.Writer) error
		want  string
	}{
		{"path is a directory", subdir, writeString("x"), subdir + ": is a directory"},
		{"parent missing", filepath.Join(dir, "nope", "x.json"), writeString("x"), "nope/x.json: "},
		{"parent is a file", filepath.Join(existing, "x.json"), writeString("x"), "not a directory"},
		{"disk full while writing", existing, diskFull, "existing.json: encode snapshot: write x: no space left on device"},
		{"writer fails", existing, func(io.Writer) error { return errors.New("boom") }, "existing.json: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFileAtomic(tc.path, 0o600, tc.write)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "write "+tc.path) {
				t.Errorf("err %q does not name the path", err)
			}
			// Nothing half-written: the old file is intact, no temp file.
			if got, _ := os.ReadFile(existing); string(got) != "old" {
				t.Errorf("existing file now holds %q", got)
			}
			if names := dirEntries(t, dir); len(names) != 2 {
				t.Errorf("directory holds %v, want only existing.json and a-directory", names)
			}
			if names := dirEntries(t, subdir); len(names) != 0 {
				t.Errorf("the directory target got entries %v", names)
			}
		})
	}
	if err := WriteFileAtomic(existing, 0o600, diskFull); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("disk full error %v does not wrap ENOSPC", err)
	}
}

func TestWriteFileAtomicReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories; the permission case cannot be produced")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	err := WriteFileAtomic(filepath.Join(dir, "x.json"), 0o600, writeString("x"))
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v, want permission denied", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("read-only directory got %v", names)
	}
}
