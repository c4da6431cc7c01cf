package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/risk"
)

const pathsLong = `List attack paths to data: internet → vulnerable workload → its cloud role or
its network → a data store, and internet → a data store that admits anyone.

The inputs are assess's: an AWS snapshot (--aws, required: the data stores,
IAM and network live there), the workloads (--k8s, --kubeconfig, --docker, or
the snapshot's ECS tasks) and findings (--scan-results, --images). A workload
path starts at a workload exposed to the internet (or whose exposure is
unknown: missing data is never taken as safe) that runs a scanned image with
findings, and ends at each data store behind it:

  identity  its role (ECS task role, IRSA) may call the store's data actions,
            evaluated as AWS does (identity and resource policies, boundaries,
            explicit deny; conditions kept as conditional; docs/iam.md);
  network   its network interface may open a connection to the store's port
            (security groups both ways, network ACLs, routes, peering;
            docs/exposure.md "Internal flows").

A data-store path is a store the internet reaches by itself: a database whose
port is open to the internet, a bucket or secret whose policy allows anyone,
a Lambda function URL without authentication, a public EKS API endpoint.

Each hop carries its proof (the statements, the rules), and each path a
verdict: proven, conditional (a policy condition decides) or unknown (data
missing, named). Paths rank by the entry's assess score plus the store's
weight; docs/paths.md. What could not be checked (data services not collected,
stores whose exposure is unknown, images not scanned) is listed in the footer
and in the JSON "coverage".

Exit codes: 0 done, 2 usage or input error, 3 internal error.`

const pathsExample = `  sightline paths --aws ./snap --scan-results api.json --scan-results web.json
  sightline paths --aws ./snap --k8s ./manifests --images ghcr.io/org/api:2.0 --format json
  sightline paths --aws ./snap --format html > paths.html`

// pathsFormats are the --format values of paths.
var pathsFormats = []string{"table", "json", "sarif", "html"}

func newPathsCmd(g *cliutil.Globals) *cobra.Command {
	var src sourceFlags
	var sf scanFlags
	var results, images []string
	var top int
	c := &cobra.Command{
		Use:     "paths --aws DIR [--k8s PATH…|--kubeconfig FILE [--context C]] [--docker [--host-id I]] [--scan-results FILE…] [--images REF…]",
		Short:   "Attack paths from the internet to data stores, through vulnerable workloads or directly, each hop proven",
		Long:    pathsLong,
		Example: pathsExample,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cliutil.Usagef("unexpected argument %q: paths takes no arguments; give each scan result with its own --scan-results", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := src.check(); err != nil {
				return err
			}
			if src.aws == "" {
				return cliutil.Usagef("give the AWS snapshot with --aws DIR (from 'sightline collect aws'): data stores, IAM and the network are read from it")
			}
			if top < 0 {
				return cliutil.Usagef("--top %d: want 0 (all) or more", top)
			}
			return runPaths(cmd.Context(), g, &src, &sf, results, images, top)
		},
	}
	src.register(c.Flags(), true)
	c.Flags().Lookup("aws").Usage = "an AWS snapshot directory ('sightline collect aws'; required): ECS tasks, the network, IAM and the data stores"
	sf.add(c, true)
	c.Flags().StringArrayVar(&results, "scan-results", nil, "a 'sightline scan … --format json' result (repeatable)")
	c.Flags().StringArrayVar(&images, "images", nil, "scan this image, as 'sightline scan image' takes it (repeatable)")
	c.Flags().IntVar(&top, "top", 20, "table: print the top N paths (0 = all)")
	return c
}

func runPaths(ctx context.Context, g *cliutil.Globals, src *sourceFlags, sf *scanFlags, files, images []string, top int) error {
	results, err := assessResults(ctx, g, sf, files, images)
	if err != nil {
		return err
	}
	rep, behind, err := assessRuntime(ctx, g, src, results, false)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		g.Warnf("paths: no findings given (--scan-results, --images): only data stores the internet reaches by themselves are listed; paths through workloads need their images' scans")
	}
	pr := risk.BuildPaths(rep, behind.Data.Behind, behind.Data.StoreRefs(), behind.Data.Note)
	if n := len(pr.Coverage.StoresUnknown); n > 0 {
		g.Warnf("paths: the internet exposure of %d data store(s) is unknown (first: %s: %s); see the footer or coverage.stores_unknown",
			n, pr.Coverage.StoresUnknown[0].Name, firstOr(pr.Coverage.StoresUnknown[0].Missing, "no reason recorded"))
	}
	return writePaths(g.Stdout, g.Format, pr, top, g.Width())
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// writePaths writes the path report in format (a pathsFormats value).
func writePaths(w io.Writer, format string, pr *risk.PathReport, top, width int) error {
	switch format {
	case "json":
		return risk.WritePathsJSON(w, pr)
	case "sarif":
		ver, _, _ := buildInfo()
		return report.WritePathsSARIF(w, pr, ver)
	case "html":
		return risk.WritePathsHTML(w, pr)
	}
	return risk.WritePathsTable(w, pr, top, width)
}
