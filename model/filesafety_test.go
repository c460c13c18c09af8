package model

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteRefusesNonRegular: issue 11 item 5. As root, `snapshot -o
// /dev/null` renamed a regular 0600 file over the device node. The test
// makes its own nodes in a temporary directory: a broken writer must not
// take the machine's /dev/null with it.
func TestWriteRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	targets := map[string]func(p string) error{
		"fifo":    func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"symlink": func(p string) error { return os.Symlink("/proc/self/fd/1", p) },
		"dir":     func(p string) error { return os.Mkdir(p, 0o700) },
		"chardev": func(p string) error {
			// /dev/null's numbers (1, 3); needs CAP_MKNOD.
			return syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3)
		},
	}
	for name, mk := range targets {
		p := filepath.Join(dir, name)
		if err := mk(p); err != nil {
			t.Logf("%s: cannot create (%v); skipped", name, err)
			continue
		}
		before, _ := os.Lstat(p)
		err := WriteFileAtomic(p, 0o600, func(w io.Writer) error { _, err := w.Write([]byte("{}")); return err })
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
		after, lerr := os.Lstat(p)
		if lerr != nil || after.Mode() != before.Mode() {
			t.Errorf("%s: replaced (mode %v -> %v)", name, before.Mode(), after.Mode())
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(targets) {
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("left %s behind", e.Name())
			}
		}
	}
	// A regular file is still replaced.
	reg := filepath.Join(dir, "snap.json")
	os.WriteFile(reg, []byte("old"), 0o600)
	if err := WriteFileAtomic(reg, 0o600, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(reg); string(b) != "new" {
		t.Errorf("regular file not replaced: %q", b)
	}
}

// TestRemoveTempFilesDuringWrite: an interrupted snapshot left hidden .tmp
// files of up to 27 MB. The signal path calls RemoveTempFiles.
func TestRemoveTempFilesDuringWrite(t *testing.T) {
	dir := t.TempDir()
	writing, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- WriteFileAtomic(filepath.Join(dir, "s.json"), 0o600, func(w io.Writer) error {
			w.Write(bytes.Repeat([]byte("x"), 1<<20))
			close(writing)
			<-release
			return nil
		})
	}()
	<-writing
	tmps, _ := filepath.Glob(filepath.Join(dir, ".s.json.*.tmp"))
	if len(tmps) != 1 {
		t.Fatalf("temporary files during the write: %v", tmps)
	}
	RemoveTempFiles()
	if _, err := os.Stat(tmps[0]); !os.IsNotExist(err) {
		t.Errorf("%s still there after RemoveTempFiles", tmps[0])
	}
	close(release)
	<-done
}

// TestLoadRefusesFIFO: item 6. A FIFO given to --replay or check --from
// hung forever.
func TestLoadRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "snap.json")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadSnapshot(p); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
			t.Errorf("err = %v", err)
		}
		checkOneLine(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("LoadSnapshot blocked on a FIFO")
	}
}

// TestNewSnapshotWritesWhatTheLoaderReads: what this machine produced can
// exceed the loader's limits (a huge torch version string in a hostile
// version.py, a long toolkit path, a 70 KiB evidence); the writer clips it
// so the file opens again, and leaves the caller's data alone.
func TestNewSnapshotWritesWhatTheLoaderReads(t *testing.T) {
	in := testInput()
	huge := strings.Repeat("é", 40<<10) // 80 KiB
	in.Facts.Torch = []TorchInstall{{Path: "/venv/torch/version.py", Version: huge}}
	in.Facts.NVCC.Output = huge
	in.Versions.Toolkit = []string{"12.8 (/" + strings.Repeat("d/", 1500) + ")"}
	in.Checks[0].Evidence = huge
	in.System.Host = strings.Repeat("h", 2000)
	snap := NewSnapshot(in)
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeSnapshot(&buf, 0); err != nil {
		t.Fatalf("gputop's own snapshot is refused: %v", err)
	}
	if in.Facts.Torch[0].Version != huge || in.Checks[0].Evidence != huge {
		t.Error("the caller's data was clipped")
	}
}
