package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/sightline-sec/sightline/internal/check"
	"github.com/sightline-sec/sightline/internal/check/rules"
	"github.com/sightline-sec/sightline/internal/textfit"
)

// CheckSchema names the JSON document of `sightline check --format json`
// (docs/check.md "JSON").
const CheckSchema = "sightline.check/v1"

// CheckReport is what `sightline check` prints: the engine's result, the
// rules that ran, what was read and the gate's verdict. Every count is
// there so that an empty findings list is never mistaken for a clean run.
type CheckReport struct {
	Schema     string           `json:"schema"`
	Tool       CheckTool        `json:"tool"`
	Summary    CheckSummary     `json:"summary"`
	Gate       *CheckGate       `json:"gate,omitempty"`
	Findings   []rules.Finding  `json:"findings"`
	Unknown    []rules.Unknown  `json:"unknown"`
	Gaps       []check.Gap      `json:"gaps"`
	Suppressed []rules.Finding  `json:"suppressed"`
	Warnings   []string         `json:"warnings"`
	Rules      []*rules.Rule    `json:"rules"`
	Inputs     []CheckInputRead `json:"inputs"`
}

// CheckTool names the program that wrote the report.
type CheckTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// CheckInputRead is what one input read: the files (or the cluster,
// the snapshot directory) and the objects they gave.
type CheckInputRead struct {
	Input   check.Input `json:"input"`
	Sources []string    `json:"sources"`
	Objects int         `json:"objects"`
}

// CheckSummary counts what was checked and found.
type CheckSummary struct {
	Objects      map[check.Input]int `json:"objects"`
	Rules        int                 `json:"rules"`
	Disabled     int                 `json:"rules_disabled"`
	RulesApplied int                 `json:"rules_applied"`
	Evaluations  int                 `json:"evaluations"`
	Findings     int                 `json:"findings"`
	BySeverity   map[string]int      `json:"by_severity"`
	Suppressed   int                 `json:"suppressed"`
	Unknown      int                 `json:"unknown"`
	Gaps         int                 `json:"gaps"`
	// FilesSkipped counts files under PATH directories that are not an
	// input of any kind (source code, READMEs); files that look like an
	// input but could not be read are Gaps instead.
	FilesSkipped int `json:"files_skipped"`
}

// CheckGate is the --fail-on verdict.
type CheckGate struct {
	FailOn         string `json:"fail_on"`
	AllowUnchecked bool   `json:"allow_unchecked"`
	Passed         bool   `json:"passed"`
	Reason         string `json:"reason,omitempty"`
}

