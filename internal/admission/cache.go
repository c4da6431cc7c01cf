package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sightline-sec/sightline/internal/atomicfile"
	"github.com/sightline-sec/sightline/internal/scan"
)

// MaxCacheFileBytes bounds one scan result file of the cache: an image of
// a few thousand packages is a few MB of JSON.
const MaxCacheFileBytes = 64 << 20

// reindexEvery is how often a cache miss may re-read the directory for
// files added since (by a CI job writing into a shared volume).
const reindexEvery = 30 * time.Second

// ScanCache holds the image-policy summaries of earlier scans, keyed by
// image digest ("sha256:…"). Its directory holds plain `sightline scan
// image --format json` results (schema sightline.scan/v1, docs/json.md),
// one per file named *.json, under any name; a result is indexed by its
// target.digest (the platform image's manifest digest, or the image ID for
// Docker engine and docker-archive scans) and by the digest of
// target.name when that is a digest reference (repo@sha256:…, the
// multi-platform index digest a Pod may name). Results the webhook scans
// itself are written there as <algorithm>-<hex>.json.
//
// Only a summary is kept in memory (the findings the policy refuses and
// the coverage), so a lookup costs a map read.
type ScanCache struct {
	dir string
	log *slog.Logger
	// reindexEvery is how often a miss may re-read dir (reindexEvery
	// constant; tests set 0).
	reindexEvery time.Duration

	mu        sync.RWMutex
	byDigest  map[string]*imageSummary
	files     map[string]time.Time // file name → modification time indexed
	lastIndex time.Time
}

// OpenScanCache indexes dir (created when missing). A file that is not a
// readable scan result is logged and skipped, never fatal: the images it
// would have covered are "not in the cache" and follow the failure choice.
// An empty dir means an in-memory cache only (nothing read or written).
func OpenScanCache(ctx context.Context, dir string, log *slog.Logger) (*ScanCache, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &ScanCache{dir: dir, log: log, reindexEvery: reindexEvery, byDigest: map[string]*imageSummary{}, files: map[string]time.Time{}}
	if dir == "" {
		return c, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("scan cache %s: %w", dir, err)
	}
	if err := c.index(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Len is the number of digests indexed.
func (c *ScanCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byDigest)
}

// Lookup returns the summary of digest's scan. On a miss the directory is
// re-read for new files, at most every reindexEvery.
func (c *ScanCache) Lookup(ctx context.Context, digest string) (*imageSummary, bool) {
	c.mu.RLock()
	s, ok := c.byDigest[digest]
	stale := c.dir != "" && time.Since(c.lastIndex) >= c.reindexEvery
	c.mu.RUnlock()
	if ok || !stale {
		return s, ok
	}
	if err := c.index(ctx); err != nil {
		c.log.Warn("scan cache re-index failed", "dir", c.dir, "error", err.Error())
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok = c.byDigest[digest]
	return s, ok
}

// Store writes res into the cache directory (when there is one) and
// indexes it under its digests and the extra ones (the digest a Pod named
// when it differs from the scanned platform image's).
func (c *ScanCache) Store(res *scan.Result, extra ...string) error {
	sum := summarize(res)
	keys := append(resultDigests(res), extra...)
	if len(keys) == 0 {
		return fmt.Errorf("scan result of %s has no digest", res.Target.Name)
	}
	if c.dir != "" {
		b, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("encoding scan result of %s: %w", res.Target.Name, err)
		}
		name := strings.ReplaceAll(keys[0], ":", "-") + ".json"
		if err := atomicfile.Write(filepath.Join(c.dir, name), b, 0o644); err != nil {
			return fmt.Errorf("scan cache: %w", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		c.byDigest[k] = sum
	}
	return nil
}

// index reads the files of the directory not indexed yet (or changed).
func (c *ScanCache) index(ctx context.Context) error {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("scan cache %s: %w", c.dir, err)
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		c.mu.RLock()
		seen, ok := c.files[e.Name()]
		c.mu.RUnlock()
		if ok && seen.Equal(info.ModTime()) {
			continue
		}
		c.indexFile(e.Name(), info.ModTime())
	}
	c.mu.Lock()
	c.lastIndex = time.Now()
	c.mu.Unlock()
	return nil
}

func (c *ScanCache) indexFile(name string, mod time.Time) {
	path := filepath.Join(c.dir, name)
	res, err := readResult(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[name] = mod
	if err != nil {
		c.log.Warn("scan cache: skipping file", "file", path, "error", err.Error())
		return
	}
	keys := resultDigests(res)
	if len(keys) == 0 {
		c.log.Warn("scan cache: skipping file", "file", path, "error", "the result has no image digest (target.digest)")
		return
	}
	sum := summarize(res)
	for _, k := range keys {
		c.byDigest[k] = sum
	}
}

// readResult reads one scan result file, bounded by MaxCacheFileBytes.
func readResult(path string) (*scan.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxCacheFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxCacheFileBytes {
		return nil, fmt.Errorf("larger than %d MiB", MaxCacheFileBytes>>20)
	}
	var res scan.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("not a scan result: %w", err)
	}
	if res.Schema != scan.Schema {
		return nil, fmt.Errorf("schema %q, want %q (sightline scan image --format json)", res.Schema, scan.Schema)
	}
	if res.Target.Kind != "image" {
		return nil, fmt.Errorf("target kind %q, want image", res.Target.Kind)
	}
	return &res, nil
}

// resultDigests are the digests a result is indexed by: target.digest and
// the digest of a target.name digest reference.
func resultDigests(res *scan.Result) []string {
	var out []string
	if d := res.Target.Digest; d != "" {
		out = append(out, d)
	}
	if _, d, ok := strings.Cut(res.Target.Name, "@"); ok && strings.Contains(d, ":") && d != res.Target.Digest {
		out = append(out, d)
	}
	return out
}
