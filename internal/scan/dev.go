package scan

import "fmt"

// dropDev removes development/test-only packages when Scanner.SkipDev is
// set, before matching, and says how many in a warning: the default keeps
// them (marked dev), so leaving them out is always the user's explicit
// choice and never silent (docs/scan.md, "Development dependencies").
func (s *Scanner) dropDev(res *Result) {
	if !s.SkipDev {
		return
	}
	kept := res.Packages[:0]
	n := 0
	for _, p := range res.Packages {
		if p.Dev {
			n++
			continue
		}
		kept = append(kept, p)
	}
	res.Packages = kept
	if n > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d development/test-only packages left out and not checked (--skip-dev)", n))
	}
}
