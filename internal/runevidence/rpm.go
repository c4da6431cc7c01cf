package runevidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	rpmdb "github.com/erikvarga/go-rpmdb/pkg"

	"github.com/sightline-sec/sightline/internal/inventory"
)

// rpmDBFiles are the rpm database files, newest format first: SQLite
// (Fedora 33+, RHEL 9, Amazon Linux 2023), NDB (SUSE), Berkeley DB
// (RHEL ≤ 8, Amazon Linux 2), in the two database directories rpm uses
// (/var/lib/rpm, and /usr/lib/sysimage/rpm since rpm 4.16 on some
// distributions).
var rpmDBFiles = []string{"rpmdb.sqlite", "Packages.db", "Packages"}

// maxRPMDB bounds the copy of an rpm database (a full RHEL install has
// about 100 MiB of Packages).
const maxRPMDB = 1 << 30

// readRpm reads the rpm database with go-rpmdb, the reader osv-scalibr's
// rpm extractor uses. The database is first copied out of the container
// through rootFS (go-rpmdb opens a path, and a path under /proc/<pid>/root
// would let the kernel follow the container's absolute symlinks on the
// host); a SQLite database's -wal and -shm files are copied beside it.
func readRpm(ctx context.Context, r *rootFS, osRelease map[string]string) ([]PackageFiles, []string, error) {
	for _, dir := range rpmDBs {
		for _, name := range rpmDBFiles {
			p := path.Join(dir, name)
			pkgs, err := readRpmDB(ctx, r, p, osRelease)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if err != nil {
				return nil, []string{fmt.Sprintf("rpm database %s%s: %v; rpm packages have no runtime state", r.name, p, err)}, nil
			}
			return pkgs, nil, nil
		}
	}
	return nil, nil, nil
}

func readRpmDB(ctx context.Context, r *rootFS, p string, osRelease map[string]string) ([]PackageFiles, error) {
	tmp, err := os.MkdirTemp("", "sightline-rpmdb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, path.Base(p))
	if err := r.copyOut(p, local, maxRPMDB); err != nil {
		return nil, err
	}
	for _, side := range []string{"-wal", "-shm"} {
		if err := r.copyOut(p+side, local+side, maxRPMDB); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	db, err := rpmdb.Open(local)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	list, err := db.ListPackagesWithContext(ctx)
	if err != nil {
		return nil, err
	}
	var out []PackageFiles
	for _, pi := range list {
		if pi.Name == "gpg-pubkey" { // imported signing keys, not software
			continue
		}
		vr := pi.Version + "-" + pi.Release
		epoch := 0
		if pi.Epoch != nil {
			epoch = *pi.Epoch
		}
		pf := PackageFiles{Name: pi.Name, Version: inventory.EVR(epoch, vr), Type: "rpm",
			Ecosystem: inventory.RPMEcosystem(osRelease, vr)}
		files, err := pi.InstalledFileNames()
		if err != nil {
			return nil, fmt.Errorf("package %s: file names: %w", pi.Name, err)
		}
		if files != nil {
			pf.Files = files
		}
		out = append(out, pf)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// copyOut copies file p of the container to the local path dst, at most
// limit bytes.
func (r *rootFS) copyOut(p, dst string, limit int64) error {
	f, err := r.open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s%s: not a regular file", r.name, p)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, bounded(f, limit))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s%s: %w", r.name, p, err)
	}
	return nil
}
