package inventory

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// cancelAfter is a reader that cancels a context once n bytes were read and
// counts what was read in total.
type cancelAfter struct {
	r      io.Reader
	n      int64
	read   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	if c.read.Add(int64(k)) >= c.n {
		c.cancel()
	}
	return k, err
}

// TestCancelStopsStreamingParsers: a cancelled scan stops every streaming
// parser at its next read, far before the end of a large file — measured
// in bytes read, not in time.
func TestCancelStopsStreamingParsers(t *testing.T) {
	x, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range lockGens {
		var pl plugin
		for _, p := range x.plugins {
			if p.required(g.path, 0o644, 1) {
				pl = p
			}
		}
		if pl == nil || !pl.streams() {
			continue
		}
		data := genSize(g, 8<<20)
		t.Run(g.kind, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &cancelAfter{r: bytes.NewReader(data), n: 1 << 20, cancel: cancel}
			buf := NewSpool("", 0).Buffer()
			_, _, err := x.ExtractFile(ctx, File{Path: g.path, Mode: 0o644, Size: int64(len(data)), Body: r}, buf)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			// bufio-style readers read ahead at most a few buffers.
			if got := r.read.Load(); got > 2<<20 {
				t.Errorf("read %d of %d bytes after cancelling at 1 MiB", got, len(data))
			}
		})
	}
}

// blockingPlugin ignores its context and parses until released, like a
// third-party parser stuck on hostile input.
type blockingPlugin struct {
	release chan struct{}
	started chan struct{}
}

func (blockingPlugin) name() string                             { return "test/blocking" }
func (blockingPlugin) streams() bool                            { return false }
func (blockingPlugin) required(string, fs.FileMode, int64) bool { return true }
func (b blockingPlugin) extract(context.Context, *input) ([]Record, error) {
	close(b.started)
	<-b.release
	return []Record{{Name: "late"}}, nil
}

// TestCancelAbandonsBlockedParser: a buffered parser that ignores
// cancellation does not hold the scan: ExtractFile returns the context's
// error as soon as it is cancelled.
func TestCancelAbandonsBlockedParser(t *testing.T) {
	bp := blockingPlugin{release: make(chan struct{}), started: make(chan struct{})}
	defer close(bp.release)
	x := &Extractor{plugins: []plugin{bp}, MaxFileSize: DefaultMaxFileSize}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-bp.started
		cancel()
	}()
	buf := NewSpool("", 0).Buffer()
	recs, _, err := x.ExtractFile(ctx, File{Path: "f", Size: 3, Body: strings.NewReader("abc")}, buf)
	if !errors.Is(err, context.Canceled) || recs != nil {
		t.Fatalf("recs %v err %v, want context.Canceled and no records", recs, err)
	}
}

// TestFileTimeoutIsReported: a parser past FileTimeout is a timeout skip
// naming it; the scan goes on.
func TestFileTimeoutIsReported(t *testing.T) {
	bp := blockingPlugin{release: make(chan struct{}), started: make(chan struct{})}
	defer close(bp.release)
	x := &Extractor{plugins: []plugin{bp}, MaxFileSize: DefaultMaxFileSize, FileTimeout: 10 * time.Millisecond}
	buf := NewSpool("", 0).Buffer()
	_, skips, err := x.ExtractFile(context.Background(), File{Path: "f", Size: 3, Body: strings.NewReader("abc")}, buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(skips) != 1 || skips[0].Reason != SkipTimeout || skips[0].Parser != "test/blocking" {
		t.Fatalf("skips %v, want one timeout of test/blocking", skips)
	}
}

// TestTooLargeIsReported: a file a buffering parser needs, over
// MaxFileSize, is a too_large skip — never a silent "not wanted", which is
// what osv-scalibr's own size limits did (a 150 MiB dpkg status gave no
// packages). Streamed files have no limit.
func TestTooLargeIsReported(t *testing.T) {
	x, err := NewExtractor()
	if err != nil {
		t.Fatal(err)
	}
	x.MaxFileSize = 100
	jar := readInventory(t, "com.google.src.yolo-0.1.2.jar")
	if !x.Required("app/lib/yolo.jar", 0o644, 1<<40) {
		t.Fatal("a huge jar is not wanted: size must not decide Required")
	}
	buf := NewSpool("", 0).Buffer()
	_, skips, err := x.ExtractFile(context.Background(), File{Path: "app/lib/yolo.jar", Mode: 0o644, Size: int64(len(jar)), Body: bytes.NewReader(jar)}, buf)
	if err != nil || len(skips) != 1 || skips[0].Reason != SkipTooLarge {
		t.Fatalf("skips %v err %v, want one too_large", skips, err)
	}
	status := genSize(genKind(t, "dpkg"), 64<<10) // far over MaxFileSize
	recs, skips, err := x.ExtractFile(context.Background(), File{Path: "var/lib/dpkg/status", Mode: 0o644, Size: int64(len(status)), Body: bytes.NewReader(status)}, buf)
	if err != nil || len(skips) > 0 || len(recs) == 0 {
		t.Fatalf("streamed dpkg status over MaxFileSize: %d records, skips %v, err %v", len(recs), skips, err)
	}
}

// panicPlugin panics, like a third-party parser on hostile input.
type panicPlugin struct{}

func (panicPlugin) name() string                             { return "test/panic" }
func (panicPlugin) streams() bool                            { return true }
func (panicPlugin) required(string, fs.FileMode, int64) bool { return true }
func (panicPlugin) extract(context.Context, *input) ([]Record, error) {
	panic("boom")
}

func TestPanicIsParseError(t *testing.T) {
	x := &Extractor{plugins: []plugin{panicPlugin{}}}
	buf := NewSpool("", 0).Buffer()
	_, skips, err := x.ExtractFile(context.Background(), File{Path: "f", Size: 1, Body: strings.NewReader("x")}, buf)
	if err != nil || len(skips) != 1 || skips[0].Reason != SkipParseError || !strings.Contains(skips[0].Detail, "panicked: boom") {
		t.Fatalf("skips %v err %v", skips, err)
	}
}

func genKind(t *testing.T, kind string) lockGen {
	t.Helper()
	for _, g := range lockGens {
		if g.kind == kind {
			return g
		}
	}
	t.Fatalf("no generator %q", kind)
	return lockGen{}
}
