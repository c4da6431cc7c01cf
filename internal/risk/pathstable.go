package risk

import (
	"fmt"
	"io"
	"strings"

	"github.com/sightline-sec/sightline/internal/textfit"
)

// WritePathsTable prints the attack paths as numbered blocks, one line
// per hop, most severe first (limit > 0 prints the first limit paths),
// then what the search covered and could not check.
func WritePathsTable(w io.Writer, r *PathReport, limit, width int) error {
	var b strings.Builder
	n := len(r.Paths)
	if limit > 0 && limit < n {
		n = limit
	}
	if len(r.Paths) == 0 {
		if r.Coverage.Assess.DataStoresIncomplete || r.Coverage.Assess.IdentityIncomplete || r.Coverage.Assess.ScanResults == 0 ||
			len(r.Coverage.StoresUnknown) > 0 {
			b.WriteString("No attack path found over what was read; NOT everything was checked (below).\n")
		} else {
			b.WriteString("No attack path to a data store found (everything listed below was checked).\n")
		}
	}
	for _, p := range r.Paths[:n] {
		head := fmt.Sprintf("#%d  %.1f  %s  %s", p.Rank, p.Score, strings.ToUpper(p.Verdict), pathLine(&p))
		for _, l := range textfit.Hang("", head, 4, width) {
			b.WriteString(l + "\n")
		}
		if p.Kind == PathWorkload {
			for _, l := range textfit.Hang("    entry: ", entryLine(&p), 11, width) {
				b.WriteString(l + "\n")
			}
		}
		for i, h := range p.Hops {
			line := fmt.Sprintf("%s → %s (%s): %s", h.From, h.To, h.Kind, h.Detail)
			switch h.Verdict {
			case DataConditional:
				line += " [conditional]"
			case DataUnknown:
				line += " [unknown: " + strings.Join(h.Missing, "; ") + "]"
			}
			for _, l := range textfit.Hang(fmt.Sprintf("    %d. ", i+1), line, 7, width) {
				b.WriteString(l + "\n")
			}
		}
		b.WriteString("\n")
	}
	if n < len(r.Paths) {
		fmt.Fprintf(&b, "(%d more: --top 0 or --format json)\n\n", len(r.Paths)-n)
	}
	for _, l := range pathsCoverageLines(r) {
		for _, x := range textfit.Hang("", l, 2, width) {
			b.WriteString(x + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pathLine is "internet → api → customer-exports (s3_bucket)".
func pathLine(p *AttackPath) string {
	parts := []string{"internet"}
	if p.Workload != nil {
		parts = append(parts, p.WorkloadName)
	}
	return strings.Join(append(parts, p.Store.Name+" ("+p.Store.Kind+")"), " → ")
}

// entryLine names the entry workload's vulnerabilities.
func entryLine(p *AttackPath) string {
	var v []string
	for _, x := range p.Vulnerabilities {
		s := x.ID + " " + x.Package + " (" + x.Severity
		if x.KEV {
			s += ", KEV"
		}
		v = append(v, s+")")
	}
	line := strings.Join(v, ", ")
	if more := p.VulnerabilityCount - len(p.Vulnerabilities); more > 0 {
		line += fmt.Sprintf(" +%d more", more)
	}
	return line + "; image " + p.Image
}

// pathsCoverageLines are the footer: counts, what the stores' reading
// missed, stores whose exposure is unknown, and the assessment's own gaps.
func pathsCoverageLines(r *PathReport) []string {
	byKind := map[string]int{}
	for _, p := range r.Paths {
		byKind[p.Kind]++
	}
	c := r.Coverage
	out := []string{fmt.Sprintf("%d path(s): %d through vulnerable workloads, %d to public data stores; %d vulnerable workload(s) exposed or of unknown exposure, %d with data behind them",
		len(r.Paths), byKind[PathWorkload], byKind[PathStore], c.ExposedWorkloads, c.WithData)}
	if c.DataStores != "" && !c.Assess.DataStoresIncomplete {
		out = append(out, "data stores: "+c.DataStores) // else coverageLines says it
	}
	for _, s := range c.StoresUnknown {
		out = append(out, fmt.Sprintf("exposure unknown: %s (%s): %s", s.Name, s.Kind, strings.Join(s.Missing, "; ")))
	}
	a := &Report{Coverage: c.Assess}
	if NoDB(a) {
		out[0] = "NOT CHECKED: no advisory database (run sightline db update): vulnerable entries unknown, not absent; " + out[0]
	}
	lines := coverageLines(a)
	return append(out, lines[1:]...) // the first line counts assess rows, not paths
}
