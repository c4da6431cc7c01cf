package vulndb

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// What the database holds per ecosystem. The writer counts, per source,
// the records affecting each ecosystem (SourceMeta.Ecosystems, from the
// same parsed affected entries it writes into the package index), so both
// questions are answered from the metadata already in memory:
//
//   - "Can a package of ecosystem E be checked?" (DB.HasEcosystem);
//   - "How many records, how old?" (`db status`).
//
// Only a database written before those counts existed falls back to the
// package index itself: its distinct ecosystem prefixes, one cursor Seek
// per ecosystem. That costs ~70 µs a seek on a freshly mapped file (3 ms
// for the 43 ecosystems of the Go+Debian+npm benchmark DB, measured with
// BenchmarkOpenWithEcosystems in internal/match), which a warm rescan
// should not pay.
//
// Ecosystems are exact OSV ecosystem strings, release suffix included:
// "Alpine:v3.10" and "Alpine:v3.19" are different ecosystems, and a
// database holding only Alpine:v3.19 records cannot check an Alpine 3.10
// package (it is "not loaded", never "no findings").

// EcosystemStat counts the records of one source that affect packages of
// one ecosystem. Stored in the database (SourceMeta.Ecosystems).
type EcosystemStat struct {
	Ecosystem string `json:"ecosystem"`
	Records   int    `json:"records"`
	// Newest is the newest modified (or published, when later) time among
	// those records; zero when none carries a date (most Go vulndb records
	// have neither).
	Newest time.Time `json:"newest,omitzero"`
}

// EcosystemStatus is one line of `db status`: an ecosystem summed over
// every source that holds records for it.
type EcosystemStatus struct {
	Ecosystem string    `json:"ecosystem"`
	Records   int       `json:"records"`
	Newest    time.Time `json:"newest,omitzero"`
	Age       string    `json:"age,omitempty"` // of Newest at Status time, e.g. "3d"; empty when undated
	Sources   []string  `json:"sources"`       // SourceMeta.Name of each source holding it
}

// ecosystemStats counts a batch's records per affected ecosystem.
func ecosystemStats(recs []*Parsed) []EcosystemStat {
	byEco := map[string]*EcosystemStat{}
	for _, p := range recs {
		if p.Withdrawn {
			continue
		}
		date := p.Record.Modified
		if p.Record.Published.After(date) {
			date = p.Record.Published
		}
		seen := map[string]bool{}
		for _, e := range p.Packages {
			if seen[e.Ecosystem] {
				continue
			}
			seen[e.Ecosystem] = true
			st := byEco[e.Ecosystem]
			if st == nil {
				st = &EcosystemStat{Ecosystem: e.Ecosystem}
				byEco[e.Ecosystem] = st
			}
			st.Records++
			if date.After(st.Newest) {
				st.Newest = date
			}
		}
	}
	out := make([]EcosystemStat, 0, len(byEco))
	for _, st := range byEco {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b EcosystemStat) int { return strings.Compare(a.Ecosystem, b.Ecosystem) })
	return out
}

// ecosystemStatus sums the sources' per-ecosystem counts. Sources written
// before per-ecosystem counts existed contribute the ecosystems found in
// the index (indexed) with 0 records.
func ecosystemStatus(sources []SourceMeta, indexed []string, now time.Time) []EcosystemStatus {
	byEco := map[string]*EcosystemStatus{}
	get := func(eco string) *EcosystemStatus {
		st := byEco[eco]
		if st == nil {
			st = &EcosystemStatus{Ecosystem: eco, Sources: []string{}}
			byEco[eco] = st
		}
		return st
	}
	legacy := []string{}
	for _, s := range sources {
		if !s.Advisory() {
			continue
		}
		if s.Ecosystems == nil && s.Records > 0 {
			legacy = append(legacy, s.Name)
			continue
		}
		for _, e := range s.Ecosystems {
			st := get(e.Ecosystem)
			st.Records += e.Records
			st.Sources = append(st.Sources, s.Name)
			if e.Newest.After(st.Newest) {
				st.Newest = e.Newest
			}
		}
	}
	if len(legacy) > 0 {
		for _, eco := range indexed {
			st := get(eco)
			st.Sources = append(st.Sources, legacy...)
		}
	}
	out := make([]EcosystemStatus, 0, len(byEco))
	for _, st := range byEco {
		if !st.Newest.IsZero() {
			st.Age = FormatAge(now.Sub(st.Newest))
		}
		slices.Sort(st.Sources)
		st.Sources = slices.Compact(st.Sources)
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b EcosystemStatus) int { return strings.Compare(a.Ecosystem, b.Ecosystem) })
	return out
}

