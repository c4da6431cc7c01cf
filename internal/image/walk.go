package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Kind classifies a layer entry after whiteout decoding.
type Kind int

// Entry kinds.
const (
	File       Kind = iota // regular file
	Dir                    // directory
	Symlink                // symbolic link; Entry.Link holds the target as written
	Hardlink               // hard link; Entry.Link holds the cleaned target path
	Whiteout               // Path was deleted by this layer (".wh.NAME")
	Opaque                 // directory Path hides lower layers' contents (".wh..wh..opq"); "" is the root
	Other                  // device, fifo: never opened
	Unreadable             // a file whose content cannot be trusted; Entry.Skip says why, never opened
)

// Why an Unreadable entry was not read (Entry.Skip); the values are
// scan.SkippedFile reasons.
const (
	SkipSparse      = "sparse"     // GNU sparse entry of a format archive/tar does not expand
	SkipUnsupported = "unreadable" // an entry type with no defined meaning for file content
)

// Entry is one decoded layer entry. Path is clean, relative to the image
// root, without leading "/" or "./" and never escapes the root.
type Entry struct {
	Path string
	Kind Kind
	Mode fs.FileMode
	Size int64
	Link string
	// Skip and Detail say why an Unreadable entry was not read.
	Skip, Detail string
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
//
// No entry that carries file content is dropped without a word (an image
// could hide its OS inventory that way). GNU sparse files are read as
// archive/tar expands them, holes as zeros, which is what GNU tar extracts
// and, for the PAX sparse formats 0.0, 0.1 and 1.0, what the Docker engine
// and containerd materialise. Old-GNU sparse ('S') and contiguous ('7')
// entries are read the same way with a warning: the Docker engine and
// containerd refuse to apply such a layer ("unhandled tar header type";
// containerd pkg/archive/tar.go createTarFile, and Docker 20.10 tried on a
// GNU tar --sparse --format=oldgnu layer). A PAX sparse entry of a version
// archive/tar does not know, or an entry type without defined content, is
// passed on as Unreadable for the caller to count.
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
	name := h.Name
	sparseVersion, unknown := unknownSparse(h)
	if n := h.PAXRecords["GNU.sparse.name"]; unknown && n != "" {
		name = n // archive/tar applies it only to versions it expands
	}
	p, ok := CleanPath(name)
	if !ok {
		warn(fmt.Sprintf("skipped layer entry with unsafe path %q", h.Name))
		return nil, false
	}
	if p == "" {
		return nil, false // the root itself
	}
	dir, base := path.Split(p)
	if base == ".wh..wh..opq" {
		// At the layer root (dir "") it hides every lower layer: OCI
		// image-spec layer.md "Opaque Whiteout"; containerd's applier
		// removes everything under the directory holding the marker,
		// the root included (pkg/archive/tar.go, applyNaive).
		return &Entry{Path: strings.TrimSuffix(dir, "/"), Kind: Opaque}, true
	}
	if name, ok := strings.CutPrefix(base, ".wh."); ok {
		if name == "" || name == "." || name == ".." {
			warn(fmt.Sprintf("skipped malformed whiteout %q", h.Name))
			return nil, false
		}
		return &Entry{Path: dir + name, Kind: Whiteout}, true
	}
	e := &Entry{Path: p, Mode: h.FileInfo().Mode(), Size: h.Size}
	if unknown {
		for _, k := range []string{"GNU.sparse.realsize", "GNU.sparse.size"} {
			if n, err := strconv.ParseInt(h.PAXRecords[k], 10, 64); err == nil && n >= 0 {
				e.Size = n // the file's size, not the stored data's
				break
			}
		}
		e.Kind, e.Skip, e.Detail = Unreadable, SkipSparse, "GNU sparse format "+sparseVersion+" (not expanded by archive/tar)"
		warn(fmt.Sprintf("skipped /%s: %s", p, e.Detail))
		return e, true
	}
	switch h.Typeflag {
	case tar.TypeReg: // archive/tar reports old-style TypeRegA entries as TypeReg
		e.Kind = File
	case tar.TypeGNUSparse, tar.TypeCont:
		e.Kind = File
		warn(fmt.Sprintf("read /%s from a tar entry of type %q as GNU tar extracts it (sparse holes as zeros); "+
			"the Docker engine and containerd refuse to apply this layer", p, h.Typeflag))
	case tar.TypeDir, 'D': // 'D': GNU dumpdir, a directory with its listing as data
		e.Kind = Dir
	case tar.TypeXGlobalHeader, 'V': // PAX global header, GNU volume label: metadata
		return nil, false
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
		// PAX and GNU long-name headers never get here (archive/tar
		// consumes them). Anything else has no defined content; GNU tar
		// would extract it as a regular file, so it may hide one.
		e.Kind, e.Skip, e.Detail = Unreadable, SkipUnsupported, fmt.Sprintf("tar entry type %q", h.Typeflag)
		warn(fmt.Sprintf("skipped /%s: %s", p, e.Detail))
	}
	return e, true
}

// unknownSparse reports a GNU sparse PAX entry that archive/tar passed on
// unexpanded: it expands versions 0.0, 0.1 (GNU.sparse.map, or offset and
// numbytes pairs, which it turns into a map) and 1.0, and returns any
// other version as a regular file whose data starts with a sparse map.
func unknownSparse(h *tar.Header) (string, bool) {
	major, minor := h.PAXRecords["GNU.sparse.major"], h.PAXRecords["GNU.sparse.minor"]
	switch {
	case major == "0" && (minor == "0" || minor == "1"), major == "1" && minor == "0":
		return "", false
	case major != "" || minor != "":
		return major + "." + minor, true
	case h.PAXRecords["GNU.sparse.map"] != "":
		return "", false
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return "without a map (" + k + ")", true
		}
	}
	return "", false
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
