package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

// newCollectCmd is a placeholder until the command lands; it is hidden from help.
func newCollectCmd(_ *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:    "collect",
		Short:  "Collect cloud inventory snapshots (AWS)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("collect is not available in this build yet")
		},
	}
}
