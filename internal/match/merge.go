package match

import (
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/vulndb"
	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// primaryPrefixes lists, per ecosystem, the id prefixes of the
// ecosystem's own advisories, best first. Records from these databases are
// preferred as the primary id of a merged finding; then any other
// non-CVE id, then GHSA, then CVE.
var primaryPrefixes = map[string][]string{
	"Go":          {"GO-"},
	"Debian":      {"DSA-", "DLA-", "DTSA-", "DEBIAN-"},
	"Ubuntu":      {"USN-", "UBUNTU-"},
	"Alpine":      {"ALPINE-"},
	"PyPI":        {"PYSEC-", "GHSA-"},
	"crates.io":   {"RUSTSEC-", "GHSA-"},
	"Red Hat":     {"RHSA-", "RHBA-", "RHEA-"},
	"AlmaLinux":   {"ALSA-", "ALBA-", "ALEA-"},
	"Rocky Linux": {"RLSA-", "RXSA-"},
	"SUSE":        {"SUSE-"},
	"openSUSE":    {"openSUSE-", "SUSE-"},
	"Wolfi":       {"CGA-"},
	"Chainguard":  {"CGA-"},
}

func idRank(eco, id string) int {
	prefs := primaryPrefixes[version.Base(eco)]
	for i, p := range prefs {
		if strings.HasPrefix(id, p) {
			return i
		}
	}
	switch {
	case strings.HasPrefix(id, "GHSA-"):
		return len(prefs) + 1
	case strings.HasPrefix(id, "CVE-"):
		return len(prefs) + 2
	}
	return len(prefs)
}

// mergeKeys are the ids under which a record is "the same vulnerability":
// its id and aliases, and for Debian advisories (DSA/DLA/DTSA) also
// `related`, which is where they list the CVEs they fix. Other databases
// use `related` for merely similar issues, so it is not followed there.
func mergeKeys(r *vulndb.Record) []string {
	keys := append([]string{r.ID}, r.Aliases...)
	if strings.HasPrefix(r.ID, "DSA-") || strings.HasPrefix(r.ID, "DLA-") || strings.HasPrefix(r.ID, "DTSA-") {
		keys = append(keys, r.Related...)
	}
	return keys
}

// merge groups hits whose records alias each other (transitively) into one
// Vulnerability per group.
func (m *Matcher) merge(eco string, parse version.Parser, hits []hit) []vulndb.Vulnerability {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, h := range hits {
		for _, k := range mergeKeys(h.rec) {
			if j, ok := owner[k]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[k] = i
			}
		}
	}
	groups := map[int][]hit{}
	var order []int
	for i, h := range hits {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], h)
	}
	out := make([]vulndb.Vulnerability, 0, len(order))
	for _, r := range order {
		out = append(out, m.build(eco, parse, groups[r]))
	}
	slices.SortFunc(out, func(a, b vulndb.Vulnerability) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (m *Matcher) build(eco string, parse version.Parser, g []hit) vulndb.Vulnerability {
	slices.SortStableFunc(g, func(a, b hit) int {
		if d := idRank(eco, a.rec.ID) - idRank(eco, b.rec.ID); d != 0 {
			return d
		}
		return strings.Compare(a.rec.ID, b.rec.ID)
	})
	p := g[0].rec
	v := vulndb.Vulnerability{ID: p.ID, Summary: p.Summary, Published: p.Published, Modified: p.Modified,
		Severity: p.Severity.Attributed(p.ID), References: p.References, Aliases: []string{}, FixedVersions: []string{}}
	ids := map[string]bool{}
	for _, h := range g {
		for _, k := range mergeKeys(h.rec) {
			ids[k] = true
		}
		v.FixedVersions = append(v.FixedVersions, h.fixed...)
		v.GoImports = append(v.GoImports, h.imports...)
		v.GoPlatform = mergePlatform(v.GoPlatform, h.platform)
		if h.rec != p {
			v.Severity = vulndb.MergeSeverity(v.Severity, h.rec.Severity.Attributed(h.rec.ID))
			if v.Summary == "" {
				v.Summary = h.rec.Summary
			}
			if h.rec.Modified.After(v.Modified) {
				v.Modified = h.rec.Modified
			}
		}
	}
	delete(ids, p.ID)
	for id := range ids {
		v.Aliases = append(v.Aliases, id)
	}
	slices.Sort(v.Aliases)
	v.FixedVersions = sortVersions(v.FixedVersions, parse)
	if vulndb.LevelRank(v.Severity.Level) == 0 {
		if s, ok := m.aliasSeverity(v.Aliases); ok {
			v.Severity = s
		}
	}
	v.Severity = ownSeverity(v.Severity)
	v.References = slices.Clone(v.References)
	v.FixState = vulndb.FixStateNotFixed
	if len(v.FixedVersions) > 0 {
		v.FixState = vulndb.FixStateFixed
	}
	m.exploitData(&v)
	return v
}

// exploitData attaches the KEV entry and the best EPSS score of any CVE
// among the ids.
func (m *Matcher) exploitData(v *vulndb.Vulnerability) {
	for _, id := range append([]string{v.ID}, v.Aliases...) {
		if !strings.HasPrefix(id, "CVE-") {
			continue
		}
		if v.KEV == nil {
			v.KEV = m.db.KEV(id)
		}
		if e := m.db.EPSS(id); e != nil && (v.EPSS == nil || e.Score > v.EPSS.Score) {
			v.EPSS = e
		}
	}
}

func sortVersions(vs []string, parse version.Parser) []string {
	slices.SortFunc(vs, func(a, b string) int {
		va, ea := parse(a)
		vb, eb := parse(b)
		if ea != nil || eb != nil {
			return strings.Compare(a, b)
		}
		if c := va.Compare(vb); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(vs)
}

// ownSeverity copies the CVSS entries so merging severities of aliasing
// records never writes into the Matcher's record cache. (Match results
// themselves are memoised and shared: callers must not modify them.)
func ownSeverity(s vulndb.Severity) vulndb.Severity {
	for _, c := range []**vulndb.CVSS{&s.CVSSv2, &s.CVSSv3, &s.CVSSv4} {
		if *c != nil {
			cp := **c
			*c = &cp
		}
	}
	return s
}

// aliasSeverity rates a finding that none of its matched records rates
// (Go vulndb records never carry a severity) from the records of its
// aliases, when the database holds them: GHSA first (GitHub's CVSS vector
// and rating of the vulnerability itself), then CVE records (osv.dev's,
// with NVD's CVSS vectors), then any other id. From records that are not
// GHSA only CVSS vectors are taken: an ecosystem rating such as Debian's
// urgency or Ubuntu's priority rates that distribution's package, not
// this finding. Severity.Source names the alias used.
func (m *Matcher) aliasSeverity(aliases []string) (vulndb.Severity, bool) {
	ids := slices.Clone(aliases)
	rank := func(id string) int {
		switch {
		case strings.HasPrefix(id, "GHSA-"):
			return 0
		case strings.HasPrefix(id, "CVE-"):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(ids, func(a, b string) int { return rank(a) - rank(b) })
	for _, id := range ids {
		rec := m.recordByID(id)
		if rec == nil {
			continue
		}
		o := rec.Severity
		o.Source = id
		if rank(id) != 0 {
			o.Ecosystem = ""
		}
		if s := vulndb.MergeSeverity(vulndb.Severity{}, o); vulndb.LevelRank(s.Level) > 0 {
			return s, true
		}
	}
	return vulndb.Severity{}, false
}

// recordByID returns the record stored under an id by any source, cached
// (nil when none holds it or it cannot be read: a severity lookup never
// fails a match).
func (m *Matcher) recordByID(id string) *vulndb.Record {
	if r, ok := m.byID.Load(id); ok {
		return r.(*vulndb.Record)
	}
	r, err := m.db.RecordByID(id)
	if err != nil {
		r = nil
	}
	m.byID.Store(id, r)
	return r
}
