// Package atomicfile writes a file so that readers see either the old
// content or the whole new content, never half: the data goes to a
// temporary file beside the destination, is synced, and is renamed over it
// (rename(2) is atomic within a filesystem, POSIX.1-2017).
//
// Errors name the destination, never the temporary file: its random name
// (".r.json.tmp-1120877096") means nothing to the user, who never asked
// for it. Cause does the same for callers that manage their own
// temporary files.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Write writes data to path with permission perm (before umask).
// Errors wrap the operating-system cause (fs.ErrNotExist,
// fs.ErrPermission, …) and name path.
func Write(path string, data []byte, perm fs.FileMode) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("writing %s: %w", path, syscall.EISDIR)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, Cause(err))
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), perm)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, Cause(err))
	}
	return nil
}

// Cause strips the *fs.PathError or *os.LinkError around err, which name
// the file an operation was given (a temporary file), and returns the
// operating-system error beneath ("no such file or directory").
// Other errors are returned unchanged.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
