package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Kind classifies a layer entry after whiteout decoding.
type Kind int

// Entry kinds.
const (
	File     Kind = iota // regular file
	Dir                  // directory
	Symlink              // symbolic link; Entry.Link holds the target as written
	Hardlink             // hard link; Entry.Link holds the cleaned target path
	Whiteout             // Path was deleted by this layer (".wh.NAME")
	Opaque               // directory Path hides lower layers' contents (".wh..wh..opq")
	Other                // device, fifo: never opened
)

// Entry is one decoded layer entry. Path is clean, relative to the image
// root, without leading "/" or "./" and never escapes the root.
type Entry struct {
	Path string
	Kind Kind
	Mode fs.FileMode
	Size int64
	Link string
	// Body reads a File's contents; valid only during the visit callback.
	Body io.Reader
}

// Limits bound the work one hostile layer can cause.
type Limits struct {
	MaxEntries int   // entries per layer; 0 means 10 million
	MaxBytes   int64 // uncompressed bytes per layer; 0 means 64 GiB
}

// ErrLimit is wrapped by errors from exceeded Limits.
var ErrLimit = errors.New("layer exceeds a safety limit")

// WalkLayer reads a layer tar stream entry by entry and calls visit for
// every entry it can interpret. It never writes anywhere: hostile names
// ("../", absolute paths) are skipped and reported through warn, device
// files come through as Other and are never opened. Truncated or corrupt
// streams return an error.
func WalkLayer(ctx context.Context, r io.Reader, lim Limits, warn func(string), visit func(*Entry) error) error {
	if lim.MaxEntries == 0 {
		lim.MaxEntries = 10_000_000
	}
	if lim.MaxBytes == 0 {
		lim.MaxBytes = 64 << 30
	}
	lr := &limitReader{r: r, left: lim.MaxBytes}
	tr := tar.NewReader(lr)
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if n >= lim.MaxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrLimit, lim.MaxEntries)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return layerErr(err, lr)
		}
		e, ok := decode(h, warn)
		if !ok {
			continue
		}
		if e.Kind == File {
			e.Body = tr
		}
		if err := visit(e); err != nil {
			return layerErr(err, lr)
		}
	}
}

func layerErr(err error, lr *limitReader) error {
	if lr.exceeded {
		return fmt.Errorf("%w: more than %d uncompressed bytes (decompression bomb?)", ErrLimit, lr.max())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("layer is truncated: %w", err)
	}
	return err
}

// decode turns a tar header into an Entry, or reports why it is skipped.
func decode(h *tar.Header, warn func(string)) (*Entry, bool) {
	p, ok := CleanPath(h.Name)
	if !ok {
		warn(fmt.Sprintf("skipped layer entry with unsafe path %q", h.Name))
		return nil, false
	}
	if p == "" {
		return nil, false // the root itself
	}
	dir, base := path.Split(p)
	if base == ".wh..wh..opq" {
		return &Entry{Path: strings.TrimSuffix(dir, "/"), Kind: Opaque}, dir != ""
	}
	if name, ok := strings.CutPrefix(base, ".wh."); ok {
		if name == "" || name == "." || name == ".." {
			warn(fmt.Sprintf("skipped malformed whiteout %q", h.Name))
			return nil, false
		}
		return &Entry{Path: dir + name, Kind: Whiteout}, true
	}
	e := &Entry{Path: p, Mode: h.FileInfo().Mode(), Size: h.Size}
	switch h.Typeflag {
	case tar.TypeReg: // archive/tar reports old-style TypeRegA entries as TypeReg
		e.Kind = File
	case tar.TypeDir:
		e.Kind = Dir
	case tar.TypeSymlink:
		e.Kind, e.Link = Symlink, h.Linkname
	case tar.TypeLink:
		t, ok := CleanPath(h.Linkname)
		if !ok || t == "" {
			warn(fmt.Sprintf("skipped hard link %q with unsafe target %q", h.Name, h.Linkname))
			return nil, false
		}
		e.Kind, e.Link = Hardlink, t
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		e.Kind = Other
	default:
		return nil, false // PAX/GNU metadata entries are consumed by archive/tar
	}
	return e, true
}

// CleanPath normalises a layer entry name to a root-relative path. It
// rejects absolute names and names whose ".." would leave the root: a
// conforming image never has them, so they are treated as hostile.
func CleanPath(name string) (string, bool) {
	if strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return "", false
	}
	p := path.Clean(strings.TrimPrefix(name, "./"))
	if p == "." {
		return "", true
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// ResolveLink resolves a symlink target written at linkPath within the
// image root: absolute targets are rooted at the image root and ".." never
// climbs above it, as a container runtime sees it.
func ResolveLink(linkPath, target string) string {
	if !strings.HasPrefix(target, "/") {
		target = path.Join("/", path.Dir(linkPath), target)
	}
	return strings.TrimPrefix(path.Clean("/"+target), "/")
}

// limitReader fails once more than max bytes were read.
type limitReader struct {
	r        io.Reader
	left     int64
	read     int64
	exceeded bool
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.left <= 0 {
		l.exceeded = true
		return 0, ErrLimit
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

func (l *limitReader) max() int64 { return l.left + l.read }
