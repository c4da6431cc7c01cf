package vulndb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// ReadOptions tune the importers.
type ReadOptions struct {
	// MaxEntryBytes caps one OSV record, a decompressed zip entry or a
	// file; 0 means MaxRecordBytes. A zip entry claiming or producing
	// more is an error naming the archive and the entry (decompression
	// bombs).
	MaxEntryBytes int64
	// Progress, when set, is called with the number of records parsed so
	// far (from one goroutine, at most every 1000 records).
	Progress func(n int)
}

func (o ReadOptions) limit() int64 {
	if o.MaxEntryBytes > 0 {
		return o.MaxEntryBytes
	}
	return MaxRecordBytes
}

// item is one OSV file to parse: its name (for errors) and bytes.
type item struct {
	name string
	data []byte
}

func isOSVName(name string) bool {
	l := strings.ToLower(name)
	return strings.HasSuffix(l, ".json") || strings.HasSuffix(l, ".yaml") || strings.HasSuffix(l, ".yml")
}

// ReadOSV reads OSV records from a directory tree, a zip archive or one
// record file, parsing on all cores. Withdrawn records are kept (marked)
// so the writer can count and skip them.
func ReadOSV(ctx context.Context, p string, opts ReadOptions) (*Batch, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	abs, _ := filepath.Abs(p)
	bt := &Batch{Meta: SourceMeta{Name: "osv:" + abs, Kind: KindOSV, Location: abs, FetchedAt: time.Now().UTC()}}
	produce := func(ctx context.Context, out chan<- item) error { return walkDir(ctx, p, opts, out) }
	isZip := false
	if !st.IsDir() {
		if isZip, err = fileIsZip(p); err != nil {
			return nil, err
		}
	}
	switch {
	case st.IsDir():
	case isZip || strings.HasSuffix(strings.ToLower(p), ".zip"):
		produce = func(ctx context.Context, out chan<- item) error { return walkZip(ctx, p, opts, out) }
	default:
		data, err := readFileLimited(p, opts.limit(), "one OSV record")
		if err != nil {
			return nil, err
		}
		bt.Meta.SHA256 = sha256Hex(data)
		produce = func(_ context.Context, out chan<- item) error { out <- item{p, data}; return nil }
	}
	bt.Records, err = parseAll(ctx, produce, opts)
	if err != nil {
		return nil, err
	}
	if len(bt.Records) == 0 {
		return nil, fmt.Errorf("%s: no OSV records (.json/.yaml) found", p)
	}
	bt.Meta.Modified = newest(bt.Records)
	return bt, nil
}

// ReadOSVZip reads an osv.dev-style all.zip under a given source name.
func ReadOSVZip(ctx context.Context, zipPath, name, location string, opts ReadOptions) (*Batch, error) {
	recs, err := parseAll(ctx, func(ctx context.Context, out chan<- item) error { return walkZip(ctx, zipPath, opts, out) }, opts)
	if err != nil {
		return nil, err
	}
	bt := &Batch{Meta: SourceMeta{Name: name, Kind: KindOSV, Location: location, FetchedAt: time.Now().UTC()}, Records: recs}
	bt.Meta.Modified = newest(recs)
	return bt, nil
}

// newest is the data date of a record set: the newest modified or
// published time among the records that carry one. Records with neither
// (the Go vulndb repository's own files leave both zero) say nothing about
// the data's age and are skipped; only when no record is dated is the
// result zero, and age falls back to the fetch time (SourceMeta.dataDate).
func newest(recs []*Parsed) time.Time {
	var t time.Time
	for _, r := range recs {
		m := r.Record.Modified
		if r.Record.Published.After(m) {
			m = r.Record.Published
		}
		if m.After(t) {
			t = m
		}
	}
	return t
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func readFileLimited(p string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	data, err := readAllLimited(f, limit, what)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}

// readAllLimited reads r to the end, refusing more than limit bytes
// (decompression bombs, runaway files) instead of silently truncating;
// what names the limit ("one OSV record").
func readAllLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than the %s limit for %s", FormatBytes(limit), what)
	}
	return data, nil
}

