package admission

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Rule IDs of the image policy. They are not CEL rules: they read scan
// results, not the admitted object.
const (
	// RuleImageKEV: an image has a vulnerability listed in the CISA Known
	// Exploited Vulnerabilities catalog (https://www.cisa.gov/known-exploited-vulnerabilities-catalog).
	RuleImageKEV = "SL-IMG-001"
	// RuleImageCriticalFixable: an image has a critical vulnerability
	// (CVSS ≥ 9, or the ecosystem's "critical") with a fixed version.
	RuleImageCriticalFixable = "SL-IMG-002"
	// RuleImageUnchecked: the image could not be checked (not in the scan
	// cache and not scanned within the budget, a scan without advisory
	// database, an unparsable reference); the failure choice decides.
	RuleImageUnchecked = "SL-IMG-000"
)

// maxNamed is how many vulnerability IDs a message names before "and N more".
const maxNamed = 3

// imageSummary is what the policy needs of one scan result.
type imageSummary struct {
	Name    string // target.name
	DB      string // coverage.db: ok, stale, none
	Partial string // why coverage is incomplete ("" when complete)
	// KEV and CriticalFixable are "ID (package version)" of the findings
	// each rule refuses, sorted as the result lists them.
	KEV, CriticalFixable []string
}

// summarize keeps what the policy reads of res. Suppressed findings (ignore
// file, VEX) are in res.Suppressed and are not counted.
func summarize(res *scan.Result) *imageSummary {
	s := &imageSummary{Name: res.Target.Name, DB: scan.CoverageDBNone}
	if c := res.Coverage; c != nil {
		s.DB = c.DB
		switch {
		case c.Unchecked > 0:
			s.Partial = fmt.Sprintf("%d of %d packages not matched against advisories", c.Unchecked, c.Packages)
		case len(c.SkippedFiles) > 0:
			s.Partial = fmt.Sprintf("%d files the inventory needed were skipped", len(c.SkippedFiles))
		}
	}
	for _, f := range res.Findings {
		what := fmt.Sprintf("%s (%s %s)", f.ID, f.Package.Name, f.Package.Version)
		if f.KEV != nil {
			s.KEV = append(s.KEV, what)
		}
		if f.Severity.Level == "critical" && f.FixState == vulndb.FixStateFixed {
			s.CriticalFixable = append(s.CriticalFixable, what)
		}
	}
	return s
}

// ScanFunc scans one image reference (as a Pod names it) and returns its
// result; cmd/sightline wires image.Open + scan.Scanner.ScanImage.
type ScanFunc func(ctx context.Context, ref string) (*scan.Result, error)

// ImagePolicy decides on the images of a pod spec.
type ImagePolicy struct {
	Cache *ScanCache
	// Scan scans an image the cache does not hold; nil never scans (every
	// such image is unchecked).
	Scan ScanFunc
	// Budget is how long a request waits for a scan (--scan-budget). The
	// scan goes on in the background up to MaxScan and fills the cache,
	// so the API server's retry or the controller's next attempt finds it.
	Budget time.Duration
	// MaxScan bounds one background scan (default 10 minutes).
	MaxScan time.Duration
	// Concurrency bounds simultaneous scans (default 2).
	Concurrency int
	// TagTTL is how long a tag-only reference keeps the digest its scan
	// found (default 10 minutes): a tag can move, so it is rescanned after.
	TagTTL time.Duration
	Log    *slog.Logger

	once    sync.Once
	base    context.Context
	sem     chan struct{}
	mu      sync.Mutex
	flights map[string]*flight
	tags    map[string]tagDigest
}

type flight struct {
	done chan struct{}
	res  *scan.Result
	err  error
}

type tagDigest struct {
	digest  string
	expires time.Time
}

// imageVerdict is the policy's answer for one image.
type imageVerdict struct {
	Ref, Path string
	Digest    string // the digest looked up, when known
	Source    string // "cache" or "scan"
	Denials   []Violation
	// Unchecked says why the image could not be checked ("" when it was).
	Unchecked string
	// Note is a caveat on a checked image (incomplete coverage, stale DB).
	Note string
}

func (p *ImagePolicy) init() {
	p.once.Do(func() {
		if p.base == nil {
			p.base = context.Background()
		}
		if p.MaxScan <= 0 {
			p.MaxScan = 10 * time.Minute
		}
		if p.Concurrency <= 0 {
			p.Concurrency = 2
		}
		if p.TagTTL <= 0 {
			p.TagTTL = 10 * time.Minute
		}
		if p.Log == nil {
			p.Log = slog.New(slog.DiscardHandler)
		}
		if p.Cache == nil {
			p.Cache, _ = OpenScanCache(p.base, "", p.Log)
		}
		p.sem = make(chan struct{}, p.Concurrency)
		p.flights = map[string]*flight{}
		p.tags = map[string]tagDigest{}
	})
}

