// Package match decides which advisories of the vulndb affect one package
// version, with each ecosystem's own version ordering and OSV's range
// semantics, and merges records that alias each other into one finding.
//
// Semantics (OSV schema, "Evaluation"): a version is affected by an
// affected[] entry when it is listed in `versions` or falls in one of its
// ECOSYSTEM/SEMVER ranges: events are walked in version order, introduced
// ("0" = everything) opens an interval, fixed closes it at that version,
// last_affected closes it after that version, and limit events bound the
// whole range from above. GIT ranges are dropped at import; withdrawn
// records are never stored.
//
// Fixed versions reported are the fixed events that close the interval
// the queried version is in. Fix state is "fixed" when there is one, else
// "not_fixed" (also when only last_affected is known).
//
// Distro advisories are keyed by source package: for Debian/Ubuntu the
// dpkg Source, for Alpine-family the apk origin (Query.SourceName).
package match

import (
	"context"
	"fmt"
	"sync"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// Query names one installed package.
type Query struct {
	Ecosystem     string // OSV ecosystem, release suffix kept: "Debian:12", "Alpine:v3.19", "Go", "npm"
	Name          string // package name (binary package for distros)
	Version       string
	SourceName    string // dpkg Source / apk origin: distro advisories are keyed by it
	SourceVersion string // version of the source package, when it differs
	Arch          string // rpm architecture: also looks up fixes that differ per architecture (vulndb.ArchName)
	// NameCaseUnknown: Name may have been lowercased by its producer
	// (inventory.Package.NameCaseUnknown); see casefold.go.
	NameCaseUnknown bool
	Platform        Platform // Go binaries: GOOS/GOARCH, which Go advisories may be restricted to
}

// Matcher answers queries against one open database.
type Matcher struct {
	db      *vulndb.DB
	parsers sync.Map // ecosystem → version.Parser (or error)
	records sync.Map // recKey → *vulndb.Record, decoded once: scans repeat packages
	results sync.Map // resultKey → []vulndb.Vulnerability: binary packages of one source share a query
	byID    sync.Map // advisory id → *vulndb.Record (nil if absent): alias severities
	notes   sync.Map // string → struct{}: what name matching had to guess (see Notes)
}

// resultKey is a query after the source-package substitution: a Debian
// image has ~2.5 binary packages per source package, all asking the same.
type resultKey struct {
	eco, name, ver, arch string
	plat                 Platform
}

type recKey struct {
	src uint16
	id  string
}

// record returns the decoded record, cached; callers must not modify it.
func (m *Matcher) record(src uint16, id string) (*vulndb.Record, error) {
	k := recKey{src, id}
	if r, ok := m.records.Load(k); ok {
		return r.(*vulndb.Record), nil
	}
	r, err := m.db.Record(src, id)
	if err != nil {
		return nil, err
	}
	m.records.Store(k, r)
	return r, nil
}

// New returns a Matcher over db. It is safe for concurrent use.
func New(db *vulndb.DB) *Matcher { return &Matcher{db: db} }

func (m *Matcher) parser(eco string) (version.Parser, error) {
	if p, ok := m.parsers.Load(eco); ok {
		if err, bad := p.(error); bad {
			return nil, err
		}
		return p.(version.Parser), nil
	}
	p, err := version.ForEcosystem(eco)
	if err != nil {
		m.parsers.Store(eco, err)
		return nil, err
	}
	m.parsers.Store(eco, p)
	return p, nil
}

// usesSource reports whether an ecosystem keys advisories by source
// package (dpkg Source, apk origin).
func usesSource(eco string) bool {
	switch version.Base(eco) {
	case "Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard", "Alpaquita", "MinimOS",
		"SUSE", "openSUSE": // OSV schema: SUSE/openSUSE names are source RPMs
		return true
	}
	return false
}

// Match returns the advisories affecting q, merged across aliases and
// sorted by ID. Results are memoised per query; callers must not modify
// them. An empty result means the package was checked and no advisory
// affects it; a package that cannot be checked gives an *UncheckedError
// saying why (no version, no advisory source, ecosystem not loaded,
// version not well-formed or not orderable). Other errors mean the
// database could not be read.
func (m *Matcher) Match(ctx context.Context, q Query) ([]vulndb.Vulnerability, error) {
	name, ver := q.Name, q.Version
	if usesSource(q.Ecosystem) && q.SourceName != "" {
		name = q.SourceName
		if q.SourceVersion != "" {
			ver = q.SourceVersion
		}
	}
	if err := m.checkable(q, ver); err != nil {
		return nil, err
	}
	k := resultKey{q.Ecosystem, name, ver, q.Arch, q.Platform}
	cache := !q.NameCaseUnknown // rare (SBOM input); must not share a trusted name's entry
	if cache {
		if v, ok := m.results.Load(k); ok {
			return v.([]vulndb.Vulnerability), nil
		}
	}
	var variants []string
	if q.NameCaseUnknown {
		var none bool
		var err error
		if variants, none, err = m.variants(q, name); err != nil || none {
			return nil, err
		}
	}
	vulns, err := m.match(ctx, q.Ecosystem, name, variants, ver, q.Arch, q.Platform)
	if err != nil {
		return nil, err
	}
	if len(vulns) > 0 && cache {
		m.results.Store(k, vulns) // misses are cheaper to recompute than to store
	}
	return vulns, nil
}

// match evaluates one (ecosystem, name, version) against the database;
// variants, when not nil, are the stored spellings to use instead of name
// (see casefold.go). The version is checked against the ecosystem's rules
// once some advisory names the package (see checkable).
func (m *Matcher) match(ctx context.Context, eco, name string, variants []string, ver, arch string, plat Platform) ([]vulndb.Vulnerability, error) {
	entries, err := m.affected(eco, name, variants)
	if err != nil {
		return nil, err
	}
	if arch != "" {
		perArch, err := m.db.Affected(eco, vulndb.ArchName(name, arch))
		if err != nil {
			return nil, err
		}
		entries = append(entries, perArch...)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	parse, err := m.wellOrdered(eco, name, ver)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{eco: eco, raw: ver, norm: version.Normalize(eco, ver), eparse: parse}
	var hits []hit
	for _, e := range entries {
		ok, fixed, err := ev.affected(e)
		if err != nil {
			return nil, fmt.Errorf("matching %s %s@%s against %s: %w", eco, name, ver, e.RecordID, err)
		}
		if !ok {
			continue
		}
		imports, pcheck, excluded, err := forPlatform(&e, plat)
		if err != nil {
			return nil, fmt.Errorf("matching %s %s@%s against %s: %w", eco, name, ver, e.RecordID, err)
		}
		if excluded {
			continue
		}
		rec, err := m.record(e.Source, e.RecordID)
		if err != nil {
			return nil, err
		}
		hits = append(hits, hit{rec: rec, fixed: fixed, imports: imports, platform: pcheck})
	}
	vulns := m.merge(eco, parse, hits)
	// KEV and EPSS lookups have no error result; damage they met is kept.
	if err := m.db.Err(); err != nil {
		return nil, err
	}
	return vulns, nil
}

type hit struct {
	rec      *vulndb.Record
	fixed    []string
	imports  []vulndb.GoImport // Go: the entry's imports that apply to the platform
	platform string            // Go: PlatformAny, PlatformMatched or PlatformUnknown
}

// evaluator holds the queried version, parsed lazily per range type.
type evaluator struct {
	eco        string
	raw, norm  string
	eparse     version.Parser
	ev, sv     version.V
	eok, sok   bool
	eErr, sErr error
}

func (ev *evaluator) version(t vulndb.RangeType) (version.V, version.Parser, error) {
	if t == vulndb.RangeSemver {
		if !ev.sok && ev.sErr == nil {
			ev.sv, ev.sErr = version.SemVer(ev.norm)
			ev.sok = ev.sErr == nil
		}
		return ev.sv, version.SemVer, ev.sErr
	}
	if !ev.eok && ev.eErr == nil {
		ev.ev, ev.eErr = ev.eparse(ev.norm)
		ev.eok = ev.eErr == nil
	}
	return ev.ev, ev.eparse, ev.eErr
}

// affected evaluates one affected[] entry: listed in versions, or inside a
// range. fixed holds the fixed events closing the matching intervals.
func (ev *evaluator) affected(a vulndb.Affected) (bool, []string, error) {
	hit := a.ListsVersion(ev.raw) || (ev.norm != ev.raw && a.ListsVersion(ev.norm))
	var fixed []string
	for _, r := range a.Ranges {
		v, parse, err := ev.version(r.Type)
		if err != nil {
			return false, nil, err
		}
		in, fix := evalRange(r, v, parse)
		if in {
			hit = true
			if fix != "" {
				fixed = append(fixed, fix)
			}
		}
	}
	return hit, fixed, nil
}

// evalRange applies OSV's evaluation to one range.
func evalRange(r vulndb.Range, v version.V, parse version.Parser) (bool, string) {
	cmp := func(s string) (int, bool) { // v compared with s
		w, err := parse(s)
		if err != nil {
			return 0, false
		}
		return v.Compare(w), true
	}
	if !withinLimits(r, cmp) {
		return false, ""
	}
	if !r.Sorted {
		return evalUnsorted(r, v, parse)
	}
	affected, fixed := false, ""
	for _, e := range r.Events {
		if e.Kind == vulndb.Limit {
			continue
		}
		if e.Kind == vulndb.Introduced && e.Version == "0" {
			affected = true
			continue
		}
		c, ok := cmp(e.Version)
		if !ok {
			continue
		}
		switch e.Kind {
		case vulndb.Introduced:
			if c < 0 {
				return affected, fixed
			}
			affected = true
		case vulndb.Fixed:
			if c < 0 {
				if affected {
					fixed = e.Version
				}
				return affected, fixed
			}
			affected = false
		case vulndb.LastAffected:
			if c <= 0 {
				return affected, fixed
			}
			affected = false
		}
	}
	return affected, fixed
}

// withinLimits: with limit events, v must be below at least one of them.
func withinLimits(r vulndb.Range, cmp func(string) (int, bool)) bool {
	seen := false
	for _, e := range r.Events {
		if e.Kind != vulndb.Limit {
			continue
		}
		seen = true
		if e.Version == "*" {
			return true
		}
		if c, ok := cmp(e.Version); ok && c < 0 {
			return true
		}
	}
	return !seen
}

// evalUnsorted handles ranges the importer could not sort because some
// event version did not parse: those events are skipped (as OSV tools
// do), the rest sorted now, and evaluated as usual.
func evalUnsorted(r vulndb.Range, v version.V, parse version.Parser) (bool, string) {
	sorted, _ := vulndb.SortEvents(r.Events, parse)
	return evalRange(vulndb.Range{Type: r.Type, Sorted: true, Events: sorted}, v, parse)
}
