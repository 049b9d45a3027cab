package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/registry"
)

func newAccountCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Manage customer accounts, the registrants' own accounts at the registry",
		Long: `Manage customer accounts: a registrant's own account at the registry, with a
customer number, tied to one personal identity number or corporate
registration number. An account holds the registrant-managed domains and the
contacts the registry keeps for them; contact IDs the registry generates for
it begin with the account's handle ("abcdef0702-00001").

A registrant moves a registrant-managed domain to a reseller's management
with a consent token ("eppd account consent-token"), which the operator
issues to the registrant and the registrant gives to the reseller.

A customer with several accounts under one identity number has them merged
into one ("eppd account merge"), then points its domains to one registrant
contact ("eppd domain set-registrant") and deletes the contacts left unused
("eppd account prune-contacts").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newAccountCreateCmd(),
		newAccountListCmd(),
		newAccountShowCmd(),
		newAccountCloseCmd(),
		newAccountHistoryCmd(),
		newAccountConsentTokenCmd(),
		newAccountMergeCmd(),
		newAccountMessagesCmd(),
		newAccountPruneContactsCmd(),
	)
	return cmd
}

func newAccountCreateCmd() *cobra.Command {
	var name, email, kind, number, country string
	cmd := &cobra.Command{
		Use:   "create --name NAME --email ADDRESS --identity-type TYPE --identity NUMBER [--country CC]",
		Short: "Open a customer account",
		Long: `Open an active customer account and print its customer number.

The identity number is checked, check digit included, and kept in its
normalised form:
  se-personal  Swedish personnummer or samordningsnummer: YYYYMMDD-NNNN,
               YYMMDD-NNNN (YYMMDD+NNNN from the year the holder turns 100)
  se-org       Swedish organisationsnummer: NNNNNN-NNNN
  dk-cvr       Danish CVR number: 8 digits, optionally after DK
  foreign      any other country's number, kept as given; --country names
               the issuing country (ISO 3166-1 alpha-2)`,
		Example: `  eppd account create --name "Anna Andersson" --email anna@example.se \
      --identity-type se-personal --identity 19121212-1212
  eppd account create --name "Firma ApS" --email info@firma.dk --identity-type dk-cvr --identity 10403782
  eppd account create --name "Max Muster" --email max@example.de \
      --identity-type foreign --identity X1234567 --country DE`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			switch {
			case !f.Changed("name"):
				return errors.New(`--name is required: the registrant's name, such as --name "Anna Andersson"`)
			case !f.Changed("email"):
				return errors.New("--email is required: where the registry writes to the registrant")
			case !f.Changed("identity-type"):
				return errors.New("--identity-type is required: se-personal, se-org, dk-cvr or foreign")
			case !f.Changed("identity"):
				return errors.New("--identity is required: the personal identity number or corporate registration number")
			}
			// The service validates and normalises the identity.
			id := registry.Identity{
				Kind:   registry.IdentityKind(strings.ToLower(strings.TrimSpace(kind))),
				Number: number, Country: country,
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				acc, err := svc.CreateAccount(ctx, registry.Operator, registry.NewAccount{
					Name: name, Email: email, Identity: id,
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created account %s (handle %s) for %s, %s\n",
					acc.Number, acc.Handle, acc.Name, acc.Identity)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the registrant's name (required)")
	f.StringVar(&email, "email", "", "where the registry writes to the registrant (required)")
	f.StringVar(&kind, "identity-type", "", "the kind of identity number: se-personal, se-org, dk-cvr or foreign (required)")
	f.StringVar(&number, "identity", "", "the personal identity number or corporate registration `NUMBER` (required)")
	f.StringVar(&country, "country", "", "the issuing country's ISO 3166-1 alpha-2 `CC` (required for foreign)")
	return cmd
}

func newAccountListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the customer accounts, in any state",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				accs, err := svc.Accounts(ctx)
				if err != nil {
					return err
				}
				if len(accs) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), `no accounts yet: open one with "eppd account create"`)
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NUMBER\tHANDLE\tSTATUS\tIDENTITY\tNAME\tEMAIL")
				for _, a := range accs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Number, a.Handle, accountStatus(&a),
						a.Identity, a.Name, a.Email)
				}
				return w.Flush()
			})
		},
	}
}

