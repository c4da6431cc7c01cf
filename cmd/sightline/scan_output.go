package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/scan"
)

// outputOptions are the flags every `scan` subcommand shares: rendering,
// suppression (ignore file, VEX) and CI gates. The scan commands build a
// scan.Result and hand it to finish.
//
// Placeholder: JSON only, no gates. Replaced by the reports work.
type outputOptions struct{}

// addOutputFlags registers the shared output, suppression and gate flags on cmd.
func addOutputFlags(cmd *cobra.Command) *outputOptions {
	return &outputOptions{}
}

// finish applies suppressions, writes res in g.Format to g.Stdout and
// returns a cliutil.Threshold error when a gate is hit.
func (o *outputOptions) finish(g *cliutil.Globals, res *scan.Result) error {
	if err := g.CheckFormat("json", "table"); err != nil {
		return err
	}
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
