package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/pkgname"
)

// Package names whose case was lost.
//
// Go module paths and npm names are case-sensitive, but the purl
// specification defines its golang and npm types as lower case, and many
// SBOM producers follow it: "github.com/1Panel-dev/1Panel" arrives as
// "github.com/1panel-dev/1panel" and would miss GO-2023-2006. Such a query
// (Query.NameCaseUnknown) is matched against every stored name that equals
// it ignoring case (vulndb.DB.CaseVariants), and the guess is reported as
// a note: one variant other than the queried name is "matched as", several
// are "ambiguous" (all are matched: a possible false positive, flagged,
// rather than a silent miss). Names from binaries and lockfiles keep
// their case and are never folded.

// variants returns the stored spellings under which to look q up (nil:
// name itself); none reports that no spelling has entries, so there is
// nothing to match.
func (m *Matcher) variants(q Query, name string) (vs []string, none bool, err error) {
	vs, err = m.db.CaseVariants(q.Ecosystem, name)
	if err != nil {
		return nil, false, err
	}
	switch {
	case len(vs) == 0:
		return nil, true, nil
	case len(vs) == 1 && vs[0] == pkgname.Key(q.Ecosystem, name):
		return nil, false, nil
	case len(vs) == 1:
		m.note(fmt.Sprintf("%s package %s: its name came lower-case from a purl and %s names are case-sensitive; matched the advisories of %s",
			q.Ecosystem, name, q.Ecosystem, vs[0]))
	default:
		m.note(fmt.Sprintf("%s package %s: its name came lower-case from a purl and is ambiguous; matched the advisories of %s",
			q.Ecosystem, name, strings.Join(vs, " and ")))
	}
	return vs, false, nil
}

// affected collects the index entries of name, or of every variant.
func (m *Matcher) affected(eco, name string, variants []string) ([]vulndb.Affected, error) {
	if variants == nil {
		return m.db.Affected(eco, name)
	}
	var all []vulndb.Affected
	for _, n := range variants {
		es, err := m.db.Affected(eco, n)
		if err != nil {
			return nil, err
		}
		all = append(all, es...)
	}
	return all, nil
}

func (m *Matcher) note(s string) { m.notes.Store(s, struct{}{}) }

// Notes returns, sorted, what matching had to guess since the last call
// (package names matched ignoring case), and forgets them. Callers show
// them as warnings.
func (m *Matcher) Notes() []string {
	var out []string
	m.notes.Range(func(k, _ any) bool {
		out = append(out, k.(string))
		m.notes.Delete(k)
		return true
	})
	slices.Sort(out)
	return out
}
