package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes a file so that readers see either the old file or
// the complete new one, never a half-written file: write calls fill a
// temporary file in the same directory, which is flushed to disk and then
// renamed over path. The file gets mode perm (0600 for snapshots: they can
// name users and processes). On any failure the temporary file is removed
// and the error, wrapped with the path, says why.
func WriteFileAtomic(path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	if st, statErr := os.Stat(path); statErr == nil && st.IsDir() {
		return fmt.Errorf("write %s: is a directory", path)
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
