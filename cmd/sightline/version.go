package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func newVersionCmd(g *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the Sightline version and build information",
		Example: "  sightline version\n  sightline version --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, commit, goVer := buildInfo()
			if g.Format == "json" {
				_, err := fmt.Fprintf(g.Stdout, "{\"version\":%q,\"commit\":%q,\"go\":%q}\n", v, commit, goVer)
				return err
			}
			_, err := fmt.Fprintf(g.Stdout, "sightline %s (commit %s, %s)\n", v, commit, goVer)
			return err
		},
	}
}

// buildInfo reads the version, VCS commit and Go version embedded by the
// Go toolchain, so a plain `go build` still reports which commit it is.
func buildInfo() (ver, commit, goVer string) {
	ver, commit, goVer = version, "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	goVer = bi.GoVersion
	if ver == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		ver = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			commit = s.Value
			if len(commit) > 12 {
				commit = commit[:12]
			}
		}
	}
	return
}
