package image

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sightline-sec/sightline/internal/atomicfile"
)

// decompressArchive makes a compressed image archive readable: when path
// is a regular file starting with the gzip or zstd magic (RFC 1952,
// RFC 8878), it is decompressed into a temporary file in tempDir ("" =
// the system temp dir) and that file's path returned, with a func that
// removes it. Anything else (a plain tar, a directory, a reference, a
// missing file) is returned unchanged. Docker and OCI archives need random
// access to their entries, which a compressed stream cannot give, so the
// copy costs disk the size of the uncompressed archive, like `docker save`.
func decompressArchive(ctx context.Context, path, tempDir string) (string, func() error, error) {
	noop := func() error { return nil }
	f, err := os.Open(path)
	if err != nil {
		return path, noop, nil // not a file: detect and open report it
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return path, noop, nil
	}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(4)
	kind := ""
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		kind = "gzip"
	case bytes.HasPrefix(head, zstdMagic):
		kind = "zstd"
	default:
		return path, noop, nil
	}
	zr, err := decompress(io.NopCloser(br))
	if err != nil {
		return "", noop, fmt.Errorf("%s-compressed archive: %w", kind, err)
	}
	defer zr.Close()
	if tempDir != "" {
		if err := os.MkdirAll(tempDir, 0o700); err != nil {
			return "", noop, fmt.Errorf("decompressing: %w", err)
		}
	}
	tmp, err := os.CreateTemp(tempDir, "archive-*.tar")
	if err != nil {
		return "", noop, fmt.Errorf("decompressing into %s: %w", tempDir, atomicfile.Cause(err))
	}
	done := func() error { return os.Remove(tmp.Name()) }
	_, err = io.Copy(tmp, ctxReader{ctx, zr})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		done()
		return "", noop, fmt.Errorf("decompressing %s-compressed archive: %w", kind, atomicfile.Cause(err))
	}
	return tmp.Name(), done, nil
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
