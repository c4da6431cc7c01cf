package scan

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/sightline-sec/sightline/internal/image"
	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Matcher finds the advisories affecting one package (the knowledge base's
// match.Matcher behind a small interface, so the orchestrator is testable
// and the CLI decides where the DB comes from).
type Matcher interface {
	Match(ctx context.Context, p inventory.Package) ([]vulndb.Vulnerability, error)
}

// InputError marks a failure caused by the scanned input (a truncated or
// hostile layer, a lying config) rather than by Sightline: exit code 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Progress receives stage updates ("layers", "matching") for a TTY display.
type Progress func(stage string, done, total int)

// Scanner turns images and directories into Results.
type Scanner struct {
	Extractor *inventory.Extractor
	CacheDir  string // layer results go to CacheDir/layers; empty disables the cache
	Matcher   Matcher
	DB        *DBInfo
	Limits    image.Limits
	Progress  Progress
	Workers   int // layers read concurrently; 0 means GOMAXPROCS, at most maxWorkers
	// TempDir receives large wanted files while they are extracted
	// (deleted right after); "" means CacheDir/tmp, else the system's.
	TempDir string
	// MaxLayerRecords and MaxFindings are the count limits of limits.go;
	// 0 means the defaults. A non-default record limit bypasses the layer
	// cache (its entries are made under the default).
	MaxLayerRecords int
	MaxFindings     int
}

// maxWorkers bounds the default layer concurrency: each layer in flight
// holds read-ahead chunks, a decompressor window and a file buffer
// (~7 MiB), so memory follows this bound rather than the core count.
const maxWorkers = 8

func (s *Scanner) spool() *spool {
	dir := s.TempDir
	if dir == "" && s.CacheDir != "" {
		dir = filepath.Join(s.CacheDir, "tmp")
	}
	sp := newSpool(dir, 0)
	sp.maxRecords = s.MaxLayerRecords
	return sp
}

func (s *Scanner) progress(stage string, done, total int) {
	if s.Progress != nil {
		s.Progress(stage, done, total)
	}
}

func (s *Scanner) cache() *layerCache {
	if s.CacheDir == "" || s.MaxLayerRecords != 0 && s.MaxLayerRecords != DefaultMaxLayerRecords {
		return nil
	}
	return &layerCache{dir: filepath.Join(s.CacheDir, "layers")}
}

// ScanImage inventories an opened image and matches the packages.
func (s *Scanner) ScanImage(ctx context.Context, im *image.Image) (*Result, error) {
	cf, err := im.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	results, err := s.readLayers(ctx, im, cf.RootFS.DiffIDs)
	if err != nil {
		return nil, err
	}
	refs := layerRefs(im, cf)
	v := compose(results)
	osRel := v.osRelease()
	res := &Result{
		Schema: Schema,
		Target: Target{Kind: "image", Name: im.Input, Digest: im.Digest, Platform: im.Platform,
			Config: imageConfig(cf), LayerCount: len(results)},
		OS: inventory.OSFromRelease(osRel),
	}
	for i, l := range results {
		for _, w := range l.Warnings {
			res.Warnings = append(res.Warnings, fmt.Sprintf("layer %d (%s): %s", i, short(l.DiffID), w))
		}
	}
	res.Packages = packages(v.records(), osRel, refs)
	s.progress("packages", len(res.Packages), len(res.Packages))
	return res, s.match(ctx, res)
}

// readLayers returns one LayerResult per diffID, from the cache or by
// streaming the layers concurrently.
func (s *Scanner) readLayers(ctx context.Context, im *image.Image, diffIDs []v1.Hash) ([]*LayerResult, error) {
	cache := s.cache()
	results := make([]*LayerResult, len(diffIDs))
	var missing []int
	for i, d := range diffIDs {
		if results[i] = cache.get(d.String()); results[i] == nil {
			missing = append(missing, i)
		}
	}
	var done atomic.Int32
	done.Store(int32(len(diffIDs) - len(missing)))
	s.progress("layers", int(done.Load()), len(diffIDs))
	if len(missing) == 0 {
		return results, nil
	}
	layers, err := im.Layers()
	if err != nil {
		return nil, &InputError{fmt.Errorf("listing layers: %w", err)}
	}
	if len(layers) != len(diffIDs) {
		return nil, &InputError{fmt.Errorf("image has %d layers but its config lists %d diffIDs", len(layers), len(diffIDs))}
	}
	x := s.Extractor
	sp := s.spool()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(s.Workers, min(runtime.GOMAXPROCS(0), maxWorkers)))
	for _, i := range missing {
		g.Go(func() error {
			lr, err := s.readLayer(gctx, im, layers[i], diffIDs[i].String(), x, sp)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return &InputError{fmt.Errorf("layer %d (%s): %w", i, short(diffIDs[i].String()), err)}
			}
			results[i] = lr
			s.progress("layers", int(done.Add(1)), len(diffIDs))
			return cache.put(lr)
		})
	}
	return results, g.Wait()
}

