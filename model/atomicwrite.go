package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// WriteFileAtomic writes a file so that readers see either the old file or
// the complete new one, never a half-written file: write calls fill a
// temporary file in the same directory, which is flushed to disk and then
// renamed over path. The file gets mode perm (0600 for snapshots: they can
// name users and processes). On any failure the temporary file is removed
// and the error, wrapped with the path, says why.
//
// Only a regular file is ever replaced: a device (/dev/null, /dev/full), a
// FIFO, a socket, a directory or a symbolic link (/dev/stdout) at path is
// refused with an error, since renaming over it would destroy it (as root,
// /dev/null) and write nothing where the user meant. "-" on the command
// line is how to write to standard output.
func WriteFileAtomic(path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	if st, statErr := os.Lstat(path); statErr == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("write %s: %s, not a regular file; gputop only replaces regular files (use -o - for standard output)",
			path, describeMode(st.Mode()))
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// The temporary name in the *PathError would only confuse.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %s: cannot create a file in %s: %w", path, dir, describeFSError(err))
	}
	tmpName := tmp.Name()
	// Registered so that a signal's exit path removes it too (see
	// RemoveTempFiles); removed from the registry once renamed or removed.
	tempFiles.Store(tmpName, struct{}{})
	defer tempFiles.Delete(tmpName)
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	buf := bufio.NewWriterSize(tmp, 256<<10)
	if err := write(buf); err != nil {
		return fmt.Errorf("write %s: %w", path, describeFSError(err))
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, describeFSError(err))
	}
	// Without the sync a crash after the rename can leave an empty file
	// under the final name on some file systems.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, describeFSError(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, describeFSError(err))
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write %s: %w", path, describeFSError(err))
	}
	// Make the rename itself durable. Some file systems refuse to sync a
	// directory; the file is complete either way, so that is not an error.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// describeFSError adds the likely cause where the system's words leave the
// user guessing.
func describeFSError(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w (is the directory writable?)", err)
	}
	return err
}

// tempFiles are the temporary files WriteFileAtomic is filling now.
var tempFiles sync.Map

// RemoveTempFiles removes the temporary files of writes still in progress.
// The signal handler calls it before exiting, so an interrupted snapshot
// leaves no hidden ".name.*.tmp" behind.
func RemoveTempFiles() {
	tempFiles.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		tempFiles.Delete(k)
		return true
	})
}

// FileKind names what a non-regular file is, for messages: "a FIFO",
// "a character device", "a symbolic link"...
func FileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a plain file"
}

func describeMode(m fs.FileMode) string { return "is " + FileKind(m) }
