package runevidence

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/sightline-sec/sightline/internal/inventory"
)

// PackageFiles is one installed package and the files it installed, as the
// package manager's database lists them (paths inside the container).
type PackageFiles struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the advisory ecosystem of the OS ("Debian:12",
	// "Alpine:v3.20"), as internal/inventory names it; "" when os-release
	// is missing.
	Ecosystem string `json:"ecosystem"`
	// Type is the package type: "deb", "apk" or "rpm".
	Type string `json:"type"`
	// Files are absolute paths with their directories resolved through the
	// container's symlinks (so /lib/x86_64-linux-gnu/libc.so.6 of a
	// merged-/usr Debian is /usr/lib/x86_64-linux-gnu/libc.so.6, as the
	// kernel prints it in /proc/<pid>/maps). Nil when the database has no
	// file list for the package: its state is then "unknown".
	Files []string `json:"files"`
}

// Size limits of the package databases read from a container.
const (
	maxStatus   = 64 << 20 // dpkg status, apk installed
	maxFileList = 16 << 20 // one dpkg .list / .md5sums
	// maxListsTotal bounds all the dpkg lists of one root together (a full
	// Debian install: about 8 MiB), so a hostile database of many packages
	// pointing at large lists cannot exhaust memory.
	maxListsTotal = 256 << 20
)

// Package database locations (dpkg(1) FILES; apk-tools' installed db;
// distroless images keep one status file per package in status.d).
const (
	dpkgStatus  = "/var/lib/dpkg/status"
	dpkgStatusD = "/var/lib/dpkg/status.d"
	dpkgInfo    = "/var/lib/dpkg/info"
	apkDB       = "/lib/apk/db/installed"
)

var rpmDBs = []string{"/var/lib/rpm", "/usr/lib/sysimage/rpm"}

// ReadPackageFiles reads the installed dpkg, apk and rpm packages of the
// filesystem at root (a container's /proc/<pid>/root, see Evidence.Root,
// or an unpacked image) with their file lists. What cannot be read (a
// missing .list, a database that does not parse) is returned as gaps, and
// the packages concerned have no Files. A root that cannot be opened is an
// error.
func ReadPackageFiles(ctx context.Context, root string) ([]PackageFiles, []string, error) {
	r, err := openRootFS(root)
	if err != nil {
		return nil, nil, fmt.Errorf("package file lists: %w", err)
	}
	defer r.Close()
	osRelease := readOSRelease(r)
	eco := inventory.Ecosystem(osRelease)
	var out []PackageFiles
	var gaps []string
	for _, read := range []func(context.Context, *rootFS) ([]PackageFiles, []string, error){readDpkg, readDpkgStatusD, readApk} {
		pkgs, g, err := read(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		for i := range pkgs {
			pkgs[i].Ecosystem = eco
		}
		out = append(out, pkgs...)
		gaps = append(gaps, g...)
	}
	rpms, g, err := readRpm(ctx, r, osRelease)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, rpms...)
	gaps = append(gaps, g...)
	for i := range out {
		for j, f := range out[i].Files {
			out[i].Files[j] = r.canonical(f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, gaps, nil
}

// readOSRelease reads os-release(5): /etc/os-release, else
// /usr/lib/os-release; empty when neither exists.
func readOSRelease(r *rootFS) map[string]string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := r.readFile(p, 64<<10); err == nil {
			return inventory.ParseOSRelease(b)
		}
	}
	return map[string]string{}
}

// readDpkg reads /var/lib/dpkg/status and each installed package's
// info/<name>.list (info/<name>:<arch>.list for Multi-Arch: same
// packages, as dpkg names them).
func readDpkg(ctx context.Context, r *rootFS) ([]PackageFiles, []string, error) {
	b, err := r.readFile(dpkgStatus, maxStatus)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, []string{fmt.Sprintf("dpkg status %s%s: %v", r.name, dpkgStatus, err)}, nil
	}
	stanzas, err := parseDpkgStatus(bytes.NewReader(b))
	if err != nil {
		return nil, []string{fmt.Sprintf("dpkg status %s%s: %v", r.name, dpkgStatus, err)}, nil
	}
	var out []PackageFiles
	var gaps []string
	for _, s := range stanzas {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		p := PackageFiles{Name: s.name, Version: s.version, Type: "deb"}
		files, err := readDpkgList(r, s)
		if err != nil {
			gaps = append(gaps, fmt.Sprintf("dpkg package %s: %v", s.name, err))
		}
		p.Files = files
		out = append(out, p)
	}
	return out, gaps, nil
}

func readDpkgList(r *rootFS, s dpkgStanza) ([]string, error) {
	var lastErr error
	for _, n := range []string{s.name + ":" + s.arch + ".list", s.name + ".list"} {
		b, err := r.readList(path.Join(dpkgInfo, n))
		if err == nil {
			files, err := parseFileList(bytes.NewReader(b), false)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", dpkgInfo, n, err)
			}
			return files, nil
		}
		lastErr = err
	}
	if errors.Is(lastErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("no file list %s/%s.list", dpkgInfo, s.name)
	}
	return nil, fmt.Errorf("file list: %w", lastErr)
}