// accountStatus is an account's status, with where a merged one went.
func accountStatus(a *registry.Account) string {
	if a.Status == registry.AccountMerged && a.MergedInto != "" {
		return string(a.Status) + " into " + a.MergedInto
	}
	return string(a.Status)
}

// countedList is how many items there are, and which: "2 (a.se, b.se)".
func countedList(items []string) string {
	if len(items) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", len(items), strings.Join(items, ", "))
}

func newAccountShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show a customer account",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				a, err := svc.Account(ctx, args[0])
				if err != nil {
					return err
				}
				domains, contacts, messages, err := svc.AccountHoldings(ctx, a.Number)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				for _, kv := range [][2]string{
					{"number", a.Number},
					{"handle", a.Handle},
					{"name", a.Name},
					{"email", orDash(a.Email)},
					{"identity", a.Identity.String()},
					{"status", accountStatus(a)},
					{"created", formatTime(a.CreatedAt)},
					{"updated", formatTime(a.UpdatedAt)},
					{"domains", countedList(domains)},
					{"contacts", countedList(contacts)},
					{"messages", fmt.Sprint(messages)},
				} {
					fmt.Fprintf(w, "%s:\t%s\n", kv[0], kv[1])
				}
				return w.Flush()
			})
		},
	}
}

func newAccountCloseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "close NUMBER",
		Short: "Close a customer account for good (its number is never reused)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				if err := svc.CloseAccount(ctx, registry.Operator, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "account %s is now closed\n", strings.TrimSpace(args[0]))
				return nil
			})
		},
	}
}

func newAccountHistoryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "history NUMBER",
		Short: "Show every change made to a customer account, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				hs, err := svc.AccountHistory(ctx, args[0])
				if err != nil {
					return err
				}
				return printHistory(cmd.OutOrStdout(), hs)
			})
		},
	}
}

// validityFlag is a consent token's validity: whole days ("7d") or a Go
// duration ("168h").
type validityFlag struct{ d time.Duration }

func (v *validityFlag) String() string {
	if v.d == 0 {
		return ""
	}
	if v.d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", v.d/(24*time.Hour))
	}
	return v.d.String()
}

func (v *validityFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		return fmt.Errorf("%q has no unit: write days such as 7d, or hours such as 168h", s)
	}
	// The policy file's reading of durations: "7d" or a Go duration.
	var d registry.Duration
	if err := d.UnmarshalJSON([]byte(s)); err != nil {
		return fmt.Errorf("%q: write days such as 7d, or a duration such as 168h or 36h30m", s)
	}
	if d.D() <= 0 {
		return fmt.Errorf("%q: a token must be valid for some time", s)
	}
	v.d = d.D()
	return nil
}

func (v *validityFlag) Type() string { return "DURATION" }

func newAccountConsentTokenCmd() *cobra.Command {
	var (
		reseller string
		valid    validityFlag
	)
	cmd := &cobra.Command{
		Use:   "consent-token DOMAIN [--reseller CLID] [--valid 7d]",
		Short: "Issue a registrant the token that moves a domain to a reseller's management",
		Long: `Issue a single-use consent token for a registrant-managed domain, to give to
its registrant. With it the registrant consents to the domain's moving to
reseller management: the reseller of their choice presents it over EPP. With
--reseller, only that reseller may use it.

The token is printed once and never again: the registry keeps only its
SHA-256 hash. It stays usable for --valid (default 7 days, at most 90).`,
		Example: `  eppd account consent-token example.se
  eppd account consent-token example.se --reseller acme --valid 30d`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				token, t, err := svc.IssueConsentToken(ctx, registry.Operator, args[0], reseller, valid.d)
				if err != nil {
					return err
				}
				who := "any reseller"
				if t.ResellerClID != "" {
					who = fmt.Sprintf("reseller %q only", t.ResellerClID)
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "consent token for %s (account %s), for %s, valid until %s:\n\n", t.Domain,
					t.AccountNumber, who, formatTime(t.ExpiresAt))
				fmt.Fprintf(out, "    %s\n\n", token)
				fmt.Fprintln(out, "It is shown only now: the registry keeps only its hash. Give it to the registrant, who gives it to the reseller that is to manage the domain.")
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&reseller, "reseller", "", "only the reseller with this `CLID` may use the token")
	f.Var(&valid, "valid", "how long the token stays usable: days such as 7d, or a duration such as 168h (default 7d, at most 90d)")
	return cmd
}
