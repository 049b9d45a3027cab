package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

// The operator's domain commands: the registry's own direct sales create
// registrant-managed domains for customer accounts, and move domains
// between the management models (registry/model.go has the rules).

// newDomainCreateCmd is "eppd domain create".
func newDomainCreateCmd() *cobra.Command {
	var (
		nd                   registry.NewDomain
		admin, billing, tech []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Register a registrant-managed domain for a customer account, with no reseller",
		Long: `Register a registrant-managed domain for a customer account: the registry
sponsors it, the account holds it and receives its bills, and no reseller has a
role on it unless a contact of its names one.

The registrant is a contact of the account (--registrant). A contact that
belongs to no account (a reseller's) is copied into a new contact of the
account, with an ID the registry generates. The domain's authorisation
information is generated and printed once.`,
		Example: `  eppd domain create example.se --account 100001 --registrant abcdef0702-00001 \
      --ns ns1.example.net --ns ns2.example.net --years 2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nd.Name = args[0]
			for _, f := range []string{"account", "registrant"} {
				if !cmd.Flags().Changed(f) {
					return fmt.Errorf("--%s is required", f)
				}
			}
			for _, c := range []struct {
				typ string
				ids []string
			}{{"admin", admin}, {"billing", billing}, {"tech", tech}} {
				for _, id := range c.ids {
					nd.Contacts = append(nd.Contacts, registry.DomainContact{Type: c.typ, ID: id})
				}
			}
			nd.AuthInfo = rand.Text()
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				d, err := svc.CreateDomain(ctx, registry.Operator, nd)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "created domain %s (registrant-managed, account %s, registrant %s), expires %s\n",
					d.Name, d.AccountNumber, d.Registrant, formatTime(d.ExpiresAt))
				fmt.Fprintf(out, "authorisation information: %s\n", d.AuthInfo)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&nd.Account, "account", "", "customer `NUMBER` of the account that is to hold the domain (required)")
	f.StringVar(&nd.Registrant, "registrant", "", "registrant contact `ID` (required)")
	f.IntVar(&nd.Years, "years", 0, "registration period in years (0: the TLD's minimum)")
	f.StringSliceVar(&nd.NS, "ns", nil, "name server `HOST`, an existing host object (repeatable)")
	f.StringSliceVar(&admin, "admin", nil, "admin contact `ID` (repeatable)")
	f.StringSliceVar(&billing, "billing", nil, "billing contact `ID` (repeatable)")
	f.StringSliceVar(&tech, "tech", nil, "tech contact `ID` (repeatable)")
	return cmd
}

// newDomainSetModelCmd is "eppd domain set-model".
func newDomainSetModelCmd() *cobra.Command {
	var ch registry.ModelChange
	cmd := &cobra.Command{
		Use:   "set-model NAME registrant|reseller",
		Short: "Move a domain to registrant or reseller management",
		Long: `Move a domain to the other management model, as the registry.

To registrant management: the registry becomes the domain's sponsor and the
customer account holds it (--account, needed when no account holds it yet); a
registrant contact that belongs to no account is copied into the account. The
former reseller of record gets a poll message.

To reseller management, on the registrant's consent the registry holds
(--evidence: a signed form, a letter): --reseller becomes the domain's sponsor
and reseller of record. Resellers make this move themselves over EPP with a
consent token the registrant had the registry issue.

Either way the domain gets new authorisation information, and the change is in
its history.`,
		Example: `  eppd domain set-model example.se registrant --account 100001
  eppd domain set-model example.se reseller --reseller acme --evidence "signed form 2027-114"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := registry.ParseModel(args[1])
			if err != nil {
				return err
			}
			ch.To = m
			if m == registry.ModelRegistrant && (ch.Reseller != "" || ch.Evidence != "") {
				return errors.New("--reseller and --evidence go with a move to reseller management")
			}
			if m == registry.ModelReseller && ch.Account != "" {
				return errors.New("--account goes with a move to registrant management")
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				d, err := svc.ChangeDomainModel(ctx, registry.Operator, args[0], ch)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if d.Model == registry.ModelRegistrant {
					fmt.Fprintf(out, "domain %s is registrant-managed, held by account %s (registrant %s)\n", d.Name, d.AccountNumber, d.Registrant)
				} else {
					fmt.Fprintf(out, "domain %s is reseller-managed by %s\n", d.Name, d.SponsorClID)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&ch.Account, "account", "", "customer `NUMBER` of the account that is to hold the domain (to registrant management)")
	f.StringVar(&ch.Reseller, "reseller", "", "`CLID` of the reseller that is to manage the domain (to reseller management)")
	f.StringVar(&ch.Evidence, "evidence", "", "the registrant's consent as the registry holds it (to reseller management)")
	return cmd
}
