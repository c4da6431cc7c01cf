package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/scan"
	"github.com/sightline-sec/sightline/internal/textfit"
	"github.com/sightline-sec/sightline/internal/vulndb"
)

// ANSI colours per severity (only with Options.Color).
var levelColor = map[string]string{
	"critical": "\x1b[1;31m", // bold red
	"high":     "\x1b[31m",
	"medium":   "\x1b[33m",
	"low":      "\x1b[36m",
	"unknown":  "\x1b[2m",
}

const colorReset = "\x1b[0m"

// pkgGroup is the findings of one package, shown under one heading.
type pkgGroup struct {
	ref      scan.PackageRef
	findings []scan.Finding
}

// groupByPackage keeps the sorted order: a group appears where its most
// severe finding is.
func groupByPackage(fs []scan.Finding) []*pkgGroup {
	var groups []*pkgGroup
	idx := map[string]*pkgGroup{}
	for _, f := range fs {
		k := f.Package.Ecosystem + "\x00" + f.Package.Name + "\x00" + f.Package.Version + "\x00" + f.Package.PURL
		g := idx[k]
		if g == nil {
			g = &pkgGroup{ref: f.Package}
			idx[k] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	return groups
}

// renderTable writes the table for people: a header, one block per
// package, suppressed findings, a summary line. Every line fits
// opts.Width columns (0 means textfit.DefaultWidth): long values wrap
// under their column, history lines and summaries are cut with "…".
// New sections add one call here and print through t.para / t.hang,
// which keep to the width.
func renderTable(w io.Writer, res *scan.Result, opts Options) error {
	bw := bufio.NewWriter(w)
	width := opts.Width
	if width <= 0 {
		width = textfit.DefaultWidth
	}
	t := &tableWriter{w: bw, color: opts.Color, sources: sourceByPURL(res), dev: devByPURL(res), width: width}
	t.header(res)
	findings := SortFindings(res.Findings)
	idWidth := 0
	for _, f := range append(findings, res.Suppressed...) {
		idWidth = max(idWidth, len(f.ID))
	}
	idWidth = min(idWidth, maxIDWidth)
	for _, g := range groupByPackage(findings) {
		t.group(g, idWidth)
	}
	if len(res.Suppressed) > 0 {
		t.suppressed(SortFindings(res.Suppressed))
	}
	if res.Coverage == nil || res.Coverage.DB != scan.CoverageDBNone { // no DB: no count to give
		t.summary(findings, max(opts.SuppressedCount, len(res.Suppressed)))
	}
	writeCoverageFooter(bw, res.Coverage)
	return bw.Flush()
}

// maxIDWidth caps the advisory id column; longer ids push their line's
// text right, and it wraps.
const maxIDWidth = 24

// findingIndent is where a finding's continuation lines start: under the
// advisory id ("  CRITICAL  9.8  " is 17 columns).
const findingIndent = 17

type tableWriter struct {
	w       *bufio.Writer
	color   bool
	sources map[string]string // purl -> "source name version" for headings
	dev     map[string]bool   // purls of development/test-only packages
	width   int               // no line is longer
}

func (t *tableWriter) printf(format string, args ...any) {
	fmt.Fprintf(t.w, format, args...)
}

// para prints s word-wrapped to the width, every line indented by indent
// spaces.
func (t *tableWriter) para(indent int, s string) {
	for _, l := range textfit.Indent(s, indent, t.width) {
		t.printf("%s\n", l)
	}
}

// items prints atomic items (a fact, a count) separated by sep, starting
// a new line indented by cont spaces where the next item would pass the
// width; an item is never split unless it alone is too long.
func (t *tableWriter) items(items []string, sep string, cont int) {
	line, used := "", 0
	for _, it := range items {
		n := textfit.Len(it)
		if used > 0 && used+len(sep)+n > t.width {
			t.printf("%s\n", strings.TrimRight(line, " "))
			line, used = strings.Repeat(" ", cont), cont
		} else if used > 0 {
			line += sep
			used += len(sep)
		}
		if used+n > t.width { // too long alone: wrap it
			lines := textfit.Hang(line, it, cont, t.width)
			for _, l := range lines[:len(lines)-1] {
				t.printf("%s\n", l)
			}
			line, used = lines[len(lines)-1], textfit.Len(lines[len(lines)-1])
			continue
		}
		line += it
		used += n
	}
	t.printf("%s\n", line)
}

// hang prints prefix then s, wrapped to the width, continuation lines
// indented by cont spaces.
func (t *tableWriter) hang(prefix, s string, cont int) {
	for _, l := range textfit.Hang(prefix, s, cont, t.width) {
		t.printf("%s\n", l)
	}
}

func (t *tableWriter) paint(level, s string) string {
	if !t.color {
		return s
	}
	c, ok := levelColor[level]
	if !ok {
		c = levelColor["unknown"]
	}
	return c + s + colorReset
}

func (t *tableWriter) header(res *scan.Result) {
	tg := res.Target
	var facts []string
	if tg.Kind != "" {
		facts = append(facts, tg.Kind)
	}
	if tg.Platform != "" {
		facts = append(facts, tg.Platform)
	}
	if tg.Digest != "" {
		d := tg.Digest
		if len(d) > 19 {
			d = d[:19]
		}
		facts = append(facts, d)
	}
	if len(facts) > 0 {
		t.items([]string{tg.Name, "(" + strings.Join(facts, ", ") + ")"}, " ", 2)
	} else {
		t.hang("", tg.Name, 2)
	}
	var line []string
	if res.OS != nil {
		name := res.OS.PrettyName
		if name == "" {
			name = strings.TrimSpace(res.OS.ID + " " + res.OS.VersionID)
		}
		line = append(line, "OS: "+name)
	}
	pk := fmt.Sprintf("packages: %d", len(res.Packages))
	if n := len(t.dev); n > 0 {
		pk += fmt.Sprintf(" (%d dev)", n)
	}
	line = append(line, pk)
	if tg.LayerCount > 0 {
		line = append(line, fmt.Sprintf("layers: %d", tg.LayerCount))
	}
	if c := tg.Config; c != nil && c.User != "" {
		line = append(line, "user: "+c.User)
	}
	if c := tg.Config; c != nil && len(c.ExposedPorts) > 0 {
		line = append(line, "ports: "+strings.Join(c.ExposedPorts, " "))
	}
	t.items(line, "  ", 2)
	if res.DB != nil && res.DB.Stale {
		t.hang("", "advisory data is stale: "+res.DB.StaleDetail+"; run `sightline db update`", 2)
	}
	t.printf("\n")
}

func (t *tableWriter) group(g *pkgGroup, idWidth int) {
	p := g.ref
	head := fmt.Sprintf("%s %s", p.Name, p.Version)
	if p.Ecosystem != "" {
		head += " (" + p.Ecosystem + ")"
	}
	if src := t.sources[p.PURL]; src != "" {
		head += " from source " + src
	}
	if t.dev[p.PURL] {
		head += " [dev]"
	}
	t.hang("", head, 2)
	if l := p.Layer; l != nil {
		base := ""
		if l.Base != nil && *l.Base {
			base = " [base image]"
		} else if l.Base != nil {
			base = " [added]"
		}
		prefix := fmt.Sprintf("  layer %d%s: ", l.Index, base)
		t.printf("%s%s\n", prefix, shortCreatedBy(l.CreatedBy, max(t.width-textfit.Len(prefix), 8)))
	}
	for _, f := range g.findings {
		t.finding(f, idWidth)
	}
	t.printf("\n")
}

func (t *tableWriter) finding(f scan.Finding, idWidth int) {
	level := f.Severity.Level
	if level == "" {
		level = "unknown"
	}
	sev := fmt.Sprintf("%-8s", strings.ToUpper(level))
	score := "   "
	if f.Severity.Score > 0 {
		score = fmt.Sprintf("%4.1f", f.Severity.Score)
	} else {
		score = "    "
	}
	fix := "no fix yet"
	if f.FixState == vulndb.FixStateFixed {
		fix = "fixed in " + strings.Join(f.FixedVersions, ", ")
		if len(f.FixedVersions) == 0 {
			fix = "fixed"
		}
	}
	var marks []string
	if f.KEV != nil {
		marks = append(marks, "KEV")
	}
	if f.EPSS != nil {
		marks = append(marks, fmt.Sprintf("EPSS %.1f%%", f.EPSS.Score*100))
	}
	marks = append(marks, evidenceMarks(f.Evidence)...)
	extra := ""
	if len(marks) > 0 {
		extra = "  [" + strings.Join(marks, ", ") + "]"
	}
	prefix := fmt.Sprintf("  %s %s  %-*s  ", sev, score, idWidth, f.ID)
	lines := textfit.Hang(prefix, fix+extra, findingIndent, t.width)
	lines[0] = "  " + t.paint(level, sev) + strings.TrimPrefix(lines[0], "  "+sev)
	for _, l := range lines {
		t.printf("%s\n", l)
	}
	if desc := describe(f); desc != "" {
		t.para(findingIndent, desc)
	}
}

// describe is the indented second line of a finding: aliases and summary.
func describe(f scan.Finding) string {
	var parts []string
	if len(f.Aliases) > 0 {
		a := preferredAliases(f.Aliases)
		more := ""
		if len(a) > 3 {
			a, more = a[:3], fmt.Sprintf(" +%d", len(f.Aliases)-3)
		}
		parts = append(parts, "aka "+strings.Join(a, ", ")+more)
	}
	if f.Summary != "" {
		parts = append(parts, shortCreatedBy(f.Summary, 90))
	}
	return strings.Join(parts, " — ")
}

func (t *tableWriter) suppressed(fs []scan.Finding) {
	t.printf("Suppressed:\n")
	for _, f := range fs {
		s := f.Suppression
		why := ""
		if s != nil {
			why = s.Kind
			if s.Reason != "" {
				why += ": " + s.Reason
			}
			if s.Source != "" {
				why += " (" + s.Source + ")"
			}
			if s.Expires != "" {
				why += " until " + s.Expires
			}
		}
		t.hang("", fmt.Sprintf("  %s on %s %s — %s", f.ID, f.Package.Name, f.Package.Version, why), 4)
	}
	t.printf("\n")
}

func (t *tableWriter) summary(fs []scan.Finding, suppressed int) {
	counts := map[string]int{}
	fixable, kev := 0, 0
	for _, f := range fs {
		l := strings.ToLower(f.Severity.Level)
		if levelRank(l) == 0 {
			l = "unknown"
		}
		if l == "moderate" {
			l = "medium"
		}
		counts[l]++
		if f.FixState == vulndb.FixStateFixed {
			fixable++
		}
		if f.KEV != nil {
			kev++
		}
	}
	// Parts are laid out plain, then painted: colour codes take no columns.
	parts := []string{fmt.Sprintf("%d finding(s):", len(fs))}
	levels := []string{""}
	for i, l := range []string{"critical", "high", "medium", "low", "unknown"} {
		sep := ","
		if i == 4 {
			sep = ";"
		}
		parts, levels = append(parts, fmt.Sprintf("%d %s%s", counts[l], l, sep)), append(levels, l)
	}
	tail := []string{fmt.Sprintf("%d fixable;", fixable)}
	if kev > 0 {
		tail = append(tail, fmt.Sprintf("%d in CISA KEV;", kev))
	}
	for _, w := range append(tail, fmt.Sprintf("%d suppressed", suppressed)) {
		parts, levels = append(parts, w), append(levels, "")
	}
	var line strings.Builder
	used := 0
	for i, p := range parts {
		if used > 0 && used+1+textfit.Len(p) > t.width {
			t.printf("%s\n", line.String())
			line.Reset()
			used = 0
		}
		if used > 0 {
			line.WriteByte(' ')
			used++
		}
		if l := levels[i]; l != "" && counts[l] > 0 {
			line.WriteString(t.paint(l, strings.TrimRight(p, ",;")) + p[len(strings.TrimRight(p, ",;")):])
		} else {
			line.WriteString(p)
		}
		used += textfit.Len(p)
	}
	t.printf("%s\n", line.String())
}

// sourceByPURL gives the "source package" text of table headings, from
// the inventory (findings only carry the binary package).
func sourceByPURL(res *scan.Result) map[string]string {
	m := map[string]string{}
	for _, p := range res.Packages {
		if p.SourceName == "" || p.SourceName == p.Name || p.PURL == "" {
			continue
		}
		s := p.SourceName
		if p.SourceVersion != "" && p.SourceVersion != p.Version {
			s += " " + p.SourceVersion
		}
		m[p.PURL] = s
	}
	return m
}

// devByPURL lists the development/test-only packages (inventory.Package.Dev),
// marked "[dev]" in headings.
func devByPURL(res *scan.Result) map[string]bool {
	m := map[string]bool{}
	for _, p := range res.Packages {
		if p.Dev && p.PURL != "" {
			m[p.PURL] = true
		}
	}
	return m
}

// preferredAliases puts CVE and GHSA ids first: merged records can carry
// dozens of downstream ids (BIT-…, SUSE-…), and the table shows three.
func preferredAliases(as []string) []string {
	rank := func(a string) int {
		switch {
		case strings.HasPrefix(a, "CVE-"):
			return 0
		case strings.HasPrefix(a, "GHSA-"):
			return 1
		}
		return 2
	}
	out := slices.Clone(as)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}
