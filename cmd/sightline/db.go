package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
)

// newDBCmd is a placeholder until the command lands; it is hidden from help.
func newDBCmd(_ *cliutil.Globals) *cobra.Command {
	return &cobra.Command{
		Use:    "db",
		Short:  "Advisory knowledge base: update, import, query (OSV, KEV, EPSS)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("db is not available in this build yet")
		},
	}
}
