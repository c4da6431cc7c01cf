package inventory

import (
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// oneFileFS is the filesystem an extractor sees while it reads one file:
// the file at p (content behind r) and its parent directories, nothing
// else — as fstest.MapFS{p: …} was, but without holding the content in
// memory. It implements osv-scalibr's FS (fs.FS, fs.ReadDirFS, fs.StatFS);
// extractors use it to look for siblings (npm-shrinkwrap.json next to a
// package-lock.json, os-release), which are then absent.
type oneFileFS struct {
	p    string
	info fileInfo
	r    io.ReaderAt
}

func (f oneFileFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == f.p {
		return &oneFile{info: f.info, SectionReader: io.NewSectionReader(f.r, 0, f.info.size)}, nil
	}
	if child, ok := f.child(name); ok {
		return &oneDir{name: name, child: child}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// child returns the entry of directory dir on the way to p.
func (f oneFileFS) child(dir string) (fs.DirEntry, bool) {
	rest := f.p
	if dir != "." {
		var ok bool
		if rest, ok = strings.CutPrefix(f.p, dir+"/"); !ok {
			return nil, false
		}
	}
	name, _, isDir := strings.Cut(rest, "/")
	if isDir {
		return fs.FileInfoToDirEntry(dirInfo{name: name}), true
	}
	return fs.FileInfoToDirEntry(f.info), true
}

func (f oneFileFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if c, ok := f.child(name); ok && fs.ValidPath(name) {
		return []fs.DirEntry{c}, nil
	}
	return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
}

func (f oneFileFS) Stat(name string) (fs.FileInfo, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	return file.Stat()
}

type oneFile struct {
	info fileInfo
	*io.SectionReader
}

func (o *oneFile) Stat() (fs.FileInfo, error) { return o.info, nil }
func (o *oneFile) Close() error               { return nil }

type oneDir struct {
	name  string
	child fs.DirEntry
	done  bool
}

func (d *oneDir) Stat() (fs.FileInfo, error) { return dirInfo{name: path.Base(d.name)}, nil }
func (d *oneDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: fs.ErrInvalid}
}
func (d *oneDir) Close() error { return nil }

// ReadDir lists the one child (fs.ReadDirFile semantics).
func (d *oneDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.done {
		if n > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	d.done = true
	return []fs.DirEntry{d.child}, nil
}

type dirInfo struct{ name string }

func (d dirInfo) Name() string       { return d.name }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }
