package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

// newExposureCmd is a placeholder until the command lands; it is hidden from help.
func newExposureCmd(_ *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:    "exposure",
		Short:  "Compute internet exposure of cloud resources, with proofs",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("exposure is not available in this build yet")
		},
	}
}
