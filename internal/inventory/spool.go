package inventory

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
)

// DefaultMemMax is the largest wanted file a layer reader holds in memory
// (dpkg status, package.json, most executables); larger ones (Go binaries,
// jars, big lockfiles) are spilled to a temp file. With at most 8 layers
// in flight a scan buffers ≤ 8 × 4 MiB of file content, whatever the
// image's size (docs/scan.md "Memory").
const DefaultMemMax = 4 << 20

// Spool holds the content of wanted files while their parsers run, in
// bounded memory. A file up to MemMax bytes is read into its reader's
// reused Buffer; a larger one is written to a temp file in Dir and the
// parsers read it from there — those that read at offsets (Go and Rust
// binaries, jars, wheels) then touch only the parts they need. Spilled
// files are parsed one at a time per Spool (one per scan), so whole-file
// parsers of large lockfiles never run side by side. Safe for concurrent
// use.
type Spool struct {
	dir    string // "" means os.TempDir()
	memMax int64
	big    sync.Mutex
	mkdir  sync.Once
}

// NewSpool returns a Spool spilling to dir ("" = the system temp dir)
// files over memMax bytes (0 = DefaultMemMax).
func NewSpool(dir string, memMax int64) *Spool {
	if memMax <= 0 {
		memMax = DefaultMemMax
	}
	return &Spool{dir: dir, memMax: memMax}
}

// tempFile creates a spill file in the spool's dir (created on first use),
// falling back to the system temp dir when that cannot be written.
func (sp *Spool) tempFile() (*os.File, error) {
	if sp.dir != "" {
		sp.mkdir.Do(func() {
			if os.MkdirAll(sp.dir, 0o700) != nil {
				sp.dir = ""
			}
		})
		if f, err := os.CreateTemp(sp.dir, "spool-*"); err == nil {
			return f, nil
		}
	}
	return os.CreateTemp("", "sightline-spool-*")
}

// Buffer is one layer reader's reusable in-memory buffer; not safe for
// concurrent use (one per goroutine walking files).
type Buffer struct {
	sp  *Spool
	buf []byte
}

// Buffer returns a new buffer of the spool.
func (sp *Spool) Buffer() *Buffer { return &Buffer{sp: sp} }

// Release drops the buffer's memory (the layer is done).
func (b *Buffer) Release() { b.buf = nil }

// content is one loaded file: in memory (bytes set) or behind a file.
type content struct {
	r     io.ReaderAt
	bytes []byte // the content when it is in memory; nil otherwise
	size  int64
	f     *os.File // spill file to remove on close
	big   bool     // parsed under the spool's one-at-a-time lock
}

// load reads size bytes of body. A body that is itself an *os.File (a
// `scan fs` file) is read in place, never copied.
func (b *Buffer) load(body io.Reader, size int64) (*content, error) {
	if f, ok := body.(*os.File); ok {
		return &content{r: f, size: size, big: size > b.sp.memMax}, nil
	}
	if size <= b.sp.memMax {
		if int64(cap(b.buf)) < size {
			// Grow in powers of two from 64 KiB, so a layer of many
			// slightly larger files does not reallocate for each.
			n := max(int64(cap(b.buf))*2, 64<<10, size)
			b.buf = make([]byte, min(n, b.sp.memMax))
		}
		buf := b.buf[:size]
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return &content{r: bytes.NewReader(buf), bytes: buf, size: size}, nil
	}
	f, err := b.sp.tempFile()
	if err != nil {
		return nil, fmt.Errorf("spooling a %d byte file: %w", size, err)
	}
	c := &content{r: f, size: size, f: f, big: true}
	if _, err := io.CopyN(f, body, size); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// close removes a spill file. A parser still running in the background
// (abandoned) then gets read errors, never another file's bytes.
func (c *content) close() {
	if c.f != nil {
		c.f.Close()
		os.Remove(c.f.Name())
	}
}