// check decides on one image; ctx bounds the wait for a scan together
// with Budget.
func (p *ImagePolicy) check(ctx context.Context, img image) imageVerdict {
	p.init()
	v := imageVerdict{Ref: img.Ref, Path: img.Path}
	digest, err := refDigest(img.Ref)
	if err != nil {
		v.Unchecked = err.Error()
		return v
	}
	if digest == "" {
		digest = p.tagDigest(img.Ref)
	}
	if digest != "" {
		v.Digest = digest
		if sum, ok := p.Cache.Lookup(ctx, digest); ok {
			v.Source = "cache"
			return p.judge(v, sum)
		}
	}
	if p.Scan == nil {
		v.Unchecked = "not in the scan cache, and scanning is off"
		return v
	}
	res, err := p.waitScan(ctx, img.Ref)
	if err != nil {
		v.Unchecked = err.Error()
		return v
	}
	v.Source = "scan"
	if v.Digest == "" {
		v.Digest = res.Target.Digest
	}
	return p.judge(v, summarize(res))
}

// judge applies the two rules to a scan summary.
func (p *ImagePolicy) judge(v imageVerdict, s *imageSummary) imageVerdict {
	if s.DB == scan.CoverageDBNone {
		v.Unchecked = "its scan had no advisory database (nothing was matched)"
		return v
	}
	if len(s.KEV) > 0 {
		v.Denials = append(v.Denials, Violation{RuleID: RuleImageKEV, Severity: "critical",
			Title:   "Image with a CISA KEV-listed vulnerability",
			Message: fmt.Sprintf("image %s has %s listed in CISA KEV", v.Ref, named(s.KEV)), Path: v.Path})
	}
	if len(s.CriticalFixable) > 0 {
		v.Denials = append(v.Denials, Violation{RuleID: RuleImageCriticalFixable, Severity: "critical",
			Title:   "Image with a critical fixable vulnerability",
			Message: fmt.Sprintf("image %s has critical fixable %s", v.Ref, named(s.CriticalFixable)), Path: v.Path})
	}
	var notes []string
	if s.DB == scan.CoverageDBStale {
		notes = append(notes, "advisory database was stale at scan time")
	}
	if s.Partial != "" {
		notes = append(notes, s.Partial)
	}
	v.Note = strings.Join(notes, "; ")
	return v
}

// named lists up to maxNamed items, then "and N more".
func named(items []string) string {
	if len(items) <= maxNamed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxNamed], ", "), len(items)-maxNamed)
}

// refDigest parses an image reference: its digest when it names one, ""
// for a tag-only reference, an error when it is not a reference.
func refDigest(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("invalid image reference %q: %v", ref, err)
	}
	if d, ok := named.(reference.Digested); ok {
		return d.Digest().String(), nil
	}
	return "", nil
}

func (p *ImagePolicy) tagDigest(ref string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tags[ref]
	if !ok || time.Now().After(t.expires) {
		delete(p.tags, ref)
		return ""
	}
	return t.digest
}

// waitScan waits up to Budget (and ctx) for a scan of ref, starting one
// unless one is running already.
func (p *ImagePolicy) waitScan(ctx context.Context, ref string) (*scan.Result, error) {
	f := p.flight(ref)
	budget := time.NewTimer(p.Budget)
	defer budget.Stop()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, fmt.Errorf("scan failed: %v", f.err)
		}
		return f.res, nil
	case <-budget.C:
		return nil, fmt.Errorf("not in the scan cache, and its scan did not finish within the %s budget (it goes on in the background)", p.Budget)
	case <-ctx.Done():
		return nil, fmt.Errorf("not in the scan cache, and the request deadline passed during its scan (%v)", context.Cause(ctx))
	}
}

// flight returns the running scan of ref, or starts one.
func (p *ImagePolicy) flight(ref string) *flight {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.flights[ref]; ok {
		return f
	}
	f := &flight{done: make(chan struct{})}
	p.flights[ref] = f
	go p.run(ref, f)
	return f
}

func (p *ImagePolicy) run(ref string, f *flight) {
	defer func() {
		p.mu.Lock()
		delete(p.flights, ref)
		p.mu.Unlock()
		close(f.done)
	}()
	ctx, cancel := context.WithTimeout(p.base, p.MaxScan)
	defer cancel()
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		f.err = ctx.Err()
		return
	}
	start := time.Now()
	f.res, f.err = p.Scan(ctx, ref)
	if f.err == nil && f.res == nil {
		f.err = errors.New("the scanner returned no result")
	}
	if f.err != nil {
		p.Log.Warn("image scan failed", "image", ref, "error", f.err.Error(), "duration_ms", time.Since(start).Milliseconds())
		return
	}
	p.Log.Info("image scanned", "image", ref, "digest", f.res.Target.Digest, "findings", len(f.res.Findings),
		"duration_ms", time.Since(start).Milliseconds())
	p.remember(ref, f.res)
}

// remember stores a finished scan in the cache, under the digest ref
// names too, and maps a tag-only ref to its digest for TagTTL.
func (p *ImagePolicy) remember(ref string, res *scan.Result) {
	d, _ := refDigest(ref)
	var extra []string
	if d != "" && d != res.Target.Digest {
		extra = append(extra, d)
	}
	if err := p.Cache.Store(res, extra...); err != nil {
		p.Log.Warn("scan cache: storing result failed", "image", ref, "error", err.Error())
	}
	if d == "" && res.Target.Digest != "" {
		p.mu.Lock()
		p.tags[ref] = tagDigest{digest: res.Target.Digest, expires: time.Now().Add(p.TagTTL)}
		p.mu.Unlock()
	}
}
