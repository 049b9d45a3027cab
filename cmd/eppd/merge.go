package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

// Account merging and what follows it: gathering a customer's accounts
// into one, pointing its domains to one registrant contact, connecting
// and disconnecting contacts, and deleting the contacts left unlinked
// (registry/merge.go, registry/consolidate.go).

// newAccountMergeCmd is "eppd account merge".
func newAccountMergeCmd() *cobra.Command {
	var into string
	cmd := &cobra.Command{
		Use:   "merge --into TARGET SOURCE...",
		Short: "Merge customer accounts of one identity number into one",
		Long: `Merge the SOURCE accounts into the TARGET account: every domain, contact,
bill, inbox message and unused consent token of each source moves to the
target, in one transaction. Contact IDs and domain history stay as they were;
the history of the target, of each source and of every moved domain and
contact records the merge. Each source becomes a tombstone: it can never be
used again, and "eppd account show" says where it went. The target's holder
gets a message in the account's inbox and an e-mail.

Refused, with nothing changed, when the identity numbers differ, when an
account is closed or merged already, when a source is the target, or when a
source is named twice.`,
		Example: `  eppd account merge --into 100001 100004 100007`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(into) == "" {
				return fmt.Errorf("--into is required: the customer number of the account to merge into")
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				res, err := svc.MergeAccounts(ctx, registry.Operator, into, args)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "merged account(s) %s into account %s\n", strings.Join(res.Sources, ", "), res.Target)
				fmt.Fprintf(out, "moved: %d domain(s), %d contact(s), %d bill(s), %d message(s), %d consent token(s)\n",
					len(res.Domains), len(res.Contacts), res.Bills, res.Messages, res.ConsentTokens)
				if len(res.Domains) > 0 {
					fmt.Fprintf(out, "domains: %s\n", strings.Join(res.Domains, ", "))
				}
				if len(res.Contacts) > 0 {
					fmt.Fprintf(out, "contacts: %s\n", strings.Join(res.Contacts, ", "))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "customer `NUMBER` of the account to merge into (required)")
	return cmd
}

// newAccountMessagesCmd is "eppd account messages".
func newAccountMessagesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "messages NUMBER",
		Short: "Show a customer account's inbox, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				ms, err := svc.AccountMessages(ctx, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if len(ms) == 0 {
					fmt.Fprintln(out, "no messages")
					return nil
				}
				for _, m := range ms {
					fmt.Fprintf(out, "#%d  %s  %s\n", m.ID, formatTime(m.CreatedAt), m.Subject)
					if m.Domain != "" {
						fmt.Fprintf(out, "    domain: %s\n", m.Domain)
					}
					for line := range strings.SplitSeq(strings.TrimRight(m.Body, "\n"), "\n") {
						fmt.Fprintf(out, "    %s\n", line)
					}
				}
				return nil
			})
		},
	}
}

// newAccountPruneContactsCmd is "eppd account prune-contacts".
func newAccountPruneContactsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "prune-contacts NUMBER",
		Short: "Delete the contacts of a customer account that no domain links to",
		Long: `Delete every contact of the customer account that no domain links to, and
report each contact of the account: deleted, or kept and why (a contact that is
linked to a domain cannot be deleted).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				res, err := svc.DeleteUnlinkedContacts(ctx, registry.Operator, args[0])
				if err != nil {
					return err
				}
				kept, err := reportContacts(cmd.OutOrStdout(), res)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d of %d contact(s) deleted\n", len(res)-len(kept), len(res))
				return nil
			})
		},
	}
}

// newDomainSetRegistrantCmd is "eppd domain set-registrant".
func newDomainSetRegistrantCmd() *cobra.Command {
	var contact string
	cmd := &cobra.Command{
		Use:   "set-registrant --contact ID DOMAIN...",
		Short: "Point one or many domains to one registrant contact",
		Long: `Point each DOMAIN to the registrant contact ID, as the registry: after a merge,
a customer gathers its domains under one registrant contact. For a domain a
customer account holds, the contact must be one of that account's (pointing
it to someone else's contact is a change of holder). A domain on a bill that
is not paid keeps its registrant until the bill is paid.

