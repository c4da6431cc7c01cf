package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/scan"
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

func renderTable(w io.Writer, res *scan.Result, opts Options) error {
	bw := bufio.NewWriter(w)
	t := &tableWriter{w: bw, color: opts.Color, sources: sourceByPURL(res)}
	t.header(res)
	findings := SortFindings(res.Findings)
	idWidth := 0
	for _, f := range append(findings, res.Suppressed...) {
		idWidth = max(idWidth, len(f.ID))
	}
	for _, g := range groupByPackage(findings) {
		t.group(g, idWidth)
	}
	if len(res.Suppressed) > 0 {
		t.suppressed(SortFindings(res.Suppressed))
	}
	t.summary(findings, max(opts.SuppressedCount, len(res.Suppressed)))
	return bw.Flush()
}

type tableWriter struct {
	w       *bufio.Writer
	color   bool
	sources map[string]string // purl -> "source name version" for headings
}

func (t *tableWriter) printf(format string, args ...any) {
	fmt.Fprintf(t.w, format, args...)
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
	t.printf("%s", tg.Name)
	if len(facts) > 0 {
		t.printf(" (%s)", strings.Join(facts, ", "))
	}
	t.printf("\n")
	var line []string
	if res.OS != nil {
		name := res.OS.PrettyName
		if name == "" {
			name = strings.TrimSpace(res.OS.ID + " " + res.OS.VersionID)
		}
		line = append(line, "OS: "+name)
	}
	line = append(line, fmt.Sprintf("packages: %d", len(res.Packages)))
	if tg.LayerCount > 0 {
		line = append(line, fmt.Sprintf("layers: %d", tg.LayerCount))
	}
	if c := tg.Config; c != nil && c.User != "" {
		line = append(line, "user: "+c.User)
	}
	if c := tg.Config; c != nil && len(c.ExposedPorts) > 0 {
		line = append(line, "ports: "+strings.Join(c.ExposedPorts, " "))
	}
	t.printf("%s\n", strings.Join(line, "  "))
	if res.DB != nil && res.DB.Stale {
		t.printf("advisory database is stale (built %s): run `sightline db update`\n", res.DB.Built)
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
	t.printf("%s\n", head)
	if l := p.Layer; l != nil {
		base := ""
		if l.Base != nil && *l.Base {
			base = " [base image]"
		} else if l.Base != nil {
			base = " [added]"
		}
		t.printf("  layer %d%s: %s\n", l.Index, base, shortCreatedBy(l.CreatedBy, 72))
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
	t.printf("  %s %s  %-*s  %s%s\n", t.paint(level, sev), score, idWidth, f.ID, fix, extra)
	if desc := describe(f); desc != "" {
		t.printf("  %s\n", desc)
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
	if len(parts) == 0 {
		return ""
	}
	return strings.Repeat(" ", 17) + strings.Join(parts, " — ")
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
		t.printf("  %s on %s %s — %s\n", f.ID, f.Package.Name, f.Package.Version, why)
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
	var parts []string
	for _, l := range []string{"critical", "high", "medium", "low", "unknown"} {
		s := fmt.Sprintf("%d %s", counts[l], l)
		if counts[l] > 0 {
			s = t.paint(l, s)
		}
		parts = append(parts, s)
	}
	t.printf("%d finding(s): %s; %d fixable", len(fs), strings.Join(parts, ", "), fixable)
	if kev > 0 {
		t.printf("; %d in CISA KEV", kev)
	}
	t.printf("; %d suppressed\n", suppressed)
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
