package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"
)

// DefaultMaxFileSize bounds one file that a parser needs whole (a Go
// binary, a jar, an rpm database); such files are held in memory up to
// DefaultMemMax and spilled to a temp file above (Spool). Files that a
// parser reads as a stream (a dpkg status, an apk database, an npm
// lockfile) have no size limit: their memory is bounded by the largest
// record, not by the file. A larger whole-file one is reported as skipped
// (SkipTooLarge).
const DefaultMaxFileSize = 512 << 20

// DefaultFileTimeout bounds the time the parsers spend on one file. Every
// parser here is linear (bench_test.go measures it), so only hostile input
// to a third-party parser can reach it: 512 MiB parse at well over
// 10 MB/s even on a loaded machine. A file that hits it is reported as
// skipped (SkipTimeout) and the scan goes on.
const DefaultFileTimeout = 5 * time.Minute

// Reasons a file was skipped (Skip.Reason). The values are the scan
// result's SkippedFile reasons (docs/json.md), so they pass through as is.
const (
	SkipTooLarge   = "too_large"   // a buffered file over MaxFileSize
	SkipParseError = "parse_error" // a parser failed on it (records read before the failure are kept)
	SkipUnreadable = "unreadable"  // reading the file failed
	SkipTimeout    = "timeout"     // the parsers ran past FileTimeout
)

// Skip is one file, or part of one, that the parsers wanted but did not
// read: its packages are unknown. Every Skip is also meant to be shown as
// a warning (Skip.String).
type Skip struct {
	Path   string // root-relative, slash-separated
	Parser string // the parser that failed; empty when none ran
	Reason string // Skip* constant
	Detail string
}

func (s Skip) String() string {
	who := ""
	if s.Parser != "" {
		who = s.Parser + " parser: "
	}
	return fmt.Sprintf("skipped /%s (%s): %s%s", s.Path, s.Reason, who, s.Detail)
}

// Extractor decides which files matter and turns one file into records.
// It holds no per-scan state and is safe for concurrent use.
type Extractor struct {
	plugins     []plugin
	MaxFileSize int64         // see DefaultMaxFileSize
	FileTimeout time.Duration // see DefaultFileTimeout; 0 means none
}

// NewExtractor builds the parser set: OS packages (dpkg incl. distroless
// status.d, apk, rpm), Go and Rust binaries, language package metadata
// and lockfiles (the table in docs/scan.md).
func NewExtractor() (*Extractor, error) {
	ps, err := newPlugins()
	if err != nil {
		return nil, err
	}
	return &Extractor{plugins: ps, MaxFileSize: DefaultMaxFileSize, FileTimeout: DefaultFileTimeout}, nil
}

// Required reports whether any parser wants the file at p (root-relative,
// slash-separated). The answer never depends on the size: a file too
// large to read is still wanted, so that skipping it is reported.
func (x *Extractor) Required(p string, mode fs.FileMode, size int64) bool {
	for _, pl := range x.plugins {
		if pl.required(p, mode, size) {
			return true
		}
	}
	return false
}

// File is one file offered to ExtractFile.
type File struct {
	Path string // root-relative, slash-separated
	Mode fs.FileMode
	Size int64
	Body io.Reader // yields Size bytes
}

// ExtractFile runs every interested parser on f. When the only interested
// parser reads streams, f.Body is handed to it directly and nothing is
// buffered, whatever the size; otherwise the file (at most MaxFileSize
// bytes) is loaded through b — in memory when small, else spilled to a
// temp file (Spool) — and each parser reads it from there. Problems with
// the file are Skips, never errors: one bad file must not hide the rest
// of the image. The error is only ctx's, when the scan was cancelled.
func (x *Extractor) ExtractFile(ctx context.Context, f File, b *Buffer) ([]Record, []Skip, error) {
	var ps []plugin
	for _, pl := range x.plugins {
		if pl.required(f.Path, f.Mode, f.Size) {
			ps = append(ps, pl)
		}
	}
	if len(ps) == 0 {
		return nil, nil, nil
	}
	if len(ps) == 1 && ps[0].streams() {
		return x.runStream(ctx, ps[0], f)
	}
	if x.MaxFileSize > 0 && f.Size > x.MaxFileSize {
		return nil, []Skip{{Path: f.Path, Reason: SkipTooLarge,
			Detail: fmt.Sprintf("%d bytes is over the %d byte limit for files read whole", f.Size, x.MaxFileSize)}}, nil
	}
	body := f.Body
	if _, inPlace := body.(*os.File); !inPlace {
		body = ctxReader{ctx, body}
	}
	c, err := b.load(body, f.Size)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, []Skip{{Path: f.Path, Reason: SkipUnreadable, Detail: err.Error()}}, nil
	}
	defer c.close()
	if c.big {
		b.sp.big.Lock()
		defer b.sp.big.Unlock()
	}
	recs, skips, abandoned, err := x.runBuffered(ctx, ps, f, c)
	if abandoned {
		// A parser still running in the background owns the bytes.
		b.buf = nil
	}
	return recs, skips, err
}

