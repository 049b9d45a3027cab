package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

// newBillingCmd is "eppd billing": the bills of registrant-managed domains.
func newBillingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "billing",
		Short: "Bills of registrant-managed domains: the daily run, payments, bills and their timelines",
	}
	cmd.AddCommand(newBillingRunCmd(), newBillingPayCmd(), newBillingImportCmd(), newBillingListCmd(), newBillingShowCmd(),
		newBillingDeregisterCmd(), newBillingChangeCmd())
	return cmd
}

// withBiller opens the store and runs fn with the biller over it, its
// calendar and prices from --policy.
func withBiller(cmd *cobra.Command, fn func(ctx context.Context, b *billing.Biller) error) error {
	cfg, err := loadBilling(cmd)
	if err != nil {
		return err
	}
	var cal billing.CalendarConfig
	p, path, err := readPolicy(cmd)
	if err != nil {
		return err
	}
	if p != nil {
		if err := p.Calendar.Validate(); err != nil {
			return fmt.Errorf("policy %s: calendar: %w", path, err)
		}
		cal = p.Calendar
	}
	log, err := newLogger(cmd)
	if err != nil {
		return err
	}
	return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
		b, err := billing.NewBiller(svc, cal, cfg.Prices, log)
		if err != nil {
			return err
		}
		return fn(ctx, b)
	})
}

// billingDay reads a --date flag (parseDay); "" is today (UTC).
func billingDay(s string) (time.Time, error) {
	if s == "" {
		now := time.Now().UTC()
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	return parseDay("--date", s, 0)
}

func newBillingRunCmd() *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   "run [--date YYYY-MM-DD]",
		Short: "Do everything the billing calendar has due on a day (default today); running a day again does nothing twice",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := billingDay(date)
			if err != nil {
				return err
			}
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				rep, err := b.Run(ctx, day)
				printReport(cmd.OutOrStdout(), rep)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "the `day` to run (YYYY-MM-DD, UTC; default today)")
	return cmd
}

func printReport(w io.Writer, rep billing.Report) {
	if rep.Busy {
		fmt.Fprintf(w, "billing of %s: another process is running the billing; nothing done\n", rep.Day.Format(time.DateOnly))
		return
	}
	fmt.Fprintf(w, "billing of %s: %d bill(s) formed, %d step(s) done, %d problem(s)\n",
		rep.Day.Format(time.DateOnly), len(rep.Formed), len(rep.Steps), len(rep.Problems))
	for _, n := range rep.Formed {
		fmt.Fprintf(w, "formed %s\n", n)
	}
	for _, s := range rep.Steps {
		fmt.Fprintf(w, "%s %s: %s\n", s.Bill, s.Step, s.Note)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "PROBLEM: %s\n", p)
	}
}

func newBillingPayCmd() *cobra.Command {
	var date, reference string
	cmd := &cobra.Command{
		Use:   "pay NUMBER AMOUNT [--date YYYY-MM-DD] [--reference REF]",
		Short: "Record a payment for a bill; paid in full, the bill renews its domains and reactivates deactivated ones",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := billingDay(date)
			if err != nil {
				return err
			}
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				amount, err := billing.ParseMoney(args[1], "")
				if err != nil {
					return err
				}
				res, err := b.Pay(ctx, registry.Operator, args[0], amount, day, reference)
				if err != nil {
					return err
				}
				printPayment(cmd.OutOrStdout(), args[0], amount, res)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "the `day` the payment was made (YYYY-MM-DD; default today)")
	cmd.Flags().StringVar(&reference, "reference", "", "the payment's own `reference` (bank transaction); recorded once")
	return cmd
}

func printPayment(w io.Writer, number string, amount billing.Money, res *billing.PayResult) {
	if res.Duplicate {
		fmt.Fprintf(w, "payment of %s for %s: not recorded again: %s\n", amount, number, res.Reason)
		return
	}
	fmt.Fprintf(w, "payment of %s for %s: %s", amount, number, res.Payment.Status)
	if res.Reason != "" {
		fmt.Fprintf(w, " (%s)", res.Reason)
	}
	fmt.Fprintln(w)
	if len(res.Renewed) > 0 {
		fmt.Fprintf(w, "renewed: %s\n", strings.Join(res.Renewed, ", "))
	}
	if len(res.Reactivated) > 0 {
		fmt.Fprintf(w, "reactivated: %s\n", strings.Join(res.Reactivated, ", "))
	}
}

func newBillingImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Record the payments of a CSV file (reference = bill number, amount, date YYYY-MM-DD); a file imported twice is recorded once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				lines, err := b.ImportPayments(ctx, registry.Operator, f)
				out := cmd.OutOrStdout()
				failed := 0
				for _, l := range lines {
					switch {
					case l.Err != nil:
						failed++
						fmt.Fprintf(out, "line %d: ERROR: %v\n", l.Line, l.Err)
					default:
						fmt.Fprintf(out, "line %d: ", l.Line)
						p := l.Result.Payment
						printPayment(out, p.BillNumber, billing.Money{Minor: p.Amount, Currency: p.Currency}, l.Result)
					}
				}
				if err != nil {
					return err
				}
				if failed > 0 {
					return fmt.Errorf("%d line(s) of %s not recorded", failed, args[0])
				}
				return nil
			})
		},
	}
}

