package suppress

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Suppression kinds recorded in scan.Suppression.Kind.
const (
	KindIgnore  = "ignore"  // an ignore-file entry
	KindVEX     = "vex"     // an OpenVEX not_affected/fixed statement
	KindUnfixed = "unfixed" // --ignore-unfixed and no fix released
)

// Options select what Apply suppresses.
type Options struct {
	IgnoreUnfixed bool
	Ignore        *IgnoreFile // nil: none
	VEX           []*VEX
	Now           time.Time // for expiry; the caller's clock
}

// Apply moves every suppressed finding of res from Findings to Suppressed
// (appending to what is already there) and returns warnings for the user:
// expired ignore entries. Order of precedence when several rules apply:
// VEX (a statement about the product), then the ignore file, then
// --ignore-unfixed — the first one is recorded.
func Apply(res *scan.Result, opts Options) []string {
	sources := sourceNames(res.Packages)
	target := targetIDs(res.Target)
	var warnings []string
	var active []IgnoreEntry
	if opts.Ignore != nil {
		for _, e := range opts.Ignore.Entries {
			if e.Expired(opts.Now) {
				warnings = append(warnings, fmt.Sprintf(
					"%s:%d: ignore entry %s expired on %s and no longer suppresses (%d finding(s) back)",
					opts.Ignore.Path, e.line, e.ID, e.Expires, countMatches(res.Findings, e, sources)))
				continue
			}
			active = append(active, e)
		}
	}
	// Filtered in place (kept never overtakes i): no second copy of a
	// large finding list.
	kept := res.Findings[:0]
	for i := range res.Findings {
		f := res.Findings[i]
		if s := suppression(&f, opts, active, target, sources); s != nil {
			f.Suppression = s
			res.Suppressed = append(res.Suppressed, f)
			continue
		}
		kept = append(kept, f)
	}
	res.Findings = kept
	return warnings
}

func suppression(f *scan.Finding, opts Options, active []IgnoreEntry, target []string, sources map[string]string) *scan.Suppression {
	for _, v := range opts.VEX {
		if s := v.match(f, target); s != nil {
			return s
		}
	}
	for _, e := range active {
		if e.matches(f, sources) {
			src := ""
			if opts.Ignore != nil {
				src = fmt.Sprintf("%s:%d", opts.Ignore.Path, e.line)
			}
			return &scan.Suppression{Kind: KindIgnore, Reason: e.Reason, Source: src, Expires: e.Expires}
		}
	}
	if opts.IgnoreUnfixed && f.FixState != vulndb.FixStateFixed {
		return &scan.Suppression{Kind: KindUnfixed, Reason: "no fixed version released (--ignore-unfixed)"}
	}
	return nil
}

func countMatches(fs []scan.Finding, e IgnoreEntry, sources map[string]string) int {
	n := 0
	for i := range fs {
		if e.matches(&fs[i], sources) {
			n++
		}
	}
	return n
}

// matches: the entry is not a check entry (object), the id equals the finding's id or an alias (case-insensitive,
// ids are upper-case by convention but hand-typed), and the package scope,
// if any, names the package, its source package or covers its PURL.
func (e IgnoreEntry) matches(f *scan.Finding, sources map[string]string) bool {
	if e.Object != "" { // a sightline check entry
		return false
	}
	if !strings.EqualFold(e.ID, f.ID) && !slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(a, e.ID) }) {
		return false
	}
	switch {
	case e.Package == "":
		return true
	case strings.HasPrefix(e.Package, "pkg:"):
		return purlCovers(e.Package, f.Package.PURL)
	default:
		return e.Package == f.Package.Name || (f.Package.PURL != "" && e.Package == sources[f.Package.PURL])
	}
}

// sourceNames maps package PURL to source package name (dpkg Source, apk
// origin), so an ignore entry can name "glibc" for libc6 and libc-bin.
func sourceNames(pkgs []inventory.Package) map[string]string {
	m := make(map[string]string, len(pkgs))
	for _, p := range pkgs {
		if p.SourceName != "" && p.PURL != "" {
			m[p.PURL] = p.SourceName
		}
	}
	return m
}
