// Package match decides which advisories of the vulndb affect one package
// version, with each ecosystem's own version ordering and OSV's range
// semantics, and merges records that alias each other into one finding.
package match

import (
	"context"
	"errors"

	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Query names one installed package.
type Query struct {
	Ecosystem     string // OSV ecosystem, release suffix kept: "Debian:12", "Alpine:v3.19", "Go", "npm"
	Name          string // package name (binary package for distros)
	Version       string
	SourceName    string // dpkg Source / apk origin: distro advisories are keyed by it
	SourceVersion string // version of the source package, when it differs
}

// Matcher answers queries against one open database.
type Matcher struct {
	db *vulndb.DB
}

// New returns a Matcher over db. It is safe for concurrent use.
func New(db *vulndb.DB) *Matcher { return &Matcher{db: db} }

// Match returns the advisories affecting q, merged across aliases and
// sorted by ID. An ecosystem without version ordering support is an error;
// a package without advisories gives an empty result.
func (m *Matcher) Match(ctx context.Context, q Query) ([]vulndb.Vulnerability, error) {
	return nil, errors.New("match: not implemented yet")
}