func newBillingListCmd() *cobra.Command {
	var state string
	var open bool
	cmd := &cobra.Command{
		Use:   "list [--state STATE] [--open]",
		Short: "List bills",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				bills, err := b.Bills(ctx, registry.BillFilter{State: registry.BillState(state), Open: open})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NUMBER\tSTATE\tACCOUNT\tPAYER\tTOTAL\tPAID\tNEXT STEP")
				for _, bl := range bills {
					next := "-"
					if !bl.NextStepAt.IsZero() && bl.State.Open() {
						next = bl.NextStepAt.Format(time.DateOnly)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", bl.Number, bl.State, bl.AccountNumber, bl.Payer,
						billing.Money{Minor: bl.Total, Currency: bl.Currency}, billing.Money{Minor: bl.Paid, Currency: bl.Currency}, next)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only bills in this `state` (noticed, sent, reminded, reminder-letter, final-notice, deactivated, paid, cancelled, deregistered)")
	cmd.Flags().BoolVar(&open, "open", false, "only bills waiting for payment")
	return cmd
}

func newBillingShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show a bill: its lines, payments and timeline (every step planned and done, with the messages sent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				v, err := b.Show(ctx, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				bl := v.Bill
				money := func(m int64) billing.Money { return billing.Money{Minor: m, Currency: bl.Currency} }
				kind := "separate"
				if bl.Collective {
					kind = "collective"
				}
				fmt.Fprintf(out, "bill %s (%s): %s\n", bl.Number, kind, bl.State)
				fmt.Fprintf(out, "account %s, registrant %s, payer %s, notices to %s\n", bl.AccountNumber, bl.Registrant, bl.Payer, bl.NoticeTo)
				fmt.Fprintf(out, "period ends %s\n", bl.Expiry.Format(time.DateOnly))
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "DOMAIN\tYEARS\tAMOUNT\tREMOVED")
				for _, l := range bl.Lines {
					removed := "-"
					if !l.RemovedAt.IsZero() {
						removed = l.RemovedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", l.Domain, l.Years, money(l.Amount), removed)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(out, "fees %s, total %s, paid %s\n\n", money(bl.Fees), money(bl.Total), money(bl.Paid))
				tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "STEP\tPLANNED\tDONE\tWHAT")
				for _, s := range v.Timeline {
					done := "-"
					if !s.Done.IsZero() {
						done = s.Done.Format(time.RFC3339)
					}
					planned := "-"
					if !s.Planned.IsZero() {
						planned = s.Planned.Format(time.DateOnly)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Step, planned, done, s.Note)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if len(v.Payments) > 0 {
					fmt.Fprintln(out)
					tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "PAYMENT\tPAID ON\tAMOUNT\tSTATUS\tREFERENCE\tBY")
					for _, p := range v.Payments {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.PaidOn.Format(time.DateOnly),
							billing.Money{Minor: p.Amount, Currency: p.Currency}, p.Status, p.Reference, p.Actor)
					}
					return tw.Flush()
				}
				return nil
			})
		},
	}
}

func newBillingDeregisterCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "deregister NUMBER DOMAIN",
		Short: "Deregister a domain on an open bill now (its holder gives it up): the domain is deleted and its line leaves the bill",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				bl, err := b.Deregister(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deregistered %s; bill %s is %s, total %s\n", registry.NormalizeName(args[1]), bl.Number, bl.State,
					billing.Money{Minor: bl.Total, Currency: bl.Currency})
				return nil
			})
		},
	}
}

func newBillingChangeCmd() *cobra.Command {
	var ch billing.BillChange
	cmd := &cobra.Command{
		Use:   "change NUMBER [--notice-to EMAIL] [--domain NAME --years N]",
		Short: "Change a bill's payment-notice recipient or a domain's renewal period, until the 7th of the billing month",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (ch.Domain == "") != (ch.Years == 0) {
				return fmt.Errorf("--domain and --years go together")
			}
			return withBiller(cmd, func(ctx context.Context, b *billing.Biller) error {
				bl, err := b.ChangeBill(ctx, registry.Operator, args[0], ch)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "bill %s: notices to %s, total %s\n", bl.Number, bl.NoticeTo,
					billing.Money{Minor: bl.Total, Currency: bl.Currency})
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&ch.NoticeTo, "notice-to", "", "the payment-notice recipient's `e-mail` address")
	cmd.Flags().StringVar(&ch.Domain, "domain", "", "the `domain` whose renewal period changes")
	cmd.Flags().IntVar(&ch.Years, "years", 0, "the renewal period in `years` (1 to 10)")
	return cmd
}
