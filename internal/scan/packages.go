package scan

import (
	"context"

	"github.com/sightline-sec/sightline/internal/inventory"
)

// ScanPackages matches an inventory that was not read from a filesystem,
// such as the components of an SBOM, and returns a Result like the other
// scans. warnings (e.g. SBOM components without a PURL) are kept.
func (s *Scanner) ScanPackages(ctx context.Context, target Target, os *inventory.OS, pkgs []inventory.Package, warnings []string) (*Result, error) {
	res := &Result{Schema: Schema, Target: target, OS: os, Packages: pkgs,
		Warnings: append([]string(nil), warnings...)}
	if res.Packages == nil {
		res.Packages = []inventory.Package{}
	}
	s.progress("packages", len(pkgs), len(pkgs))
	return res, s.match(ctx, res)
}
