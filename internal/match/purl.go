package match

import (
	"fmt"

	"github.com/sightline-sec/sightline/internal/purl"
)

// FromPURL turns a package URL into a Query, through the mapping SBOM input
// uses (internal/purl). Distro PURLs need the release in the distro
// qualifier (deb: "debian-12", "bookworm", "ubuntu-22.04"; apk:
// "alpine-3.19"); a deb/apk PURL names a binary package, so ?source=NAME
// (or upstream=NAME, or origin=NAME for apk; "NAME@VERSION" also works)
// names the source package, and without it the name is taken as the
// source name.
func FromPURL(s string) (Query, error) {
	p, err := purl.ToPackage(s, "")
	if err != nil {
		return Query{}, fmt.Errorf("package URL: %w", err)
	}
	if p.Version == "" {
		return Query{}, fmt.Errorf("package URL %q: no version (want …@VERSION)", s)
	}
	if p.Ecosystem == "" {
		switch p.Type {
		case "deb", "apk", "rpm":
			return Query{}, fmt.Errorf("package URL %q: needs a distro qualifier with the release, e.g. ?distro=debian-12, ?distro=ubuntu-22.04, ?distro=alpine-3.19 or ?distro=amzn-2023 (CentOS and Fedora have no advisory source)", s)
		}
		return Query{}, fmt.Errorf("package URL %q: type %q is not supported (use golang, npm, pypi, maven, gem, cargo, nuget, composer, hex, pub, hackage, cran, deb, apk, rpm)", s, p.Type)
	}
	q := Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, Arch: p.Arch, NameCaseUnknown: p.NameCaseUnknown}
	if usesSource(p.Ecosystem) {
		q.SourceName = p.SourceName
		if q.SourceName == "" {
			q.SourceName = p.Name
		}
		if p.SourceVersion != p.Version {
			q.SourceVersion = p.SourceVersion
		}
	}
	return q, nil
}
