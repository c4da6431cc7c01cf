package vulndb

import (
	"slices"

	"github.com/sightline-sec/sightline/internal/vulndb/version"
)

// ParserFor returns the version parser of a range: SEMVER ranges use
// SemVer whatever the ecosystem, ECOSYSTEM ranges the ecosystem's own.
func ParserFor(t RangeType, ecosystem string) (version.Parser, error) {
	if t == RangeSemver {
		return version.SemVer, nil
	}
	return version.ForEcosystem(ecosystem)
}

// sortEvents orders a range's events at import. It reports false,
// leaving the events as published, when some version cannot be parsed or
// the ecosystem is unknown (matching then sorts them per query, see
// SortEvents).
func sortEvents(ecosystem string, r *Range) bool {
	parse, err := ParserFor(r.Type, ecosystem)
	if err != nil {
		return false
	}
	sorted, dropped := SortEvents(r.Events, parse)
	if dropped > 0 {
		return false
	}
	copy(r.Events, sorted)
	return true
}

// SortEvents returns events in version order ("0" first; on equal
// versions introduced before fixed/last_affected/limit, as the OSV
// evaluation does), leaving out the events whose version parse cannot
// read (as OSV tools do); dropped counts them. It is the one ordering
// used both at import and for ranges the importer could not sort.
func SortEvents(events []Event, parse version.Parser) (sorted []Event, dropped int) {
	type kv struct {
		e    Event
		v    version.V
		zero bool
	}
	items := make([]kv, 0, len(events))
	for _, e := range events {
		if e.Kind == Introduced && e.Version == "0" {
			items = append(items, kv{e: e, zero: true})
			continue
		}
		v, err := parse(e.Version)
		if err != nil {
			dropped++
			continue
		}
		items = append(items, kv{e: e, v: v})
	}
	slices.SortStableFunc(items, func(a, b kv) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		if c := a.v.Compare(b.v); c != 0 {
			return c
		}
		return int(a.e.Kind) - int(b.e.Kind)
	})
	sorted = make([]Event, len(items))
	for i := range items {
		sorted[i] = items[i].e
	}
	return sorted, dropped
}
