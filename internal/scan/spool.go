package scan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/sightline-sec/sightline/internal/inventory"
)

// defaultMemMax is the largest wanted file a layer reader holds in memory
// (dpkg status, package.json, most executables); larger ones (Go binaries,
// jars, big lockfiles) are spilled to a temp file. With at most
// maxWorkers layers in flight the scan buffers ≤ 8 × 4 MiB of file
// content, whatever the image's size (docs/scan.md "Memory").
const defaultMemMax = 4 << 20

// spool holds the content of wanted files while their extractors run, in
// bounded memory. A file up to memMax bytes is read into its layer's
// reused buffer; a larger one is written to a temp file in dir and the
// extractors read it from there — those that read at offsets (Go and Rust
// binaries, jars, wheels) then touch only the parts they need. Spilled
// files are extracted one at a time per scan, so whole-file parsers of
// large lockfiles never run side by side.
type spool struct {
	dir    string // "" means os.TempDir()
	memMax int64
	big    sync.Mutex
	// maxRecords is the scan's per-layer record limit (0: the default);
	// it travels with the spool, the per-scan state every layer reader has.
	maxRecords int

	mkdir sync.Once
}

func newSpool(dir string, memMax int64) *spool {
	if memMax <= 0 {
		memMax = defaultMemMax
	}
	return &spool{dir: dir, memMax: memMax}
}

// tempFile creates a spill file in the spool's dir (created on first use),
// falling back to the system temp dir when that cannot be written.
func (sp *spool) tempFile() (*os.File, error) {
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

// fileBuffer is one layer reader's reusable in-memory buffer.
type fileBuffer struct {
	sp  *spool
	buf []byte
}

func (sp *spool) buffer() *fileBuffer { return &fileBuffer{sp: sp} }

// release drops the buffer (the layer is done).
func (fb *fileBuffer) release() { fb.buf = nil }

// content is one loaded file, in memory or spilled.
type content struct {
	r    io.ReaderAt
	size int64
	f    *os.File // spill file to remove on close; nil when in memory or borrowed
	sp   *spool
	big  bool
}

// load reads size bytes of body. A body that is itself an *os.File (a
// `scan fs` file) is read in place, never copied.
func (fb *fileBuffer) load(body io.Reader, size int64) (*content, error) {
	if f, ok := body.(*os.File); ok {
		return &content{r: f, size: size, sp: fb.sp, big: size > fb.sp.memMax}, nil
	}
	if size <= fb.sp.memMax {
		if int64(cap(fb.buf)) < size {
			// Grow in powers of two from 64 KiB, so a layer of many
			// slightly larger files does not reallocate for each.
			n := max(int64(cap(fb.buf))*2, 64<<10, size)
			fb.buf = make([]byte, min(n, fb.sp.memMax))
		}
		b := fb.buf[:size]
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, err
		}
		return &content{r: bytes.NewReader(b), size: size, sp: fb.sp}, nil
	}
	f, err := fb.sp.tempFile()
	if err != nil {
		return nil, fmt.Errorf("spooling a %d byte file: %w", size, err)
	}
	c := &content{r: f, size: size, f: f, sp: fb.sp, big: true}
	if _, err := io.CopyN(f, body, size); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// head returns up to n leading bytes.
func (c *content) head(n int64) []byte {
	b := make([]byte, min(n, c.size))
	k, _ := c.r.ReadAt(b, 0)
	return b[:k]
}

// extract runs the extractors on the content; spilled files one at a time.
func (c *content) extract(ctx context.Context, x *inventory.Extractor, p string, mode fs.FileMode) ([]inventory.Record, []string) {
	if c.big {
		c.sp.big.Lock()
		defer c.sp.big.Unlock()
	}
	return x.ExtractAt(ctx, p, mode, c.r, c.size)
}

func (c *content) close() {
	if c.f != nil {
		c.f.Close()
		os.Remove(c.f.Name())
	}
}
