// Package version orders package versions the way each ecosystem does
// (dpkg with epochs and "~", apk, rpm, PEP 440, Maven, RubyGems, NuGet,
// SemVer incl. Go pseudo-versions, …).
//
// It wraps github.com/google/osv-scalibr/semantic, the OSV project's own
// implementation, verified against the OSV version-ordering fixtures in
// testdata/vulndb/version-orderings (see version_test.go). Wrapping keeps
// the dependency behind three functions and adds the one normalisation
// OSV's Go data needs: Go records list versions without the "v" prefix
// that go.mod, PURLs and inventories use.
package version

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// V is a parsed version of one ecosystem.
type V struct{ v semantic.Version }

// Compare returns -1, 0 or +1. Versions of different ecosystems compare
// as equal (never happens: callers parse both sides with one Parser).
func (a V) Compare(b V) int {
	c, err := a.v.Compare(b.v)
	if err != nil {
		return 0
	}
	return c
}

// Parser parses the versions of one ecosystem (or of a SEMVER range).
type Parser func(string) (V, error)

// rpmFamily lists the rpm-based ecosystems whose advisories Sightline
// reads but osv-scalibr's semantic package does not name (it knows
// "Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE", "openEuler",
// "Mageia"). Their versions are rpm EVRs ("[epoch:]version-release") and
// order as rpm's rpmvercmp does, so they use the Red Hat comparison:
// Amazon Linux (ALAS updateinfo), Oracle Linux (ELSA OVAL), Photon OS and
// Azure Linux (OSV).
var rpmFamily = map[string]bool{"Amazon Linux": true, "Oracle Linux": true, "Photon OS": true, "Azure Linux": true}

// ForEcosystem returns the parser of an OSV ecosystem name; release
// suffixes ("Debian:12", "Alpine:v3.19", "Amazon Linux:2023") are allowed.
// Unknown ecosystems are an error.
func ForEcosystem(ecosystem string) (Parser, error) {
	semEco := ecosystem
	if rpmFamily[Base(ecosystem)] {
		semEco = "Red Hat"
	}
	if _, err := semantic.Parse("0", semEco); errors.Is(err, semantic.ErrUnsupportedEcosystem) {
		return nil, fmt.Errorf("ecosystem %q has no known version ordering", ecosystem)
	}
	goEco := Base(ecosystem) == "Go"
	return func(s string) (V, error) {
		if goEco {
			s = Normalize(ecosystem, s)
		}
		v, err := semantic.Parse(s, semEco)
		if err != nil {
			return V{}, fmt.Errorf("%s version %q: %w", ecosystem, s, err)
		}
		return V{v}, nil
	}, nil
}

// SemVer parses versions of OSV SEMVER ranges (a leading "v" is ignored).
func SemVer(s string) (V, error) {
	return V{semantic.ParseSemverVersion(strings.TrimPrefix(s, "v"))}, nil
}

// Base is the ecosystem without its release suffix: "Debian:12" → "Debian".
func Base(ecosystem string) string {
	if i := strings.IndexByte(ecosystem, ':'); i >= 0 {
		return ecosystem[:i]
	}
	return ecosystem
}

// Normalize turns a version as inventories spell it into the form OSV
// records of the ecosystem use: Go drops the leading "v".
func Normalize(ecosystem, s string) string {
	if Base(ecosystem) == "Go" {
		return strings.TrimPrefix(s, "v")
	}
	return s
}

// Supported reports whether ecosystem has a version ordering.
func Supported(ecosystem string) bool {
	_, err := ForEcosystem(ecosystem)
	return err == nil
}
