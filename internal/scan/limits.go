package scan

import (
	"context"
	"errors"
	"fmt"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Count limits. They bound memory for hostile images whose size alone is
// harmless — a 1.8 MB layer can hold a dpkg status of 200k entries or a
// million package.json files — and each one that bites is reported: a
// warning, and the capped part counted as not checked (docs/scan.md
// "Memory"). A package costs ~450 bytes of heap and a finding ~360 (plus
// the records they came from while the inventory is built), so the
// defaults bound a scan to a few hundred MiB while staying far above real
// images (a large distro image lists ~3k packages and ~10k findings; big
// node_modules trees hold ~50k package.json files).
const (
	// DefaultMaxLayerRecords bounds the records (packages as found in
	// files) kept per layer. Past it, the rest of a file's records and
	// every later wanted file of the layer are skipped (SkipTooLarge).
	DefaultMaxLayerRecords = 200_000
	// DefaultMaxFindings bounds the findings of one scan. Past it, the
	// remaining packages are not matched: each is counted as not checked
	// (match error) with a warning naming the limit.
	DefaultMaxFindings = 100_000
	// maxLayerSkips bounds the SkippedFile entries of one layer; the rest
	// are counted in one entry (SkippedFile.Count).
	maxLayerSkips   = 100
	maxSkipWarnings = 10
)

// ErrFindingLimit is returned for packages left unmatched once a scan
// reached its finding limit.
var ErrFindingLimit = errors.New("finding limit reached")

// layerFull reports whether the layer reached its record limit; a wanted
// file is then skipped unread (its path is kept, so it still hides lower
// layers' copies).
func (res *LayerResult) layerFull(p string) bool {
	limit := recordLimit(res.maxRecords)
	if res.records < limit {
		return false
	}
	res.skipRead(p, SkipTooLarge, fmt.Sprintf("not read: the layer reached its limit of %d packages", limit))
	return true
}

// keepRecords applies the layer's record limit to a file's records: it
// returns those that fit and records the file as partly skipped when
// some do not.
func (res *LayerResult) keepRecords(p string, recs []inventory.Record) []inventory.Record {
	limit := recordLimit(res.maxRecords)
	room := max(limit-res.records, 0)
	if len(recs) <= room {
		res.records += len(recs)
		return recs
	}
	res.skipRead(p, SkipTooLarge, fmt.Sprintf("kept %d of its %d packages: the layer reached its limit of %d packages", room, len(recs), limit))
	res.records += room
	return recs[:room:room]
}

func recordLimit(limit int) int {
	if limit <= 0 {
		return DefaultMaxLayerRecords
	}
	return limit
}

// skipRead is skipFile with the usual warning.
func (res *LayerResult) skipRead(p, reason, detail string) {
	res.skipFile(p, reason, detail, fmt.Sprintf("skipped /%s: %s", p, detail))
}

// skipFile records a wanted file (root-relative p) that was not (fully)
// read; past maxLayerSkips entries the rest are counted in one entry. The
// first maxSkipWarnings also get the warning msg each ("" when the walker
// already warned), then one says the rest are only listed (the layer's
// warnings are capped as a whole).
func (res *LayerResult) skipFile(p, reason, detail, msg string) {
	switch n := len(res.Skipped); {
	case msg == "":
	case n < maxSkipWarnings:
		res.warn(msg)
	case n == maxSkipWarnings:
		res.warn("further skipped files of this layer are listed in the coverage, not warned")
	}
	if len(res.Skipped) < maxLayerSkips {
		res.Skipped = append(res.Skipped, SkippedFile{Path: "/" + p, Reason: reason, Detail: detail})
		return
	}
	if len(res.Skipped) == maxLayerSkips {
		res.Skipped = append(res.Skipped, SkippedFile{Path: "/", Reason: reason,
			Detail: "further wanted files of this layer skipped for the same reason"})
	}
	res.Skipped[maxLayerSkips].Count++
}

// findingLimiter stops matching once a scan has max findings: later
// packages get ErrFindingLimit, so the scan counts them as not matched
// instead of holding an unbounded list. Packages are matched in their
// sorted order, so which ones are cut is deterministic.
type findingLimiter struct {
	m           Matcher
	limit, left int
	cut         int // packages refused since the limit was reached
}

func newFindingLimiter(m Matcher, limit int) *findingLimiter {
	if limit <= 0 {
		limit = DefaultMaxFindings
	}
	return &findingLimiter{m: m, limit: limit, left: limit}
}

// Match implements Matcher.
func (l *findingLimiter) Match(ctx context.Context, p inventory.Package) ([]vulndb.Vulnerability, error) {
	if l.left <= 0 {
		l.cut++
		return nil, fmt.Errorf("%w (%d findings)", ErrFindingLimit, l.limit)
	}
	vulns, err := l.m.Match(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(vulns) > l.left {
		l.left = 0
		l.cut++
		return nil, fmt.Errorf("%w (%d findings)", ErrFindingLimit, l.limit)
	}
	l.left -= len(vulns)
	return vulns, nil
}