Each domain switches on its own; the command reports, per domain, whether it
switched and why not, and fails when any did not.`,
		Example: `  eppd domain set-registrant --contact abcdef0702-00001 example.se example.nu`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(contact) == "" {
				return fmt.Errorf("--contact is required: the ID of the registrant contact")
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				return reportOutcomes(cmd.OutOrStdout(), "switched", svc.SwitchRegistrant(ctx, registry.Operator, contact, args))
			})
		},
	}
	cmd.Flags().StringVar(&contact, "contact", "", "`ID` of the registrant contact (required)")
	return cmd
}

// newDomainLinkCmd is "eppd domain connect" (connect true) and "eppd
// domain disconnect".
func newDomainLinkCmd(connect bool) *cobra.Command {
	var typ, contact string
	use, short, done := "disconnect", "Remove an admin, billing or tech contact from one or many domains", "disconnected"
	if connect {
		use, short, done = "connect", "Add an admin, billing or tech contact to one or many domains", "connected"
	}
	cmd := &cobra.Command{
		Use:   use + " --type admin|billing|tech --contact ID DOMAIN...",
		Short: short,
		Long: short + `, as the registry.
Each domain changes on its own; the command reports, per domain, whether it
changed and why not, and fails when any could not.`,
		Example: "  eppd domain " + use + " --type tech --contact abcdef0702-00002 example.se example.nu",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch typ {
			case "admin", "billing", "tech":
			default:
				return fmt.Errorf("--type must be admin, billing or tech, not %q", typ)
			}
			if strings.TrimSpace(contact) == "" {
				return fmt.Errorf("--contact is required: the ID of the contact")
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				if connect {
					return reportOutcomes(cmd.OutOrStdout(), done, svc.ConnectContact(ctx, registry.Operator, typ, contact, args))
				}
				return reportOutcomes(cmd.OutOrStdout(), done, svc.DisconnectContact(ctx, registry.Operator, typ, contact, args))
			})
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "the contact's role: admin, billing or tech (required)")
	cmd.Flags().StringVar(&contact, "contact", "", "`ID` of the contact (required)")
	return cmd
}

// reportOutcomes prints one line per domain and fails when a change was
// refused for any.
func reportOutcomes(out io.Writer, done string, res []registry.DomainOutcome) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	var refused []string
	for _, r := range res {
		switch {
		case r.Err != nil:
			refused = append(refused, r.Err.Error())
			fmt.Fprintf(w, "%s\trefused\t%v\n", r.Domain, r.Err)
		case r.Changed:
			fmt.Fprintf(w, "%s\t%s\n", r.Domain, done)
		default:
			fmt.Fprintf(w, "%s\tunchanged\t%s\n", r.Domain, r.Note)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(refused) > 0 {
		return fmt.Errorf("%d of %d domain(s) refused: %s", len(refused), len(res), strings.Join(refused, "; "))
	}
	return nil
}

// reportContacts prints one line per contact, deleted or kept and why,
// and returns the reasons of those kept.
func reportContacts(out io.Writer, res []registry.ContactOutcome) (kept []string, err error) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range res {
		switch {
		case r.Deleted:
			fmt.Fprintf(w, "%s\tdeleted\n", r.ID)
			continue
		case registry.IsKind(r.Err, registry.KindLinked):
			fmt.Fprintf(w, "%s\tkept\tlinked to a domain\n", r.ID)
		default:
			fmt.Fprintf(w, "%s\tkept\t%v\n", r.ID, r.Err)
		}
		kept = append(kept, r.Err.Error())
	}
	return kept, w.Flush()
}

// newContactDeleteCmd is "eppd contact delete".
func newContactDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete contacts no domain links to",
		Long: `Delete each contact ID, as the registry. A contact linked to a domain is
kept (disconnect it first, or point the domains to another registrant); each
contact is reported, and the command fails when any was kept.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				res := make([]registry.ContactOutcome, 0, len(args))
				for _, id := range args {
					err := svc.DeleteContact(ctx, registry.Operator, id)
					res = append(res, registry.ContactOutcome{ID: id, Deleted: err == nil, Err: err})
				}
				kept, err := reportContacts(cmd.OutOrStdout(), res)
				if err != nil {
					return err
				}
				if len(kept) > 0 {
					return fmt.Errorf("%d of %d contact(s) kept: %s", len(kept), len(args), strings.Join(kept, "; "))
				}
				return nil
			})
		},
	}
}
