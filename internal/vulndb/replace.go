package vulndb

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sightline-sec/sightline/internal/atomicfile"
)

// replaceFile moves a fully written and synced temporary file over dst:
// readable by everyone like any file the user creates (os.CreateTemp
// makes 0600), renamed atomically, and the directory synced so the
// rename itself survives a crash. Until the rename, dst is untouched.
// The one place Write, ImportBundle and Export commit their output.
func replaceFile(tmp, dst string) error {
	return replace(tmp, dst, false)
}

// installDB is replaceFile for a database that passed Verify: it also
// writes the stamp that spares Open the full page check (stamp.go).
func installDB(tmp, dst string) error {
	return replace(tmp, dst, true)
}

func replace(tmp, dst string, stamp bool) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("replacing %s: %w", dst, atomicfile.Cause(err))
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return fmt.Errorf("preparing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("replacing %s: %w", dst, atomicfile.Cause(err))
	}
	if stamp {
		writeStamp(dst, fi) // a rename keeps size and modification time
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync() // best effort: some filesystems refuse directory fsync
		d.Close()
	}
	return nil
}

// syncClose flushes f to stable storage and closes it: a rename may reach
// the disk before the file's data unless the data is synced first.
func syncClose(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