// NewCheckReport assembles the report of one run.
func NewCheckReport(res rules.Result, rs *rules.Set, inputs []CheckInputRead, skipped int, version string) *CheckReport {
	if version == "" {
		version = "dev"
	}
	r := &CheckReport{
		Schema: CheckSchema, Tool: CheckTool{Name: "sightline", Version: version},
		Findings: nonNil(res.Findings), Unknown: nonNil(res.Unknown), Gaps: nonNil(res.Gaps),
		Suppressed: nonNil(res.Suppressed), Warnings: nonNil(res.Warnings), Rules: nonNil(rs.Enabled()),
		Inputs: nonNil(inputs),
	}
	objects := map[check.Input]int{}
	maps.Copy(objects, res.Stats.Objects)
	r.Summary = CheckSummary{Objects: objects, Rules: res.Stats.Rules, Disabled: res.Stats.Disabled,
		RulesApplied: res.Stats.RulesApplied, Evaluations: res.Stats.Evaluations, Findings: len(res.Findings),
		BySeverity: map[string]int{}, Suppressed: len(res.Suppressed), Unknown: len(res.Unknown),
		Gaps: len(res.Gaps), FilesSkipped: skipped}
	for _, f := range res.Findings {
		r.Summary.BySeverity[string(f.Severity)]++
	}
	sortFindings(r.Findings)
	return r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sortFindings orders by severity (highest first), then file, line, rule.
func sortFindings(fs []rules.Finding) {
	slices.SortStableFunc(fs, func(a, b rules.Finding) int {
		if d := b.Severity.Rank() - a.Severity.Rank(); d != 0 {
			return d
		}
		if c := strings.Compare(a.Location.File, b.Location.File); c != 0 {
			return c
		}
		if d := a.Location.Line - b.Location.Line; d != 0 {
			return d
		}
		return strings.Compare(a.RuleID, b.RuleID)
	})
}

// WriteCheckJSON writes the sightline.check/v1 document.
func WriteCheckJSON(w io.Writer, r *CheckReport) error {
	return writeIndented(w, r)
}

// writeIndented writes v as indented JSON without HTML escaping (reports
// are read by people and tools, not embedded in HTML).
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteCheckTable writes the findings grouped by file (line, severity,
// rule, object and message; writeFindingGroups), then what is unknown,
// the gaps, and a footer that counts what was checked, fitted to width
// columns.
func WriteCheckTable(w io.Writer, r *CheckReport, width int) error {
	bw := bufio.NewWriter(w)
	writeFindingGroups(bw, r.Findings, width)
	if len(r.Unknown) > 0 {
		lines := make([]string, len(r.Unknown))
		for i, u := range r.Unknown {
			lines[i] = fmt.Sprintf("%s %s at %s: depends on %s", u.RuleID, u.Object, LocationText(u.Location), strings.Join(u.Paths, ", "))
			if len(u.Reasons) > 0 {
				lines[i] += " (" + strings.Join(u.Reasons, "; ") + ")"
			}
		}
		writeCapped(bw, fmt.Sprintf("Unknown (%d): the result depended on values that could not be worked out — neither pass nor finding:", len(r.Unknown)), lines, width)
	}
	if len(r.Gaps) > 0 {
		lines := make([]string, len(r.Gaps))
		for i, g := range r.Gaps {
			lines[i] = g.Reason
			if where := LocationText(g.Location); where != "" {
				lines[i] = where + ": " + g.Reason
			}
		}
		writeCapped(bw, fmt.Sprintf("Not checked (%d):", len(r.Gaps)), lines, width)
	}
	for _, l := range checkFooter(r) {
		for _, wl := range textfit.Hang("", l, 2, width) {
			fmt.Fprintln(bw, wl)
		}
	}
	return bw.Flush()
}

// writeFindingGroups writes the findings grouped by file (a heading with
// the path) and, within a file, by object (a subheading), one row per
// finding: line, severity, rule and the message, the last column
// wrapping. Files come in order, rows by line; findings without a file
// (AWS resources) come last, under "Resources".
func writeFindingGroups(bw *bufio.Writer, findings []rules.Finding, width int) {
	fs := slices.Clone(findings)
	// Objects in a file come in document order: by the first line any of
	// their findings is at (0 when none has a line), then by name.
	first := map[[2]string]int{}
	for _, f := range fs {
		k := [2]string{f.Location.File, f.Object}
		if l, ok := first[k]; !ok || (f.Location.Line > 0 && (l == 0 || f.Location.Line < l)) {
			first[k] = f.Location.Line
		}
	}
	slices.SortStableFunc(fs, func(a, b rules.Finding) int {
		switch {
		case a.Location.File == "" && b.Location.File != "":
			return 1
		case a.Location.File != "" && b.Location.File == "":
			return -1
		}
		if c := strings.Compare(a.Location.File, b.Location.File); c != 0 {
			return c
		}
		fa, fb := first[[2]string{a.Location.File, a.Object}], first[[2]string{b.Location.File, b.Object}]
		if fa != fb {
			return fa - fb
		}
		if c := strings.Compare(a.Object, b.Object); c != 0 {
			return c
		}
		if d := a.Location.Line - b.Location.Line; d != 0 {
			return d
		}
		return b.Severity.Rank() - a.Severity.Rank()
	})
	for i := 0; i < len(fs); {
		j := i
		for j < len(fs) && fs[j].Location.File == fs[i].Location.File {
			j++
		}
		heading := fs[i].Location.File
		if heading == "" {
			heading = "Resources"
		}
		for _, l := range textfit.Hang("", heading, 2, width) {
			fmt.Fprintln(bw, l)
		}
		for k := i; k < j; {
			m := k
			for m < j && fs[m].Object == fs[k].Object {
				m++
			}
			// A Dockerfile's object is named by its path: the file
			// heading already says it.
			if fs[k].Object != fs[k].Location.File {
				for _, l := range textfit.Hang("  ", fs[k].Object, 4, width) {
					fmt.Fprintln(bw, l)
				}
			}
			t := textfit.Table{Width: width}
			for _, f := range fs[k:m] {
				t.Add("    "+rowPlace(f.Location), strings.ToUpper(string(f.Severity)), f.RuleID, f.Message)
			}
			_ = t.Write(bw) // bufio errors surface at Flush
			k = m
		}
		fmt.Fprintln(bw)
		i = j
	}
}

// rowPlace is a finding's place under its object: the line, else "-" (a
// plan's resource has no line; an AWS resource is named by its object
// heading).
func rowPlace(l check.Location) string {
	if l.Line > 0 {
		return fmt.Sprint(l.Line)
	}
	return "-"
}

// MaxTableNotes is how many unknown results and gaps the table lists
// each; the rest are counted (the JSON and SARIF have them all).
const MaxTableNotes = 25

// writeCapped writes a heading and at most MaxTableNotes of lines, then
// how many more there are, and a blank line.
func writeCapped(bw *bufio.Writer, heading string, lines []string, width int) {
	for _, l := range textfit.Hang("", heading, 2, width) {
		fmt.Fprintln(bw, l)
	}
	for i, line := range lines {
		if i == MaxTableNotes {
			fmt.Fprintf(bw, "  … and %d more (all are in --format json and sarif)\n", len(lines)-i)
			break
		}
		for _, l := range textfit.Hang("  ", line, 4, width) {
			fmt.Fprintln(bw, l)
		}
	}
	fmt.Fprintln(bw)
}

// checkFooter says what was read and run, and the counts.
func checkFooter(r *CheckReport) []string {
	s := r.Summary
	var objs []string
	for _, in := range slices.Sorted(maps.Keys(s.Objects)) {
		objs = append(objs, fmt.Sprintf("%d %s", s.Objects[in], in))
	}
	if len(objs) == 0 {
		objs = []string{"none"}
	}
	var sev []string
	for i := len(rules.Severities) - 1; i >= 0; i-- {
		if n := s.BySeverity[string(rules.Severities[i])]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, rules.Severities[i]))
		}
	}
	found := fmt.Sprintf("%d finding(s)", s.Findings)
	if len(sev) > 0 {
		found += " (" + strings.Join(sev, ", ") + ")"
	}
	lines := []string{
		fmt.Sprintf("Checked objects: %s. Rules: %d enabled (%d applied to these objects, %d disabled), %d evaluations.",
			strings.Join(objs, ", "), s.Rules, s.RulesApplied, s.Disabled, s.Evaluations),
		fmt.Sprintf("%s, %d suppressed, %d unknown, %d not checked (gaps), %d file(s) skipped as no input.",
			found, s.Suppressed, s.Unknown, s.Gaps, s.FilesSkipped),
	}
	for _, w := range r.Warnings {
		lines = append(lines, "Warning: "+w)
	}
	if g := r.Gate; g != nil {
		verdict := "passed"
		if !g.Passed {
			verdict = "FAILED"
		}
		line := fmt.Sprintf("Gate --fail-on %s: %s", g.FailOn, verdict)
		if g.Reason != "" {
			line += ": " + g.Reason
		}
		lines = append(lines, line)
	}
	return lines
}

// LocationText is file:line, else the resource, else "".
func LocationText(l check.Location) string {
	switch {
	case l.File != "" && l.Line > 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	case l.File != "":
		return l.File
	}
	return l.Resource
}
