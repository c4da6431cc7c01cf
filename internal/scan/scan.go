package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
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

// Noter is a Matcher that can say what it had to guess while matching
// (package names matched ignoring case); the notes become warnings.
type Noter interface {
	Notes() []string
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
	// SkipDev leaves out packages that every lockfile listing them marks
	// as development/test-only (Package.Dev), with a warning counting them.
	SkipDev bool
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

// spool is where a scan's layer readers keep wanted files while they are
// parsed (inventory.Spool: small ones in memory, large ones in TempDir).
func (s *Scanner) spool() *inventory.Spool {
	dir := s.TempDir
	if dir == "" && s.CacheDir != "" {
		dir = filepath.Join(s.CacheDir, "tmp")
	}
	return inventory.NewSpool(dir, 0)
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
		Target: Target{Kind: "image", Name: im.Input, Transport: im.Transport, Digest: im.Digest, Platform: im.Platform,
			Config: imageConfig(cf), LayerCount: len(results)},
		OS: inventory.OSFromRelease(osRel),
	}
	for i, l := range results {
		for _, w := range l.Warnings {
			res.Warnings = append(res.Warnings, fmt.Sprintf("layer %d (%s): %s", i, short(l.DiffID), w))
		}
	}
	res.Coverage = &Coverage{SkippedFiles: v.skipped()}
	res.Packages = packages(v.records(), osRel, refs)
	s.dropDev(res)
	fillImagePlatform(res.Packages, im.Platform)
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

func (s *Scanner) readLayer(ctx context.Context, im *image.Image, l v1.Layer, diffID string, x *inventory.Extractor, sp *inventory.Spool) (*LayerResult, error) {
	rc, err := im.OpenLayer(l)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return analyze(ctx, rc, diffID, x, s.Limits, sp, s.MaxLayerRecords)
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
	markBase(refs, cf.History)
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
		if p.Name == "" || p.Version == "(devel)" {
			continue // "(devel)": a Go main module built from a checkout (the scanned code itself)
		}
		k := p.Type + "\x00" + p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.Platform
		if i, ok := byKey[k]; ok {
			out[i].Locations = append(out[i].Locations, p.Locations...)
			out[i].Dev = out[i].Dev && p.Dev // dev only if every lockfile says so
			out[i].GoBinaries = append(out[i].GoBinaries, p.GoBinaries...)
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

// match fills res.Findings (one finding per package and vulnerability)
// and res.Coverage: every package is counted, per ecosystem, as checked
// or unchecked with the reason (no database, the matcher's
// match.UncheckedError reasons, or match_error when the database could
// not be read for it). res.Coverage.SkippedFiles, when the caller set it,
// is kept. An unchecked package never fails the scan.
func (s *Scanner) match(ctx context.Context, res *Result) error {
	res.DB = s.DB
	res.Findings = []Finding{}
	cov := res.Coverage
	if cov == nil {
		cov = &Coverage{}
	}
	res.Coverage = cov
	cov.DB = CoverageDBOK
	switch {
	case s.Matcher == nil:
		cov.DB = CoverageDBNone
	case s.DB != nil && s.DB.Stale:
		cov.DB = CoverageDBStale
		res.Warnings = append(res.Warnings, "advisory data is stale: "+s.DB.StaleDetail+"; run `sightline db update`")
	}
	tally := newTally()
	firstErr := map[string]error{}
	gev := newGoEvidence(s.cache().symbols())
	m := newFindingLimiter(s.Matcher, s.MaxFindings)
	for i, p := range res.Packages {
		if i%64 == 0 {
			s.progress("matching", i, len(res.Packages))
		}
		if s.Matcher == nil {
			tally.add(p.Ecosystem, UncheckedNoDB)
			continue
		}
		vulns, err := m.Match(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, vulndb.ErrDamaged) {
				return err // the whole database is suspect, not this package
			}
			reason := UncheckedMatchError
			var u interface{ UncheckedReason() string }
			if errors.As(err, &u) {
				reason = u.UncheckedReason()
			} else if errors.Is(err, ErrFindingLimit) {
				reason = UncheckedFindingLimit
			} else if firstErr[p.Ecosystem] == nil {
				firstErr[p.Ecosystem] = err
			}
			tally.add(p.Ecosystem, reason)
			continue
		}
		tally.add(p.Ecosystem, "")
		for _, v := range vulns {
			res.Findings = append(res.Findings, Finding{Vulnerability: v, Package: PackageRef{
				Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL, Layer: p.Layer, Platform: p.Platform},
				Evidence: gev.evidence(p, v)})
		}
	}
	tally.fill(cov)
	for _, e := range slices.Sorted(maps.Keys(firstErr)) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d %s packages could not be matched: %v",
			cov.ecosystem(e).Unchecked[UncheckedMatchError], ecosystemName(e), firstErr[e]))
	}
	if n := m.cut; n > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d packages were not matched: the scan reached its limit of %d findings", n, m.limit))
	}
	if n, ok := s.Matcher.(Noter); ok {
		res.Warnings = append(res.Warnings, n.Notes()...)
	}
	s.progress("matching", len(res.Packages), len(res.Packages))
	return nil
}