func (s *Scanner) readLayer(ctx context.Context, im *image.Image, l v1.Layer, diffID string, x *inventory.Extractor, sp *spool) (*LayerResult, error) {
	rc, err := im.OpenLayer(l)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return analyze(ctx, rc, diffID, x, s.Limits, sp)
}

// layerRefs describes each layer: diffID, digest when the manifest is
// cheap to read, and the history line that created it.
func layerRefs(im *image.Image, cf *v1.ConfigFile) []inventory.LayerRef {
	refs := make([]inventory.LayerRef, len(cf.RootFS.DiffIDs))
	for i, d := range cf.RootFS.DiffIDs {
		refs[i] = inventory.LayerRef{Index: i, DiffID: d.String()}
	}
	if im.Transport != image.DockerArchive && im.Transport != image.Daemon {
		if m, err := im.Manifest(); err == nil && len(m.Layers) == len(refs) {
			for i, l := range m.Layers {
				refs[i].Digest = l.Digest.String()
			}
		}
	}
	i := 0
	for _, h := range cf.History {
		if h.EmptyLayer {
			continue
		}
		if i >= len(refs) {
			break
		}
		refs[i].CreatedBy = strings.TrimSpace(h.CreatedBy)
		i++
	}
	return refs
}

func imageConfig(cf *v1.ConfigFile) *ImageConfig {
	c := cf.Config
	ic := &ImageConfig{User: c.User, Entrypoint: c.Entrypoint, Cmd: c.Cmd, Labels: c.Labels}
	for p := range c.ExposedPorts {
		ic.ExposedPorts = append(ic.ExposedPorts, p)
	}
	slices.Sort(ic.ExposedPorts)
	return ic
}

// packages finalises records into the package list: one entry per
// (ecosystem, name, version, type), its locations merged, attributed to
// the lowest layer that introduced any of its copies.
func packages(recs []visibleRecord, osRel map[string]string, refs []inventory.LayerRef) []inventory.Package {
	byKey := map[string]int{}
	out := []inventory.Package{}
	layerOf := make([]int, 0, len(recs))
	for _, r := range recs {
		p := r.Package(osRel)
		if p.Name == "" || p.Version == "" || p.Version == "(devel)" {
			continue // "(devel)": a Go main module built from a checkout, nothing to match
		}
		k := p.Type + "\x00" + p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
		if i, ok := byKey[k]; ok {
			out[i].Locations = append(out[i].Locations, p.Locations...)
			if r.layer >= 0 && r.layer < layerOf[i] {
				layerOf[i] = r.layer
			}
			continue
		}
		byKey[k] = len(out)
		out = append(out, p)
		layerOf = append(layerOf, r.layer)
	}
	for i := range out {
		// Sorted once here: merging per record was quadratic for one
		// package copied to many paths (100k node_modules copies: 255 s).
		if len(out[i].Locations) > 1 {
			slices.Sort(out[i].Locations)
			out[i].Locations = slices.Compact(out[i].Locations)
		}
		if l := layerOf[i]; l >= 0 && l < len(refs) {
			ref := refs[l]
			out[i].Layer = &ref
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		pa, pb := out[a], out[b]
		return cmp.Or(cmp.Compare(pa.Ecosystem, pb.Ecosystem), cmp.Compare(pa.Name, pb.Name),
			cmp.Compare(pa.Version, pb.Version), cmp.Compare(pa.Type, pb.Type)) < 0
	})
	return out
}

// match fills res.Findings: one finding per (package, vulnerability). A
// package the knowledge base cannot evaluate (an ecosystem without a
// version ordering) is reported as a warning, not a failed scan.
func (s *Scanner) match(ctx context.Context, res *Result) error {
	res.DB = s.DB
	res.Findings = []Finding{}
	if s.Matcher == nil {
		return nil
	}
	if s.DB != nil && s.DB.Stale {
		res.Warnings = append(res.Warnings, "the advisory database is stale (sightline db status)")
	}
	failed := map[string]int{}
	var firstErr = map[string]error{}
	m := newFindingLimiter(s.Matcher, s.MaxFindings)
	for i, p := range res.Packages {
		if i%64 == 0 {
			s.progress("matching", i, len(res.Packages))
		}
		vulns, err := m.Match(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if failed[p.Ecosystem] == 0 {
				firstErr[p.Ecosystem] = err
			}
			failed[p.Ecosystem]++
			continue
		}
		for _, v := range vulns {
			res.Findings = append(res.Findings, Finding{Vulnerability: v, Package: PackageRef{
				Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL, Layer: p.Layer}})
		}
	}
	ecos := make([]string, 0, len(failed))
	for e := range failed {
		ecos = append(ecos, e)
	}
	slices.Sort(ecos)
	for _, e := range ecos {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d %q packages not matched: %v", failed[e], e, firstErr[e]))
	}
	s.progress("matching", len(res.Packages), len(res.Packages))
	return nil
}

func short(diffID string) string {
	_, h, _ := strings.Cut(diffID, ":")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
