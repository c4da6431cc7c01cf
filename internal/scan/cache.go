package scan

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/inventory"
)

// layerCache stores LayerResults as <dir>/<algorithm>/<hex>.json. Entries
// are written atomically (temp file + rename in the same directory) and
// only for layers whose content was verified against the diffID; entries
// from another cacheVersion are ignored.
type layerCache struct{ dir string }

func (c *layerCache) file(diffID string) (string, bool) {
	algo, hexd, ok := strings.Cut(diffID, ":")
	if !ok || algo != "sha256" || len(hexd) != 64 || strings.Trim(hexd, "0123456789abcdef") != "" {
		return "", false // never build a path from an unexpected string
	}
	return filepath.Join(c.dir, algo, hexd+".json"), true
}

// The entry format (cacheVersion "layer/2") is JSON lines, so neither
// writing nor reading ever holds more than one record as JSON: a
// cacheHeader line — the LayerResult without its Files, plus how many
// lines follow — then one cacheLine per record (a file without records
// has one line without a record), sorted by path. Marshalling a whole
// LayerResult at once was 96 MB of buffers for a 200k-entry dpkg status
// (docs/scan.md "Memory").
type cacheHeader struct {
	*LayerResult
	Lines int `json:"lines"`
}

type cacheLine struct {
	Path   string            `json:"path"`
	Record *inventory.Record `json:"record,omitempty"`
}

func (c *layerCache) get(diffID string) *LayerResult {
	if c == nil {
		return nil
	}
	p, ok := c.file(diffID)
	if !ok {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	lr, err := readCacheEntry(bufio.NewReaderSize(f, 64<<10), diffID)
	if err != nil {
		return nil // unreadable, truncated or another version: rescan
	}
	return lr
}

func readCacheEntry(r io.Reader, diffID string) (*LayerResult, error) {
	dec := json.NewDecoder(r)
	hdr := cacheHeader{LayerResult: &LayerResult{}}
	if err := dec.Decode(&hdr); err != nil {
		return nil, err
	}
	lr := hdr.LayerResult
	if lr.Version != cacheVersion || lr.DiffID != diffID || hdr.Lines < 0 {
		return nil, errors.New("another version or layer")
	}
	lr.Files = map[string][]inventory.Record{}
	for range hdr.Lines {
		var l cacheLine
		if err := dec.Decode(&l); err != nil {
			return nil, err
		}
		recs := lr.Files[l.Path]
		if l.Record != nil {
			recs = append(recs, *l.Record)
		}
		lr.Files[l.Path] = recs
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	if lr.Links == nil {
		lr.Links = map[string]string{}
	}
	return lr, nil
}

func (c *layerCache) put(lr *LayerResult) error {
	if c == nil {
		return nil
	}
	p, ok := c.file(lr.DiffID)
	if !ok {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating layer cache: %w", err)
	}
	if err := c.symbols().spill(lr); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil // as below: no entry rather than one without its symbols
		}
		return fmt.Errorf("writing layer cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil // a read-only cache is not a reason to fail the scan
		}
		return fmt.Errorf("writing layer cache: %w", err)
	}
	bw := bufio.NewWriterSize(tmp, 64<<10)
	err = writeCacheEntry(bw, lr)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, fs.ErrPermission) {
			return nil
		}
		return fmt.Errorf("writing layer cache: %w", err)
	}
	return nil
}

func writeCacheEntry(w io.Writer, lr *LayerResult) error {
	enc := json.NewEncoder(w) // one line per Encode
	head := *lr
	head.Files = nil
	lines := 0
	for _, recs := range lr.Files {
		lines += max(len(recs), 1)
	}
	if err := enc.Encode(cacheHeader{LayerResult: &head, Lines: lines}); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(lr.Files)) {
		recs := lr.Files[p]
		if len(recs) == 0 {
			if err := enc.Encode(cacheLine{Path: p}); err != nil {
				return err
			}
		}
		for i := range recs {
			if err := enc.Encode(cacheLine{Path: p, Record: &recs[i]}); err != nil {
				return err
			}
		}
	}
	return nil
}
