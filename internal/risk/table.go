package risk

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sightline-sec/sightline/internal/textfit"
)

// reachShort names a class in the table's REACH column.
var reachShort = map[string]string{
	ReachWide:         "internet",
	ReachNarrow:       "narrow",
	ReachUnknown:      "unknown",
	ReachInternal:     "internal",
	ReachNotReachable: "none",
	ReachNotRunning:   "not run",
}

// WriteTable writes the ranked rows (at most limit; 0 = all), the fix
// groups and the coverage footer, fitted to width columns.
func WriteTable(w io.Writer, rep *Report, limit, width int) error {
	t := textfit.Table{Header: []string{"#", "SCORE", "ID", "PACKAGE", "REACH", "WHY"}, Width: width, MinLast: 28, Squeeze: []int{3, 2}}
	n := len(rep.Risks)
	if limit > 0 && limit < n {
		n = limit
	}
	for _, r := range rep.Risks[:n] {
		why := r.Reasons[0]
		if len(r.Workloads) > 0 {
			why = fmt.Sprintf("%d workload(s); %s", len(r.Workloads), why)
		}
		t.Add(strconv.Itoa(r.Rank), fmt.Sprintf("%.1f", r.Score), r.ID, r.Package.Name+" "+r.Package.Version,
			reachShort[r.Reachability.Class], why)
	}
	if err := t.Write(w); err != nil {
		return err
	}
	var b strings.Builder
	if n < len(rep.Risks) {
		fmt.Fprintf(&b, "(%d more: --top 0 or --format json)\n", len(rep.Risks)-n)
	}
	if len(rep.Fixes) > 0 {
		b.WriteString("\nFastest fixes:\n")
		for _, g := range rep.Fixes {
			for _, l := range textfit.Hang("  - ", g.Summary, 4, width) {
				b.WriteString(l + "\n")
			}
		}
	}
	b.WriteString("\n")
	for _, l := range coverageLines(rep) {
		for _, x := range textfit.Hang("", l, 2, width) {
			b.WriteString(x + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// coverageLines says what the ranking could not see; never a silent zero.
func coverageLines(rep *Report) []string {
	c := rep.Coverage
	exposed := 0
	for _, r := range rep.Risks {
		if r.Reachability.Class == ReachWide || r.Reachability.Class == ReachNarrow {
			exposed++
		}
	}
	out := []string{fmt.Sprintf("%d risk(s), %d exposed to the internet; %d workload(s), %d image(s) run, %d scan result(s)",
		len(rep.Risks), exposed, c.Workloads, c.Images, c.ScanResults)}
	for _, g := range c.ImagesNotScanned {
		name := g.Ref
		if name == "" {
			name = g.Digest
		}
		out = append(out, fmt.Sprintf("not scanned (vulnerabilities unknown): %s, run by %d workload(s)", name, len(g.Workloads)))
	}
	if n := len(c.UnknownImages); n > 0 {
		out = append(out, fmt.Sprintf("%d container(s) with no known image", n))
	}
	if c.TagJoins > 0 {
		out = append(out, fmt.Sprintf("%d container(s) joined to a scan by tag only (lower confidence)", c.TagJoins))
	}
	for _, g := range c.ScanGaps {
		out = append(out, fmt.Sprintf("incomplete scan %s: db %s, %d package(s) unchecked, %d file(s) skipped", g.Target, g.DB, g.Unchecked, g.SkippedFiles))
	}
	for _, g := range c.InventoryGaps {
		out = append(out, "inventory gap: "+g.What+": "+g.Reason)
	}
	return out
}
