package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

// newObjectCmd is the command group for one object type ("domain",
// "contact" or "host"), for the operator's view of registry objects.
func newObjectCmd(objectType, idName, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   objectType,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "history " + idName,
		Short: "Show every change made to the " + objectType + ", oldest first, with who made it and its state after",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				hs, err := svc.ObjectHistory(ctx, objectType, args[0])
				if err != nil {
					return err
				}
				return printHistory(cmd.OutOrStdout(), hs)
			})
		},
	})
	if objectType == registry.ObjectDomain {
		cmd.AddCommand(newDomainCreateCmd(), newDomainSetModelCmd(), newDomainStatusCmd(),
			newDomainSetRegistrantCmd(), newDomainLinkCmd(true), newDomainLinkCmd(false))
	}
	if objectType == registry.ObjectContact {
		cmd.AddCommand(newContactDeleteCmd())
	}
	return cmd
}
