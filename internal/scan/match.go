package scan

import (
	"context"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/match"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// DBMatcher adapts the knowledge base's matcher to Matcher. Distro
// packages are queried with their source package (dpkg Source, apk
// origin), which is how Debian, Ubuntu and Alpine key their advisories.
type DBMatcher struct{ M *match.Matcher }

// Match implements Matcher.
func (d DBMatcher) Match(ctx context.Context, p inventory.Package) ([]vulndb.Vulnerability, error) {
	return d.M.Match(ctx, match.Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version,
		SourceName: p.SourceName, SourceVersion: p.SourceVersion, Arch: p.Arch, NameCaseUnknown: p.NameCaseUnknown,
		Platform: goPlatform(p)})
}

// Notes implements Noter: package names matched ignoring case.
func (d DBMatcher) Notes() []string { return d.M.Notes() }
