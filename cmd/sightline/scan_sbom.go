package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/sbom"
	"github.com/sightline-sec/sightline/internal/scan"
)

const scanSBOMLong = `Match the components of an SBOM against the advisory database.

FILE is CycloneDX (JSON or XML, 1.2–1.7) or SPDX 2.x (JSON or tag-value).
Each component's ecosystem comes from its PURL (pkg:deb/debian/…?distro=debian-12
→ Debian:12, pkg:golang → Go, pkg:npm → npm, …); components without a PURL
are listed as warnings. Sightline's own CycloneDX and SPDX output reads back
with layers, locations and source packages intact.`

func newScanSBOMCmd(g *cliutil.Globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:     "sbom FILE",
		Short:   "Scan a CycloneDX or SPDX SBOM",
		Long:    scanSBOMLong,
		Example: "  sightline scan sbom --offline bom.cdx.json\n  sightline scan image --format cyclonedx app.tar > bom.json && sightline scan sbom --fail-on high bom.json",
		Args:    cobra.ExactArgs(1),
	}
	f.add(cmd, false)
	opts := addOutputFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := opts.prepare(g); err != nil {
			return err
		}
		doc, err := sbom.Read(cmd.Context(), args[0])
		if err != nil {
			return cliutil.Usage(err)
		}
		target := scan.Target{Kind: "sbom", Name: args[0], File: args[0]}
		if doc.Name != "" {
			target.Name = args[0] + " (" + doc.Name + ")"
		}
		return runScan(cmd.Context(), g, &f, opts, func(ctx context.Context, s *scan.Scanner) (*scan.Result, error) {
			return s.ScanPackages(ctx, target, doc.OS, doc.Packages, doc.Warnings)
		})
	}
	return cmd
}