// tally counts packages per ecosystem and reason ("" = checked).
type tally map[string]map[string]int

func newTally() tally { return tally{} }

func (t tally) add(eco, reason string) {
	if t[eco] == nil {
		t[eco] = map[string]int{}
	}
	t[eco][reason]++
}

func (t tally) fill(c *Coverage) {
	c.Ecosystems = []EcosystemCoverage{}
	c.Packages, c.Checked, c.Unchecked = 0, 0, 0
	for _, eco := range slices.Sorted(maps.Keys(t)) {
		ec := EcosystemCoverage{Ecosystem: eco}
		for reason, n := range t[eco] {
			ec.Packages += n
			if reason == "" {
				ec.Checked += n
				continue
			}
			if ec.Unchecked == nil {
				ec.Unchecked = map[string]int{}
			}
			ec.Unchecked[reason] += n
		}
		c.Packages += ec.Packages
		c.Checked += ec.Checked
		c.Ecosystems = append(c.Ecosystems, ec)
	}
	c.Unchecked = c.Packages - c.Checked
}

// ecosystem returns the coverage line of eco (zero value if absent).
func (c *Coverage) ecosystem(eco string) EcosystemCoverage {
	for _, e := range c.Ecosystems {
		if e.Ecosystem == eco {
			return e
		}
	}
	return EcosystemCoverage{}
}

// ecosystemName is how messages name an ecosystem; "" has none.
func ecosystemName(eco string) string {
	if eco == "" {
		return "(no ecosystem)"
	}
	return eco
}

// skipped lists the files layers could not read that are still visible in
// the final filesystem (a skipped file a later layer replaced or deleted
// hides nothing), with their layer index set.
func (v *view) skipped() []SkippedFile {
	var out []SkippedFile
	for i, l := range v.layers {
		for _, sf := range l.Skipped {
			if v.hiddenAbove(i, strings.TrimPrefix(sf.Path, "/")) {
				continue
			}
			layer := i
			sf.Layer = &layer
			out = append(out, sf)
		}
	}
	return out
}

// hiddenAbove reports whether a layer above l has its own entry at p or
// cuts p off (whiteout of p or an ancestor, opaque ancestor).
func (v *view) hiddenAbove(l int, p string) bool {
	for j := l + 1; j < len(v.layers); j++ {
		lj := v.layers[j]
		if _, ok := lj.Files[p]; ok {
			return true
		}
		if _, ok := lj.Links[p]; ok {
			return true
		}
		if v.breaksChain(j, p) {
			return true
		}
	}
	return false
}

func short(diffID string) string {
	_, h, _ := strings.Cut(diffID, ":")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
