package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

// newScanCmd is a placeholder until the command lands; it is hidden from help.
func newScanCmd(_ *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:    "scan",
		Short:  "Scan images, filesystems and SBOMs for vulnerable packages",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("scan is not available in this build yet")
		},
	}
}
