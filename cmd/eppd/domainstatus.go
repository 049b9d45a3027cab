package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

// newDomainStatusCmd lets the operator set and clear statuses on a domain,
// the server statuses (serverHold, serverUpdateProhibited, ...) above all,
// which no reseller may touch.
func newDomainStatusCmd() *cobra.Command {
	var add, rem []string
	cmd := &cobra.Command{
		Use:   "status NAME [--add STATUS]... [--rem STATUS]...",
		Short: "Set or clear a domain's statuses (server statuses included), or show them",
		Long: `Set or clear a domain's statuses as the operator. Server statuses
(serverHold, serverDeleteProhibited, serverRenewProhibited,
serverTransferProhibited, serverUpdateProhibited) are the operator's alone;
client statuses may be set too. With neither --add nor --rem, show the
domain's statuses. Every change is in the domain's history.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				name := args[0]
				if len(add) > 0 || len(rem) > 0 {
					if _, err := svc.UpdateDomain(ctx, registry.Operator, name, registry.DomainChange{AddStatuses: add, RemStatuses: rem}); err != nil {
						return err
					}
				}
				v, err := svc.DomainInfo(ctx, registry.Operator, name, "", "", false)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", v.Domain.Name, strings.Join(v.Statuses, " "))
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&add, "add", nil, "status to set (repeatable)")
	cmd.Flags().StringSliceVar(&rem, "rem", nil, "status to clear (repeatable)")
	return cmd
}