// readDpkgStatusD reads distroless-style databases: one status stanza per
// file in /var/lib/dpkg/status.d, its files in the <name>.md5sums beside
// it (paths relative to the root).
func readDpkgStatusD(ctx context.Context, r *rootFS) ([]PackageFiles, []string, error) {
	d, err := r.open(dpkgStatusD)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, []string{fmt.Sprintf("dpkg %s%s: %v", r.name, dpkgStatusD, err)}, nil
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, []string{fmt.Sprintf("dpkg %s%s: %v", r.name, dpkgStatusD, err)}, nil
	}
	sort.Strings(names)
	var out []PackageFiles
	var gaps []string
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if strings.HasSuffix(n, ".md5sums") {
			continue
		}
		b, err := r.readList(path.Join(dpkgStatusD, n))
		if err != nil {
			gaps = append(gaps, fmt.Sprintf("dpkg %s/%s: %v", dpkgStatusD, n, err))
			continue
		}
		stanzas, err := parseDpkgStatus(bytes.NewReader(b))
		if err != nil {
			gaps = append(gaps, fmt.Sprintf("dpkg %s/%s: %v", dpkgStatusD, n, err))
			continue
		}
		for _, s := range stanzas {
			p := PackageFiles{Name: s.name, Version: s.version, Type: "deb"}
			m, err := r.readList(path.Join(dpkgStatusD, n+".md5sums"))
			if err == nil {
				p.Files, err = parseFileList(bytes.NewReader(m), true)
			}
			if err != nil {
				gaps = append(gaps, fmt.Sprintf("dpkg package %s: no file list (%s/%s.md5sums: %v)", s.name, dpkgStatusD, n, err))
			}
			out = append(out, p)
		}
	}
	return out, gaps, nil
}

type dpkgStanza struct{ name, version, arch string }

// parseDpkgStatus returns the packages of a dpkg status file whose files
// are on disk: every status but not-installed and config-files
// (dpkg-query(1), "Package states"). Format: deb-control(5) stanzas.
func parseDpkgStatus(rd io.Reader) ([]dpkgStanza, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var out []dpkgStanza
	var cur dpkgStanza
	var status string
	flush := func() {
		if cur.name != "" {
			f := strings.Fields(status)
			if len(f) != 3 || (f[2] != "not-installed" && f[2] != "config-files") {
				out = append(out, cur)
			}
		}
		cur, status = dpkgStanza{}, ""
	}
	for sc.Scan() {
		l := sc.Text()
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.name = v
		case "Version":
			cur.version = v
		case "Architecture":
			cur.arch = v
		case "Status":
			status = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return out, nil
}

// parseFileList reads a dpkg .list (one absolute path a line) or, with
// md5sums, a .md5sums file ("<md5>  <path relative to the root>").
func parseFileList(rd io.Reader, md5sums bool) ([]string, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	out := []string{}
	for sc.Scan() {
		l := sc.Text()
		if md5sums {
			_, p, ok := strings.Cut(l, "  ")
			if !ok {
				continue
			}
			l = p
		}
		l = strings.TrimSpace(l)
		if l == "" || l == "/." {
			continue
		}
		out = append(out, path.Clean("/"+l))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// readApk reads apk-tools' installed database: stanzas separated by blank
// lines, P: name, V: version, F: a directory, R: a file in the last F:
// (https://wiki.alpinelinux.org/wiki/Apk_spec, "Installed Database V2").
func readApk(_ context.Context, r *rootFS) ([]PackageFiles, []string, error) {
	b, err := r.readFile(apkDB, maxStatus)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, []string{fmt.Sprintf("apk database %s%s: %v", r.name, apkDB, err)}, nil
	}
	pkgs, err := parseApkInstalled(bytes.NewReader(b))
	if err != nil {
		return nil, []string{fmt.Sprintf("apk database %s%s: %v", r.name, apkDB, err)}, nil
	}
	return pkgs, nil, nil
}

func parseApkInstalled(rd io.Reader) ([]PackageFiles, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var out []PackageFiles
	cur := PackageFiles{Type: "apk", Files: []string{}}
	dir := "/"
	flush := func() {
		if cur.Name != "" {
			out = append(out, cur)
		}
		cur, dir = PackageFiles{Type: "apk", Files: []string{}}, "/"
	}
	for sc.Scan() {
		l := sc.Text()
		if len(l) < 2 || l[1] != ':' {
			if strings.TrimSpace(l) == "" {
				flush()
			}
			continue
		}
		v := l[2:]
		switch l[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'F':
			dir = path.Clean("/" + v)
		case 'R':
			cur.Files = append(cur.Files, path.Join(dir, v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return out, nil
}

// readList reads one file list within the per-file and the per-root
// bounds.
func (r *rootFS) readList(p string) ([]byte, error) {
	if r.listBytes > maxListsTotal {
		return nil, fmt.Errorf("not read: the file lists of this root exceed %d bytes in total", maxListsTotal)
	}
	b, err := r.readFile(p, maxFileList)
	r.listBytes += int64(len(b))
	return b, err
}
