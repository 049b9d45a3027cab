package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

func newProcessCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "process",
		Short: "Do the registry's timed work that is due now, once",
		Long: `Do the registry's timed work that is due now: approve transfers whose
waiting time has passed, renew expired domains, end grace periods and purge
deleted domains whose redemption period is over. "eppd serve" does this by
itself every --process-every; this command is for running it by hand or from
a scheduler.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				n, err := svc.ProcessDue(ctx, 500)
				fmt.Fprintf(cmd.OutOrStdout(), "processed %d domain(s)\n", n)
				return err
			})
		},
	}
}
