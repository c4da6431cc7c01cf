package scan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ReasonText is how people read an unchecked reason ("not in the
// database" for not_loaded); unknown reasons read as themselves.
func ReasonText(reason string) string {
	switch reason {
	case UncheckedNoDB:
		return "no advisory database"
	case UncheckedNoSource:
		return "no advisory source"
	case UncheckedNotLoaded:
		return "no records in the database"
	case UncheckedNoVersion:
		return "no version"
	case UncheckedBadVersion:
		return "invalid version"
	case UncheckedMatchError:
		return "database read error"
	case UncheckedFindingLimit:
		return "finding limit reached"
	}
	return reason
}

// EcosystemLabel names an ecosystem in messages; packages without one
// (pkg:generic, unknown distributions) read "(no ecosystem)".
func EcosystemLabel(eco string) string { return ecosystemName(eco) }

// Summary is one line saying what was not checked, for the stderr
// warning, gate messages and report footers; "" when Complete. Example:
//
//	14 of 15 packages not checked (Alpine:v3.10: 14 no records in the database); 1 file skipped (/var/lib/dpkg/status: too_large)
func (c *Coverage) Summary() string {
	if c == nil {
		return "coverage unknown"
	}
	if c.Complete() {
		return ""
	}
	var parts []string
	switch {
	case c.DB == CoverageDBNone:
		parts = append(parts, fmt.Sprintf("no advisory database: none of %d %s checked", c.Packages, plural(c.Packages, "package was", "packages were")))
	case c.Unchecked > 0:
		parts = append(parts, fmt.Sprintf("%d of %d %s not checked (%s)", c.Unchecked, c.Packages,
			plural(c.Packages, "package", "packages"), strings.Join(c.UncheckedParts(3), "; ")))
	}
	if n := c.SkippedCount(); n > 0 {
		var files []string
		for i, f := range c.SkippedFiles {
			if i == 2 {
				files = append(files, fmt.Sprintf("+%d more", n-i))
				break
			}
			files = append(files, f.Path+": "+f.Reason)
		}
		parts = append(parts, fmt.Sprintf("%d %s skipped (%s)", n, plural(n, "file", "files"), strings.Join(files, ", ")))
	}
	return strings.Join(parts, "; ")
}

// UncheckedParts describes the unchecked packages per ecosystem, largest
// first, at most max ecosystems (then "+N more ecosystems"):
// "Alpine:v3.10: 14 no records in the database".
func (c *Coverage) UncheckedParts(max int) []string {
	var ecos []EcosystemCoverage
	for _, e := range c.Ecosystems {
		if e.Packages > e.Checked {
			ecos = append(ecos, e)
		}
	}
	slices.SortStableFunc(ecos, func(a, b EcosystemCoverage) int {
		return (b.Packages - b.Checked) - (a.Packages - a.Checked)
	})
	var out []string
	for i, e := range ecos {
		if max > 0 && i == max {
			out = append(out, fmt.Sprintf("+%d more ecosystems", len(ecos)-i))
			break
		}
		var rs []string
		for _, r := range slices.Sorted(maps.Keys(e.Unchecked)) {
			rs = append(rs, fmt.Sprintf("%d %s", e.Unchecked[r], ReasonText(r)))
		}
		out = append(out, ecosystemName(e.Ecosystem)+": "+strings.Join(rs, ", "))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
