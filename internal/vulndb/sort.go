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

// sortEvents orders a range's events by version ("0" first; on equal
// versions introduced before fixed/last_affected/limit, as the OSV
// evaluation does). It reports false, leaving the events as published,
// when some version cannot be parsed or the ecosystem is unknown.
func sortEvents(ecosystem string, r *Range) bool {
	parse, err := ParserFor(r.Type, ecosystem)
	if err != nil {
		return false
	}
	type kv struct {
		e    Event
		v    version.V
		zero bool
	}
	items := make([]kv, len(r.Events))
	for i, e := range r.Events {
		items[i].e = e
		if e.Kind == Introduced && e.Version == "0" {
			items[i].zero = true
			continue
		}
		v, err := parse(e.Version)
		if err != nil {
			return false
		}
		items[i].v = v
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
	for i := range items {
		r.Events[i] = items[i].e
	}
	return true
}
