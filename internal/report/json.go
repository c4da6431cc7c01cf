package report

import (
	"encoding/json"
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
	out.Findings = SortFindings(res.Findings)
	if out.Findings == nil {
		out.Findings = []scan.Finding{}
	}
	if out.Packages == nil {
		out.Packages = []inventory.Package{}
	}
	if len(res.Suppressed) > 0 {
		out.Suppressed = SortFindings(res.Suppressed)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // PURLs carry & in qualifiers
	return enc.Encode(&out)
}
