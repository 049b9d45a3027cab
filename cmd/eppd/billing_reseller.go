package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

// newResellerBillingCmds are the reseller commands on prepaid balances.
func newResellerBillingCmds() []*cobra.Command {
	return []*cobra.Command{
		newResellerBalanceCmd(),
		newResellerTopUpCmd(),
		newResellerAdjustCmd(),
		newResellerStatementCmd(),
	}
}

// withLedger opens the store and runs fn with the prepaid ledger over it,
// priced by the policy of --policy.
func withLedger(cmd *cobra.Command, fn func(ctx context.Context, l *billing.Ledger) error) error {
	cfg, err := loadBilling(cmd)
	if err != nil {
		return err
	}
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := billing.NewLedger(st, registry.SystemClock{}, cfg)
	if err != nil {
		return err
	}
	return fn(commandContext(cmd), l)
}

// parseAmount reads an amount for the reseller's balance: in its currency
// unless it names one.
func parseAmount(ctx context.Context, l *billing.Ledger, clID, s string) (billing.Money, error) {
	b, err := l.Balance(ctx, clID)
	if err != nil {
		return billing.Money{}, err
	}
	return billing.ParseMoney(s, b.Currency)
}

func newResellerBalanceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "balance CLID",
		Short: "Show a reseller's prepaid balance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLedger(cmd, func(ctx context.Context, l *billing.Ledger) error {
				info, err := l.Info(ctx, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "balance of reseller %q: %s\n", args[0], info.Balance)
				if !info.Threshold.IsZero() {
					fmt.Fprintf(out, "low-balance warning at: %s\n", info.Threshold)
				}
				return nil
			})
		},
	}
}

func newResellerTopUpCmd() *cobra.Command {
	var reference string
	cmd := &cobra.Command{
		Use:   "topup CLID AMOUNT --reference REF",
		Short: "Credit a payment a reseller made to its prepaid balance",
		Long: `Credit a payment a reseller made to its prepaid balance, with the payment's
reference (a bank or OCR reference, an invoice number). AMOUNT is written as
500, 500.50 or "SEK 500.50"; without a currency it is in the balance's
currency (the registry's, SEK by default, for a first top-up, which fixes the
balance's currency).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return postLedgerEntry(cmd, args, func(ctx context.Context, l *billing.Ledger, amount billing.Money) (*registry.LedgerEntry, string, error) {
				e, err := l.TopUp(ctx, registry.Operator, args[0], amount, reference)
				if err != nil {
					return nil, "", err
				}
				return e, fmt.Sprintf("topped up %s (reference %s)", amount, e.Reference), nil
			})
		},
	}
	cmd.Flags().StringVar(&reference, "reference", "", "the payment's `REF`erence (required)")
	return cmd
}

func newResellerAdjustCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "adjust CLID AMOUNT --reason R",
		Short: "Correct a reseller's prepaid balance up or down",
		Long: `Correct a reseller's prepaid balance by AMOUNT, positive or negative, for the
reason given: a payment booked twice, a goodwill credit. The balance cannot go
below zero. Put a negative amount after "--", so that it is not read as a
flag:

  eppd reseller adjust acme --reason "payment booked twice" -- -500`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return postLedgerEntry(cmd, args, func(ctx context.Context, l *billing.Ledger, amount billing.Money) (*registry.LedgerEntry, string, error) {
				e, err := l.Adjust(ctx, registry.Operator, args[0], amount, reason)
				if err != nil {
					return nil, "", err
				}
				return e, fmt.Sprintf("adjusted by %s (%s)", amount, e.Reference), nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the balance is corrected (required)")
	return cmd
}

// postLedgerEntry is what topup and adjust share: args are CLID and
// AMOUNT; post writes the entry for the amount read and says what it did,
// and the reseller's balance after it is printed.
func postLedgerEntry(cmd *cobra.Command, args []string,
	post func(ctx context.Context, l *billing.Ledger, amount billing.Money) (*registry.LedgerEntry, string, error)) error {
	return withLedger(cmd, func(ctx context.Context, l *billing.Ledger) error {
		amount, err := parseAmount(ctx, l, args[0], args[1])
		if err != nil {
			return err
		}
		e, did, err := post(ctx, l, amount)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "reseller %q: %s; balance %s\n",
			args[0], did, billing.Money{Minor: e.BalanceAfter, Currency: e.Currency})
		return nil
	})
}

func newResellerStatementCmd() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "statement CLID [--from DATE] [--to DATE]",
		Short: "List the entries of a reseller's prepaid ledger",
		Long: `List the entries of a reseller's prepaid ledger, oldest first: top-ups,
charges, refunds and adjustments, each with the balance after it. --from and
--to are days (2006-01-02, UTC), both included; without them the statement
covers everything.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start, err := parseDay("--from", from, 0)
			if err != nil {
				return err
			}
			end, err := parseDay("--to", to, 1)
			if err != nil {
				return err
			}
			return withLedger(cmd, func(ctx context.Context, l *billing.Ledger) error {
				es, err := l.Statement(ctx, args[0], start, end)
				if err != nil {
					return err
				}
				return printStatement(cmd, args[0], es)
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first `DATE` (2006-01-02, UTC)")
	cmd.Flags().StringVar(&to, "to", "", "last `DATE` (2006-01-02, UTC), included")
	return cmd
}

// parseDay reads a --from or --to day and returns the start of the day
// plus days days; zero for "".
func parseDay(flag, s string, days int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want a date as 2006-01-02", flag, s)
	}
	return d.AddDate(0, 0, days), nil
}

func printStatement(cmd *cobra.Command, clID string, es []billing.Entry) error {
	out := cmd.OutOrStdout()
	if len(es) == 0 {
		fmt.Fprintf(out, "reseller %q has no ledger entries in that period\n", clID)
		return nil
	}
	money := func(minor int64) string { return billing.Money{Minor: minor, Currency: es[0].Currency}.String() }
	first := es[0]
	fmt.Fprintf(out, "opening balance: %s\n", money(first.BalanceAfter-first.Amount))
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTIME\tKIND\tFOR\tAMOUNT\tBALANCE\tREFERENCE")
	for _, e := range es {
		what := "-"
		if e.Domain != "" {
			what = string(e.Op) + " " + e.Domain
			if e.Years > 0 {
				what += fmt.Sprintf(" %dy", e.Years)
			}
		}
		var ref []string
		if e.Reference != "" {
			ref = append(ref, e.Reference)
		}
		if e.RefundsEntryID != 0 {
			ref = append(ref, fmt.Sprintf("refunds %d", e.RefundsEntryID))
		}
		if e.ClTRID != "" {
			ref = append(ref, "clTRID "+e.ClTRID)
		}
		if e.SvTRID != "" {
			ref = append(ref, "svTRID "+e.SvTRID)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, formatTime(e.At), e.Kind, what,
			money(e.Amount), money(e.BalanceAfter), orDash(strings.Join(ref, ", ")))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "closing balance: %s\n", money(es[len(es)-1].BalanceAfter))
	return err
}
