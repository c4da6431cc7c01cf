package report

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/scan"
)

// Coverage in every format ("never a silent zero", docs/report.md): the
// table ends with what was not checked, JSON carries the coverage block
// as is, SARIF puts it in the run's property bag, CycloneDX in the
// metadata properties (sightline:coverage:*), SPDX in the document
// comment. A result without a database never shows a findings count.

// tableWidth bounds every footer line (terminals of 80 columns).
const tableWidth = 80

// writeCoverageFooter writes the table lines saying what was not checked;
// nothing when the scan checked everything (or carries no coverage).
func writeCoverageFooter(w io.Writer, c *scan.Coverage) {
	if c == nil || c.Complete() {
		return
	}
	var lines []string
	if c.DB == scan.CoverageDBNone {
		lines = append(lines,
			fmt.Sprintf("Not checked: no advisory database, so none of the %d packages was", c.Packages),
			"matched. Build one with `sightline db update` (`db import` offline).")
	} else if c.Unchecked > 0 {
		lines = append(lines, fmt.Sprintf("Not checked: %d of %d packages", c.Unchecked, c.Packages))
		for _, e := range c.Ecosystems {
			for _, r := range slices.Sorted(maps.Keys(e.Unchecked)) {
				lines = append(lines, fmt.Sprintf("  %-24s %5d  %s",
					clip(scan.EcosystemLabel(e.Ecosystem), 24), e.Unchecked[r], scan.ReasonText(r)))
			}
		}
	}
	if n := c.SkippedCount(); n > 0 {
		lines = append(lines, fmt.Sprintf("Skipped: %d %s the inventory could not read", n, plural(n, "file", "files")))
		for i, f := range c.SkippedFiles {
			if i == 10 {
				lines = append(lines, fmt.Sprintf("  … and more (JSON coverage.skipped_files lists %d entries)", len(c.SkippedFiles)))
				break
			}
			if f.Count > 1 {
				f.Path = fmt.Sprintf("%d more files", f.Count)
			}
			where := ""
			if f.Layer != nil {
				where = fmt.Sprintf(" (layer %d)", *f.Layer)
			}
			tail := where + ": " + f.Reason
			lines = append(lines, "  "+clipLeft(f.Path, tableWidth-2-len(tail))+tail)
		}
	}
	lines = append(lines, "A --fail-on gate fails on these unless --allow-unchecked is given.")
	for _, l := range lines {
		fmt.Fprintln(w, clip(l, tableWidth))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// clip cuts s to n runes, marking the cut with "…".
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// clipLeft keeps the end of a long path ("…/lib/dpkg/status").
func clipLeft(s string, n int) string {
	if n < 2 {
		n = 2
	}
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}

// coverageProps flattens the coverage into CycloneDX / SPDX key-value
// pairs: sightline:coverage:db, :packages, :checked, :unchecked,
// :skipped_files, and sightline:coverage:unchecked:<ecosystem>:<reason>
// per ecosystem and reason ("(none)" for packages without an ecosystem).
func coverageProps(c *scan.Coverage) [][2]string {
	if c == nil {
		return nil
	}
	out := [][2]string{
		{"sightline:coverage:db", c.DB},
		{"sightline:coverage:packages", strconv.Itoa(c.Packages)},
		{"sightline:coverage:checked", strconv.Itoa(c.Checked)},
		{"sightline:coverage:unchecked", strconv.Itoa(c.Unchecked)},
		{"sightline:coverage:skipped_files", strconv.Itoa(c.SkippedCount())},
	}
	for _, e := range c.Ecosystems {
		eco := e.Ecosystem
		if eco == "" {
			eco = "(none)"
		}
		for _, r := range slices.Sorted(maps.Keys(e.Unchecked)) {
			out = append(out, [2]string{"sightline:coverage:unchecked:" + eco + ":" + r, strconv.Itoa(e.Unchecked[r])})
		}
	}
	return out
}

// sarifFileURI turns a file name as the user gave it into a SARIF
// artifactLocation URI: a relative reference with "/" separators and
// escaped segments (what GitHub code scanning resolves against the
// repository), or a file: URI for an absolute path.
func sarifFileURI(p string) string {
	p = filepath.ToSlash(filepath.Clean(p))
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.Join(segs, "/")
	if strings.HasPrefix(p, "/") {
		return "file://" + u
	}
	if first, _, _ := strings.Cut(u, "/"); strings.Contains(first, ":") {
		u = "./" + u // "a:b/c" would read as a URI scheme
	}
	return u
}
