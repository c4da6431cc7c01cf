package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"slices"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/inventory"
)

// LayerResult is everything the inventory needs from one layer: the
// records of each file an extractor wanted, the whiteouts, and the
// os-release candidates. It depends only on the layer's content, so it is
// cached by diffID and shared between images built on the same base.
type LayerResult struct {
	Version   string                        `json:"version"`
	DiffID    string                        `json:"diff_id"`
	Files     map[string][]inventory.Record `json:"files,omitempty"` // path → records (possibly none)
	Links     map[string]string             `json:"links,omitempty"` // symlinks at wanted paths → target
	OSRelease map[string]map[string]string  `json:"os_release,omitempty"`
	Whiteouts []string                      `json:"whiteouts,omitempty"`
	Opaque    []string                      `json:"opaque,omitempty"`
	Warnings  []string                      `json:"warnings,omitempty"`
	// Skipped lists wanted files that were not read (Layer unset here;
	// the scan fills it in). Each also has a warning.
	Skipped []SkippedFile `json:"skipped,omitempty"`
	Bytes   int64         `json:"bytes"` // uncompressed size read

	records    int // records kept so far (the layer's record limit)
	maxRecords int // that limit (0: DefaultMaxLayerRecords)
}

// cacheVersion invalidates cached layer results when their meaning or
// their file format (cache.go) changes. layer/2: root opaque whiteouts,
// GNU sparse and other entry types, streamed parsers with recorded skips,
// record limits, the JSON-lines cache file (issue 7).
const cacheVersion = "layer/2 " + inventory.ExtractorVersion

const maxLayerWarnings = 50

// analyzeLayer streams one uncompressed layer through the walker and the
// extractors, spooling large files to the system temp directory. When
// wantDiffID is set the stream is hashed and must match, so a lying config
// can never plant results in the shared cache.
func analyzeLayer(ctx context.Context, r io.Reader, wantDiffID string, x *inventory.Extractor, lim image.Limits) (*LayerResult, error) {
	return analyze(ctx, r, wantDiffID, x, lim, inventory.NewSpool("", 0), 0)
}

// analyze is analyzeLayer with the scan's spool and record limit.
func analyze(ctx context.Context, r io.Reader, wantDiffID string, x *inventory.Extractor, lim image.Limits, sp *inventory.Spool, maxRecords int) (*LayerResult, error) {
	res := &LayerResult{Version: cacheVersion, DiffID: wantDiffID,
		Files: map[string][]inventory.Record{}, Links: map[string]string{}, maxRecords: maxRecords}
	var h hash.Hash
	cr := &countReader{r: r}
	var src io.Reader = cr
	if wantDiffID != "" {
		h = sha256.New()
		src = io.TeeReader(cr, h)
	}
	fb := sp.Buffer()
	defer fb.Release()
	warn := func(s string) { res.warn(s) }
	err := image.WalkLayer(ctx, src, lim, warn, func(e *image.Entry) error {
		return res.visit(ctx, e, x, fb)
	})
	if err != nil {
		return nil, err
	}
	// The tar end marker may be followed by padding that is part of the diffID.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("reading layer end: %w", err)
	}
	res.Bytes = cr.n
	if h != nil {
		got := "sha256:" + hex.EncodeToString(h.Sum(nil))
		if got != wantDiffID {
			return nil, fmt.Errorf("layer content %s does not match its diffID %s", got, wantDiffID)
		}
	}
	return res, nil
}

func (res *LayerResult) warn(s string) {
	switch {
	case len(res.Warnings) < maxLayerWarnings:
		res.Warnings = append(res.Warnings, s)
	case len(res.Warnings) == maxLayerWarnings:
		res.Warnings = append(res.Warnings, "further warnings for this layer omitted")
	}
}