// ecoIndex is the set of ecosystems the package index holds, computed once.
type ecoIndex struct {
	once  sync.Once
	list  []string        // sorted
	exact map[string]bool // "Alpine:v3.19"
	base  map[string]bool // "Alpine"
}

// indexEcosystems returns the ecosystems the database holds records for:
// from the sources' counts, or, when a source has none (written before
// they existed), from the package index.
func (db *DB) indexEcosystems() *ecoIndex {
	ix := &db.ecos
	ix.once.Do(func() {
		ix.exact, ix.base = map[string]bool{}, map[string]bool{}
		add := func(eco string) {
			if !ix.exact[eco] {
				ix.list = append(ix.list, eco)
				ix.exact[eco] = true
				ix.base[version.Base(eco)] = true
			}
		}
		if db.legacyCounts() {
			db.seekEcosystems(add)
		} else {
			for _, s := range db.status.Sources {
				for _, e := range s.Ecosystems {
					add(e.Ecosystem)
				}
			}
		}
		slices.Sort(ix.list)
	})
	return ix
}

// legacyCounts reports whether an OSV source with records lacks
// per-ecosystem counts.
func (db *DB) legacyCounts() bool {
	for _, s := range db.status.Sources {
		if s.Advisory() && s.Records > 0 && s.Ecosystems == nil {
			return true
		}
	}
	return false
}

// seekEcosystems enumerates the distinct ecosystem prefixes of the index
// keys (ecosystem \x00 name): after each ecosystem the cursor seeks past
// all its keys to "ecosystem \x01".
func (db *DB) seekEcosystems(add func(string)) {
	c := db.pkgs.Cursor()
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			k, _ = c.Next()
			continue
		}
		eco := string(k[:i])
		add(eco)
		k, _ = c.Seek(append([]byte(eco), 1))
	}
}

// Ecosystems lists the ecosystems the package index holds entries for,
// exact and sorted ("Alpine:v3.19", "Debian:12", "Go", …).
func (db *DB) Ecosystems() []string {
	return slices.Clone(db.indexEcosystems().list)
}

// HasEcosystem reports whether the database holds advisories for packages
// of exactly this ecosystem (release suffix included): only then is "no
// advisory" an answer rather than a blind spot.
func (db *DB) HasEcosystem(ecosystem string) bool {
	return db.indexEcosystems().exact[ecosystem]
}

// HasEcosystemBase reports whether the database holds advisories for any
// release of the ecosystem's base ("Alpine" for "Alpine:v3.10").
func (db *DB) HasEcosystemBase(ecosystem string) bool {
	return db.indexEcosystems().base[version.Base(ecosystem)]
}

// RecordByID returns a stored record by its OSV id from whichever OSV
// source holds it (the first, in source order), or nil when no source
// does. Matching uses it to read the severity of an advisory's aliases
// (a GO- record's GHSA or CVE), which need not affect the same package
// name and so are not found through the package index.
func (db *DB) RecordByID(id string) (*Record, error) {
	for _, s := range db.status.Sources {
		if !s.Advisory() {
			continue
		}
		if db.recs.Get(recKey(s.ID, id)) == nil {
			continue
		}
		return db.Record(s.ID, id)
	}
	return nil, nil
}
