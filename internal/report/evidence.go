package report

import "github.com/sightline-sec/sightline/internal/scan"

// evidenceMarks are the table's short notes on a Go finding's evidence
// (docs/json.md, findings[].evidence): whether the vulnerable code is in
// the binary, and a platform restriction that could not be checked.
func evidenceMarks(e *scan.Evidence) []string {
	if e == nil {
		return nil
	}
	var m []string
	switch e.Symbols {
	case scan.SymbolsPresent:
		m = append(m, "code linked")
	case scan.SymbolsAbsent:
		m = append(m, "code not linked")
	}
	if e.Platform == scan.PlatformUnknown {
		m = append(m, "platform unchecked")
	}
	return m
}