func (res *LayerResult) visit(ctx context.Context, e *image.Entry, x *inventory.Extractor, fb *inventory.Buffer) error {
	switch e.Kind {
	case image.Whiteout:
		res.Whiteouts = append(res.Whiteouts, e.Path)
	case image.Opaque:
		res.Opaque = append(res.Opaque, e.Path)
	case image.Symlink:
		if slices.Contains(inventory.OSReleasePaths, e.Path) || x.Required(e.Path, 0o755, 0) {
			res.Links[e.Path] = e.Link
		}
	case image.Hardlink:
		if recs, ok := res.Files[e.Link]; ok {
			res.Files[e.Path] = relocate(recs, e.Path)
		}
	case image.Other:
		if e.Mode&(fs.ModeDevice|fs.ModeCharDevice) != 0 {
			res.warn(fmt.Sprintf("skipped device file /%s", e.Path))
		}
	case image.Unreadable: // the walker has warned
		if slices.Contains(inventory.OSReleasePaths, e.Path) || x.Required(e.Path, e.Mode, e.Size) {
			res.skipFile(e.Path, e.Skip, e.Detail, "")
			res.Files[e.Path] = nil // present, so lower layers' copies stay hidden
		}
	case image.File:
		return res.file(ctx, e, x, fb)
	}
	return nil
}

func (res *LayerResult) file(ctx context.Context, e *image.Entry, x *inventory.Extractor, fb *inventory.Buffer) error {
	isOSRelease := slices.Contains(inventory.OSReleasePaths, e.Path)
	if !isOSRelease && !x.Required(e.Path, e.Mode, e.Size) {
		return nil
	}
	if !isOSRelease && res.layerFull(e.Path) {
		res.Files[e.Path] = nil // present, so lower layers' copies stay hidden
		return nil
	}
	f := inventory.File{Path: e.Path, Mode: e.Mode, Size: e.Size, Body: e.Body}
	var recs []inventory.Record
	var skips []inventory.Skip
	var err error
	if isOSRelease {
		recs, skips, err = res.osRelease(ctx, f, x)
	} else {
		recs, skips, err = x.ExtractFile(ctx, f, fb)
	}
	if err != nil {
		return err
	}
	res.skipAll(skips)
	res.Files[e.Path] = res.keepRecords(e.Path, recs)
	return nil
}

// osRelease reads an os-release candidate (small, so read whole) and runs
// any parser that also wants it.
func (res *LayerResult) osRelease(ctx context.Context, f inventory.File, x *inventory.Extractor) ([]inventory.Record, []inventory.Skip, error) {
	if f.Size > maxOSRelease {
		return nil, []inventory.Skip{{Path: f.Path, Reason: inventory.SkipTooLarge,
			Detail: fmt.Sprintf("an os-release file of %d bytes (limit %d)", f.Size, maxOSRelease)}}, nil
	}
	b := make([]byte, f.Size)
	if _, err := io.ReadFull(f.Body, b); err != nil {
		return nil, nil, fmt.Errorf("reading /%s: %w", f.Path, err)
	}
	if res.OSRelease == nil {
		res.OSRelease = map[string]map[string]string{}
	}
	res.OSRelease[f.Path] = inventory.ParseReleaseFile(f.Path, b)
	if !x.Required(f.Path, f.Mode, f.Size) {
		return nil, nil, nil
	}
	return x.Extract(ctx, f.Path, f.Mode, b)
}

// skipAll records files the parsers could not (fully) read: each is a
// warning and a Skipped entry, which the result counts as unchecked.
func (res *LayerResult) skipAll(skips []inventory.Skip) {
	for _, s := range skips {
		detail := s.Detail
		if s.Parser != "" {
			detail = s.Parser + ": " + detail
		}
		res.skipFile(s.Path, s.Reason, detail, s.String())
	}
}

// maxOSRelease bounds an os-release or release file (real ones are under
// 1 KiB); a larger one is skipped.
const maxOSRelease = 1 << 20

func relocate(recs []inventory.Record, p string) []inventory.Record {
	out := make([]inventory.Record, len(recs))
	for i, r := range recs {
		r.Location = p
		out[i] = r
	}
	return out
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