// Extract runs every interested parser on one file's content (already in
// memory, e.g. an os-release candidate). Problems are returned as Skips.
func (x *Extractor) Extract(ctx context.Context, p string, mode fs.FileMode, data []byte) ([]Record, []Skip, error) {
	var ps []plugin
	for _, pl := range x.plugins {
		if pl.required(p, mode, int64(len(data))) {
			ps = append(ps, pl)
		}
	}
	c := &content{r: bytes.NewReader(data), bytes: data, size: int64(len(data))}
	recs, skips, _, err := x.runBuffered(ctx, ps, File{Path: p, Mode: mode, Size: c.size}, c)
	return recs, skips, err
}

// runStream hands the body to one streaming parser. The parser stops at
// its next read once ctx is done or the file timeout passes; it is waited
// for, because the body belongs to the caller's tar stream.
func (x *Extractor) runStream(ctx context.Context, pl plugin, f File) ([]Record, []Skip, error) {
	fctx, cancel := x.fileContext(ctx)
	defer cancel()
	in := &input{path: f.Path, mode: f.Mode, size: f.Size, r: ctxReader{fctx, io.LimitReader(f.Body, f.Size)}}
	recs, err := safeParse(fctx, pl, in)
	return x.outcome(ctx, fctx, pl, f.Path, recs, err)
}

// runBuffered runs each parser on content in its own goroutine and stops
// waiting when ctx is done or the file timeout passes. A parser that does
// not return then is abandoned (it finishes in the background: an
// in-memory buffer is not reused and a spill file is removed under it,
// see ExtractFile), so a parser that ignores cancellation cannot hold the
// scan.
func (x *Extractor) runBuffered(ctx context.Context, ps []plugin, f File, c *content) (recs []Record, skips []Skip, abandoned bool, err error) {
	fctx, cancel := x.fileContext(ctx)
	defer cancel()
	for _, pl := range ps {
		in := &input{path: f.Path, mode: f.Mode, size: c.size, content: c.bytes, ra: c.r, r: io.NewSectionReader(c.r, 0, c.size)}
		type result struct {
			recs []Record
			err  error
		}
		done := make(chan result, 1)
		go func() {
			r, err := safeParse(fctx, pl, in)
			done <- result{r, err}
		}()
		var res result
		select {
		case res = <-done:
		case <-fctx.Done():
			abandoned = true
			res.err = fctx.Err()
		}
		r, s, err := x.outcome(ctx, fctx, pl, f.Path, res.recs, res.err)
		if err != nil {
			return nil, nil, abandoned, err
		}
		if recs == nil {
			recs = r // the usual single parser: no copy
		} else {
			recs = append(recs, r...)
		}
		skips = append(skips, s...)
		if abandoned {
			break
		}
	}
	return recs, skips, abandoned, nil
}

func (x *Extractor) fileContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if x.FileTimeout > 0 {
		return context.WithTimeout(ctx, x.FileTimeout)
	}
	return context.WithCancel(ctx)
}

// outcome turns a parser's result into records and skips: the scan's
// cancellation is an error, the file timeout and parser failures are
// skips (records read before a failure are kept).
func (x *Extractor) outcome(ctx, fctx context.Context, pl plugin, p string, recs []Record, err error) ([]Record, []Skip, error) {
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	recs, nameless := named(recs)
	if nameless > 0 && err == nil {
		err = fmt.Errorf("%d entries name no package", nameless)
	}
	if err == nil {
		return recs, nil, nil
	}
	if fctx.Err() != nil {
		return recs, []Skip{{Path: p, Parser: pl.name(), Reason: SkipTimeout,
			Detail: fmt.Sprintf("parsing took longer than %s", x.FileTimeout)}}, nil
	}
	reason := SkipParseError
	var re readError
	if errors.As(err, &re) {
		reason = SkipUnreadable
	}
	return recs, []Skip{{Path: p, Parser: pl.name(), Reason: reason, Detail: err.Error()}}, nil
}

// named drops records without a name (a malformed entry) and counts them,
// so that they are reported rather than listed as a nameless package.
func named(recs []Record) ([]Record, int) {
	out := recs[:0]
	for _, r := range recs {
		if r.Name != "" {
			out = append(out, r)
		}
	}
	return out, len(recs) - len(out)
}

// safeParse turns a panic inside a parser into an error.
func safeParse(ctx context.Context, pl plugin, in *input) (recs []Record, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser panicked: %v", r)
		}
	}()
	return pl.extract(ctx, in)
}

// ctxReader fails reads once ctx is done, so a parser reading a stream
// stops at its next read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(b)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}

// readError marks a failure of the underlying reader (as opposed to the
// content), so it is reported as SkipUnreadable.
type readError struct{ err error }

func (e readError) Error() string { return "reading: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// input is one file as a parser sees it.
type input struct {
	path    string
	mode    fs.FileMode
	size    int64
	r       io.Reader
	ra      io.ReaderAt // nil when streamed
	content []byte      // nil when streamed or not in memory (spilled, read in place)
}

func (in *input) info() fileInfo {
	return fileInfo{name: path.Base(in.path), size: in.size, mode: in.mode}
}
