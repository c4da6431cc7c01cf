package runevidence

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// rootFS reads a container's filesystem through its root directory
// (/proc/<pid>/root) without ever letting the kernel follow a symlink: an
// absolute symlink inside the container, followed through /proc/<pid>/root,
// would resolve against the host's root. Symlinks are resolved here, with
// absolute targets taken relative to the container root, and the result is
// opened with os.Root, which refuses any escape.
type rootFS struct {
	root *os.Root
	name string            // for messages: "/proc/1234/root"
	dirs map[string]string // resolved directories
	// listBytes counts the package file lists read (maxListsTotal).
	listBytes int64
}

// maxLinks bounds symlink hops in one resolution, as the kernel's 40.
const maxLinks = 40

func openRootFS(dir string) (*rootFS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &rootFS{root: r, name: dir, dirs: map[string]string{"/": "/"}}, nil
}

func (r *rootFS) Close() error { return r.root.Close() }

// resolveDir returns the canonical form of directory p inside the root:
// every symlink component replaced by its target, absolute targets taken
// from the container root. A component that does not exist is kept as is.
// Each directory is resolved once, from its resolved parent.
func (r *rootFS) resolveDir(p string) (string, error) {
	return r.resolve(path.Clean("/"+p), 0)
}

func (r *rootFS) resolve(p string, links int) (string, error) {
	if c, ok := r.dirs[p]; ok {
		return c, nil
	}
	if links > maxLinks {
		return "", fmt.Errorf("%s: too many levels of symbolic links", p)
	}
	parent, err := r.resolve(path.Dir(p), links)
	if err != nil {
		return "", err
	}
	next := path.Join(parent, path.Base(p))
	rel := strings.TrimPrefix(next, "/")
	fi, err := r.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", err
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := r.root.Readlink(rel)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(target, "/") {
			target = path.Join(parent, target)
		}
		if next, err = r.resolve(path.Clean(target), links+1); err != nil {
			return "", err
		}
	}
	r.dirs[p] = next
	return next, nil
}

// canonical resolves the directory part of file p and keeps its last
// name: the path the kernel prints in /proc/<pid>/maps for it. The last
// component is not followed, so a package's symlink (libz.so.1 →
// libz.so.1.3) keeps its own name; the package lists its target too.
func (r *rootFS) canonical(p string) string {
	dir, base := path.Split(path.Clean("/" + p))
	d, err := r.resolveDir(dir)
	if err != nil {
		return path.Clean("/" + p)
	}
	return path.Join(d, base)
}

// open opens file p of the container, symlinks resolved inside the root.
func (r *rootFS) open(p string) (*os.File, error) {
	c := r.canonical(p)
	for range maxLinks {
		fi, err := r.root.Lstat(strings.TrimPrefix(c, "/"))
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		t, err := r.root.Readlink(strings.TrimPrefix(c, "/"))
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(c), t)
		}
		c = r.canonical(t)
	}
	// O_NONBLOCK: a FIFO planted where a database should be must not
	// block the open; anything but a regular file or a directory is refused.
	f, err := r.root.OpenFile(strings.TrimPrefix(c, "/"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		err = fmt.Errorf("%s%s: not a regular file (%s)", r.name, p, fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readFile reads file p of the container, at most limit bytes; a larger
// file is an error naming it.
func (r *rootFS) readFile(p string, limit int64) ([]byte, error) {
	f, err := r.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", r.name, p, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s%s: larger than %d bytes", r.name, p, limit)
	}
	return b, nil
}
