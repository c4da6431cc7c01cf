package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/suppress"
)

// Suppression sources recorded in Suppression.By.
const (
	byInline     = "inline"
	byIgnoreFile = "ignore-file"
)

// inlineSuppression returns the Object's inline ignore for the rule (IDs
// compared case-insensitively, as in the ignore file) that covers a
// finding on line, if one with a reason exists: every ignore of the
// Object covers it, except one with Covers set, which covers that line
// only. A comment without a reason does not suppress
// (reasonlessIgnoreWarnings says so): a reviewer must see why.
func inlineSuppression(o *check.Object, ruleID string, line int) *Suppression {
	for _, ig := range o.Ignores {
		if ig.Covers > 0 && ig.Covers != line {
			continue
		}
		if strings.EqualFold(ig.RuleID, ruleID) && strings.TrimSpace(ig.Reason) != "" {
			return &Suppression{By: fmt.Sprintf("%s %s", byInline, lineRef(o.Location.File, ig.Line)), Reason: ig.Reason}
		}
	}
	return nil
}

func lineRef(file string, line int) string {
	switch {
	case file == "":
		return fmt.Sprintf("line %d", line)
	case line <= 0:
		return file
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// reasonlessIgnoreWarnings names each inline ignore of o without a reason.
func reasonlessIgnoreWarnings(o *check.Object) []string {
	var out []string
	for _, ig := range o.Ignores {
		if strings.TrimSpace(ig.Reason) == "" {
			out = append(out, fmt.Sprintf("%s: sightline:ignore %s has no reason and is not honoured (write: # sightline:ignore %s <why>)",
				lineRef(o.Location.File, ig.Line), ig.RuleID, ig.RuleID))
		}
	}
	return out
}

// unknownIgnoreWarnings names inline ignores for rules that are not
// loaded (a typo in the ID would otherwise silently suppress nothing).
func (s *Set) unknownIgnoreWarnings(set check.Set) []string {
	var out []string
	for i := range set.Objects {
		o := &set.Objects[i]
		for _, ig := range o.Ignores {
			if !slices.ContainsFunc(s.rules, func(r *Rule) bool { return strings.EqualFold(r.ID, ig.RuleID) }) {
				out = append(out, fmt.Sprintf("%s: sightline:ignore names %s, which is not a loaded rule",
					lineRef(o.Location.File, ig.Line), ig.RuleID))
			}
		}
	}
	return out
}

// ApplyIgnoreFile moves the findings an ignore-file entry covers (entry id
// = rule ID, optionally limited by object to matching object names, files
// or resource IDs; entries with a package are for `sightline scan` and do
// not apply) to Suppressed, and returns warnings for expired entries that
// would have matched. The file format and expiry rule are
// internal/suppress's (docs/report.md): the expiry day still suppresses.
func (r *Result) ApplyIgnoreFile(ig *suppress.IgnoreFile, now time.Time) []string {
	if ig == nil {
		return nil
	}
	var warnings []string
	var active []suppress.IgnoreEntry
	for _, e := range ig.Entries {
		if e.Package != "" {
			continue
		}
		if e.Expired(now) {
			if n := countMatching(r.Findings, e); n > 0 {
				warnings = append(warnings, fmt.Sprintf("%s:%d: ignore entry %s expired on %s and no longer suppresses (%d finding(s) back)",
					ig.Path, e.Line(), e.ID, e.Expires, n))
			}
			continue
		}
		active = append(active, e)
	}
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		if i := slices.IndexFunc(active, func(e suppress.IgnoreEntry) bool { return matchesFinding(e, f) }); i >= 0 {
			f.Suppressed = &Suppression{By: fmt.Sprintf("%s %s:%d", byIgnoreFile, ig.Path, active[i].Line()), Reason: active[i].Reason}
			r.Suppressed = append(r.Suppressed, f)
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	r.Warnings = append(r.Warnings, warnings...)
	return warnings
}

func matchesFinding(e suppress.IgnoreEntry, f Finding) bool {
	return e.MatchesCheck(f.RuleID, f.Object, f.Location.File, f.Location.Resource)
}

func countMatching(fs []Finding, e suppress.IgnoreEntry) int {
	n := 0
	for _, f := range fs {
		if matchesFinding(e, f) {
			n++
		}
	}
	return n
}
