package report

import (
	"io"

	"github.com/sightline-sec/sightline/internal/inventory"
	"github.com/sightline-sec/sightline/internal/scan"
)

// renderJSON writes the result as-is (schema sightline.scan/v1, see
// docs/json.md), with findings sorted and empty lists as [] rather than
// null so consumers can iterate without checks.
func renderJSON(w io.Writer, res *scan.Result) error {
	out := *res
	if out.Schema == "" {
		out.Schema = scan.Schema
	}
	if out.Findings == nil {
		out.Findings = []scan.Finding{}
	}
	if out.Packages == nil {
		out.Packages = []inventory.Package{}
	}
	// Streamed, findings in sorted order without a sorted copy; HTML
	// escaping off (PURLs carry & in qualifiers).
	return streamJSON(w, &out, map[string][]int{
		"findings":   findingOrder(out.Findings),
		"suppressed": findingOrder(out.Suppressed),
	})
}
