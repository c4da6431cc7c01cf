package main

import (
	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

const rootLong = `Sightline treats cloud and containers as one stack: it scans images for
vulnerable packages, inventories what really runs and the cloud around it,
and ranks every finding by whether the port needed to attack it can be
reached — with the path that proves it.

Exit codes: 0 ok, 1 a --fail-on threshold was hit, 2 usage or input error,
3 internal error.`

func newRootCmd(g *cliutil.Globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "sightline",
		Short:         "Vulnerabilities ranked by real reachability, from image to cloud",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.CacheDir, "cache-dir", cliutil.DefaultCacheDir(),
		"where the advisory database and caches live (env "+cliutil.CacheDirEnv+")")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "print diagnostics on stderr")
	pf.StringVar(&g.Format, "format", "table", "output format: table|json; scan commands also sarif|cyclonedx|cyclonedx-vex|spdx")
	// Unknown flags and bad arguments are usage errors (exit code 2).
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliutil.Usage(err) })

	root.AddCommand(
		newVersionCmd(g),
		newDBCmd(g),
		newScanCmd(g),
		newCollectCmd(g),
		newExposureCmd(g),
	)
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes cobra's argument-count errors usage errors (exit code 2)
// for c and all of its subcommands.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			return cliutil.Usage(check(cmd, args))
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
