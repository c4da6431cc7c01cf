package suppress

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Levels accepted by --fail-on, lowest first. "any" counts every finding,
// whatever its severity.
var Levels = []string{"any", "low", "medium", "high", "critical"}

// UnknownLevels are the values of --unknown-as: the level a finding of
// unknown severity counts as against --fail-on; "none" never counts it
// (except for --fail-on any).
var UnknownLevels = []string{"critical", "high", "medium", "low", "none"}

// DefaultUnknownAs: a finding nobody has rated cannot be shown to be
// below any threshold, so by default it trips every --fail-on level.
const DefaultUnknownAs = "critical"

// Rank orders severity levels: unknown 0, low 1 … critical 4.
var Rank = vulndb.LevelRank

// Gate is the CI contract (docs/report.md "Gates"):
//
//   - which unsuppressed findings fail the run: at or above FailOn, only
//     fixable ones with FailOnFixable, unknown severities counted as
//     UnknownAs;
//   - and, whenever a gate is set, that it never passes over what the
//     scan could not check: unchecked packages, skipped files, or no
//     advisory database at all fail the gate unless AllowUnchecked.
type Gate struct {
	FailOn         string // "" (off), any, low, medium, high, critical
	FailOnFixable  bool   // only findings with a released fix count
	UnknownAs      string // UnknownLevels; "" means DefaultUnknownAs
	AllowUnchecked bool   // pass over unchecked packages/skipped files (still reported)
}

// Validate checks FailOn and UnknownAs.
func (g Gate) Validate() error {
	if g.FailOn != "" && !slices.Contains(Levels, g.FailOn) {
		return fmt.Errorf("--fail-on %q: choose one of %s", g.FailOn, strings.Join(Levels, ", "))
	}
	if g.UnknownAs != "" && !slices.Contains(UnknownLevels, g.UnknownAs) {
		return fmt.Errorf("--unknown-as %q: choose one of %s", g.UnknownAs, strings.Join(UnknownLevels, ", "))
	}
	return nil
}

// Enabled reports whether any gate is set.
func (g Gate) Enabled() bool { return g.FailOn != "" || g.FailOnFixable }

// rank is the level f counts as: its own, or UnknownAs when unknown
// (-1 for "none").
func (g Gate) rank(f *scan.Finding) int {
	if r := Rank(f.Severity.Level); r > 0 {
		return r
	}
	u := g.UnknownAs
	if u == "" {
		u = DefaultUnknownAs
	}
	if u == "none" {
		return -1
	}
	return Rank(u)
}

// counts reports whether f trips the gate.
func (g Gate) counts(f *scan.Finding) bool {
	if g.FailOnFixable && f.FixState != vulndb.FixStateFixed {
		return false
	}
	switch g.FailOn {
	case "":
		return g.FailOnFixable
	case "any":
		return true
	}
	return g.rank(f) >= Rank(g.FailOn)
}

// Check returns the findings that trip the gate and a one-line message
// (empty when none do).
func (g Gate) Check(findings []scan.Finding) ([]scan.Finding, string) {
	if !g.Enabled() {
		return nil, ""
	}
	var hit []scan.Finding
	unknown := 0
	for i := range findings {
		if g.counts(&findings[i]) {
			hit = append(hit, findings[i])
			if Rank(findings[i].Severity.Level) == 0 {
				unknown++
			}
		}
	}
	if len(hit) == 0 {
		return nil, ""
	}
	what := "finding(s)"
	switch {
	case g.FailOn == "any" || (g.FailOn == "" && g.FailOnFixable):
	default:
		what = fmt.Sprintf("finding(s) at or above %s", g.FailOn)
	}
	if g.FailOnFixable {
		what = "fixable " + what
	}
	ids := make([]string, 0, 3)
	for i := 0; i < len(hit) && i < 3; i++ {
		ids = append(ids, hit[i].ID+" ("+hit[i].Package.Name+")")
	}
	more := ""
	if len(hit) > 3 {
		more = fmt.Sprintf(", and %d more", len(hit)-3)
	}
	note := ""
	if unknown > 0 && g.FailOn != "any" && g.FailOn != "" {
		u := g.UnknownAs
		if u == "" {
			u = DefaultUnknownAs
		}
		note = fmt.Sprintf(" (%d of unknown severity, counted as %s: see --unknown-as)", unknown, u)
	}
	return hit, fmt.Sprintf("%d %s%s: %s%s", len(hit), what, note, strings.Join(ids, ", "), more)
}

// CheckCoverage applies the coverage rule: with a gate set, a scan that
// did not check everything (c.Complete() is false) fails it unless
// AllowUnchecked. msg says what was not checked whenever a gate is set and
// something was not (also when AllowUnchecked lets it pass); fail says
// whether the gate fails on it.
func (g Gate) CheckCoverage(c *scan.Coverage) (fail bool, msg string) {
	if !g.Enabled() || c.Complete() {
		return false, ""
	}
	if g.AllowUnchecked {
		return false, "the gate passed with --allow-unchecked over what it could not check: " + c.Summary()
	}
	return true, "the gate cannot pass over what it could not check: " + c.Summary() +
		" (--allow-unchecked accepts that)"
}