func walkDir(ctx context.Context, root string, opts ReadOptions, out chan<- item) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isOSVName(p) {
			return nil
		}
		data, err := readFileLimited(p, opts.limit(), "one OSV record")
		if err != nil {
			return err
		}
		select {
		case out <- item{p, data}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// walkZip streams the OSV entries of a zip. Entry names are never used as
// file paths, but hostile ones (absolute, "..") are still rejected: they
// mean the archive is not what it claims to be.
func walkZip(ctx context.Context, zp string, opts ReadOptions, out chan<- item) error {
	zr, err := zip.OpenReader(zp)
	if err != nil {
		return fmt.Errorf("reading zip %s: %w", zp, err)
	}
	defer zr.Close()
	limit := opts.limit()
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return fmt.Errorf("zip %s: %w", zp, err)
		}
		if f.FileInfo().IsDir() || !isOSVName(f.Name) {
			continue
		}
		if f.UncompressedSize64 > uint64(limit) {
			return fmt.Errorf("zip %s: entry %s claims %d bytes, over the %s limit for one OSV record", zp, f.Name, f.UncompressedSize64, FormatBytes(limit))
		}
		data, err := readEntry(f, limit)
		if err != nil {
			return fmt.Errorf("zip %s: entry %s: %w", zp, f.Name, err)
		}
		select {
		case out <- item{zp + ":" + f.Name, data}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func checkEntryName(name string) error {
	clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if strings.HasPrefix(clean, "/") || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(name, "\x00") ||
		(len(name) > 1 && name[1] == ':') {
		return fmt.Errorf("entry %q has a hostile path (absolute or outside the archive)", name)
	}
	return nil
}

func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readAllLimited(rc, limit, "one OSV record")
}

// parseAll runs produce in one goroutine and parses its items on all
// cores. The first error cancels everything and is returned.
func parseAll(ctx context.Context, produce func(context.Context, chan<- item) error, opts ReadOptions) ([]*Parsed, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	items := make(chan item, 256)
	go func() {
		defer close(items)
		if err := produce(ctx, items); err != nil {
			cancel(err)
		}
	}()
	workers := runtime.GOMAXPROCS(0)
	results := make([][]*Parsed, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				if ctx.Err() != nil {
					continue // drain
				}
				p, err := ParseOSV(it.name, it.data)
				if err != nil {
					cancel(err)
					continue
				}
				results[w] = append(results[w], p)
				if opts.Progress != nil {
					mu.Lock()
					count++
					if count%1000 == 0 {
						opts.Progress(count)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	var all []*Parsed
	for _, r := range results {
		all = append(all, r...)
	}
	slices.SortFunc(all, func(a, b *Parsed) int { return strings.Compare(a.Record.ID, b.Record.ID) })
	return all, nil
}

// Kind detection for `db import`.

// DetectKind tells which importer a path needs: an OSV directory or zip,
// a KEV catalog, an EPSS file (FIRST CSV, gzip or plain, or vulsio JSON)
// or a single OSV record.
func DetectKind(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	if st.IsDir() {
		return KindOSV, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if hasZipMagic(head) {
		return KindOSV, nil
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) || bytes.HasPrefix(head, []byte("BZh")) {
		zr, err := decompressed(io.MultiReader(bytes.NewReader(head), f))
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", p, err)
		}
		head = make([]byte, 4096)
		n, _ := io.ReadFull(zr, head)
		head = head[:n]
	}
	return detectText(p, head)
}

// hasZipMagic reports whether data starts like a zip archive (a local
// file header, or the end record of an empty archive). Zips are told by
// content, not by name: downloads are often saved without ".zip".
func hasZipMagic(head []byte) bool {
	return bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06"))
}

func fileIsZip(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	return hasZipMagic(head[:n]), nil
}

func detectText(p string, head []byte) (string, error) {
	t := strings.TrimSpace(string(head))
	switch {
	case strings.HasPrefix(t, "#model_version") || strings.HasPrefix(strings.ToLower(t), "cve,epss"):
		return KindEPSS, nil
	case strings.HasPrefix(t, "{") && (strings.Contains(t, `"catalogVersion"`) || strings.Contains(t, `"cveID"`)):
		return KindKEV, nil
	case strings.HasPrefix(t, "{") && strings.Contains(t, `"score_date"`):
		return KindEPSS, nil
	case strings.HasPrefix(t, "<"):
		return detectXML(p, t)
	case isOSVName(p):
		return KindOSV, nil
	}
	return "", fmt.Errorf("%s: not an OSV directory/zip/record, KEV catalog, EPSS file, updateinfo.xml or OVAL file", p)
}

// detectXML tells an updateinfo.xml (root <updates>) from an OVAL file
// (root <oval_definitions>) by the first element after any XML
// declaration, comments and whitespace.
func detectXML(p, t string) (string, error) {
	for {
		t = strings.TrimSpace(t)
		switch {
		case strings.HasPrefix(t, "<?"), strings.HasPrefix(t, "<!--"):
			end := "?>"
			if strings.HasPrefix(t, "<!--") {
				end = "-->"
			}
			i := strings.Index(t, end)
			if i < 0 {
				return "", fmt.Errorf("%s: XML, but its first element is not within the first 4 KiB", p)
			}
			t = t[i+len(end):]
			continue
		case strings.HasPrefix(t, "<updates"):
			return KindALAS, nil
		case strings.HasPrefix(t, "<oval_definitions"):
			return KindOVAL, nil
		}
		return "", fmt.Errorf("%s: XML but neither an updateinfo.xml (<updates>) nor an OVAL file (<oval_definitions>)", p)
	}
}

// openMaybeGzip opens p, transparently gunzipping it.
func openMaybeGzip(p string) (io.Reader, func() error, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", p, err)
	}
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return zr, f.Close, nil
	}
	return br, f.Close, nil
}

var errEmpty = errors.New("empty file")
