package suppress

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// Levels accepted by --fail-on, lowest first. "any" also counts findings
// whose severity is unknown (Go advisories, for one, carry no rating).
var Levels = []string{"any", "low", "medium", "high", "critical"}

// Rank orders severity levels: unknown 0, low 1 … critical 4.
var Rank = vulndb.LevelRank

// Gate is the CI contract: which unsuppressed findings fail the run.
type Gate struct {
	FailOn        string // "" (off), any, low, medium, high, critical
	FailOnFixable bool   // only findings with a released fix count
}

// Validate checks FailOn.
func (g Gate) Validate() error {
	if g.FailOn != "" && !slices.Contains(Levels, g.FailOn) {
		return fmt.Errorf("--fail-on %q: choose one of %s", g.FailOn, strings.Join(Levels, ", "))
	}
	return nil
}

// Enabled reports whether any gate is set.
func (g Gate) Enabled() bool { return g.FailOn != "" || g.FailOnFixable }

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
	return Rank(f.Severity.Level) >= Rank(g.FailOn)
}

// Check returns the findings that trip the gate and a one-line message
// (empty when none do).
func (g Gate) Check(findings []scan.Finding) ([]scan.Finding, string) {
	if !g.Enabled() {
		return nil, ""
	}
	var hit []scan.Finding
	for i := range findings {
		if g.counts(&findings[i]) {
			hit = append(hit, findings[i])
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
	return hit, fmt.Sprintf("%d %s: %s%s", len(hit), what, strings.Join(ids, ", "), more)
}
