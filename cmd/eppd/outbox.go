package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/registry"
)

func newOutboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "outbox",
		Short: "Look at and deliver the outbox: e-mails and letters to registrants",
		Long: `The outbox holds the e-mails and paper letters the registry writes to people,
each written together with the change it tells about. "eppd outbox deliver"
sends the e-mails that are due to the SMTP server, retrying failures with a
growing back-off, and writes the letters that are due into a batch file for
the print vendor.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newOutboxListCmd(), newOutboxDeliverCmd())
	return cmd
}

func newOutboxListCmd() *cobra.Command {
	var (
		pending bool
		channel string
		limit   int
	)
	cmd := &cobra.Command{
		Use:     "list [--pending] [--channel email|letter]",
		Aliases: []string{"ls"},
		Short:   "List the outbox's messages, oldest first",
		Long: `List the outbox's messages, oldest first. STATE is "pending" for a message
never tried, "retrying" after a failed attempt (LAST ERROR says why, DUE when
it is tried again), "batched" for a letter in a batch file not yet marked, and
"sent". DUE/SENT is when a sent message went out, else when it is next due.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := registry.OutboxFilter{Pending: pending, Channel: registry.OutboxChannel(channel), Limit: limit}
			switch f.Channel {
			case "", registry.OutboxEmail, registry.OutboxLetter:
			default:
				return fmt.Errorf("--channel %q: want %s or %s", channel, registry.OutboxEmail, registry.OutboxLetter)
			}
			if limit < 0 {
				return fmt.Errorf("--limit %d is negative", limit)
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				var ms []registry.OutboxMessage
				err := svc.Store().Tx(ctx, func(tx registry.Tx) error {
					var err error
					ms, err = tx.OutboxMessages(ctx, f)
					return err
				})
				if err != nil {
					return err
				}
				if len(ms) == 0 {
					if pending {
						fmt.Fprintln(cmd.OutOrStdout(), "no messages waiting")
					} else {
						fmt.Fprintln(cmd.OutOrStdout(), "the outbox is empty")
					}
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tCHANNEL\tSTATE\tATTEMPTS\tDUE/SENT\tTO\tSUBJECT\tKEY\tLAST ERROR")
				for _, m := range ms {
					at := m.NextAttemptAt
					if m.Sent() {
						at = m.SentAt
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Channel, outboxState(&m),
						m.Attempts, formatTime(at), oneLine(m.To), orDash(m.Subject), m.Key, orDash(oneLine(m.LastError)))
				}
				return w.Flush()
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&pending, "pending", false, "only the messages not sent yet")
	f.StringVar(&channel, "channel", "", "only e-mails (email) or only letters (letter)")
	f.IntVar(&limit, "limit", 0, "at most `N` messages (0 for all)")
	return cmd
}

// outboxState is the STATE column of "eppd outbox list".
func outboxState(m *registry.OutboxMessage) string {
	switch {
	case m.Sent():
		return "sent"
	case m.BatchID != "":
		return "batched"
	case m.Attempts > 0:
		return "retrying"
	}
	return "pending"
}

// oneLine joins the lines of a postal address or an error with ", ".
func oneLine(s string) string {
	var parts []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ", ")
}

func newOutboxDeliverCmd() *cobra.Command {
	var (
		mailer     billing.Mailer
		tlsMode    string
		pw         passwordFlags
		lettersDir string
		limit      int
	)
	cmd := &cobra.Command{
		Use:   "deliver [--smtp HOST:PORT --from ADDRESS] [--letters-dir DIR]",
		Short: "Send the e-mails that are due and write the letters that are due, once",
		Long: `Deliver the outbox once. With --smtp, send the e-mails that are due to that
SMTP server, one connection for the pass, each marked sent as soon as the
server accepts it; one the server refuses is tried again after 1 minute, then
5 minutes, 30 minutes, 2 hours, 8 hours and every 24 hours. When the server
cannot be reached or refuses the login, the pass stops with an error and
the rest wait for the next run. With --letters-dir, write every letter that
is due into one new batch file there, letters-<batch>.jsonl (JSON Lines,
one letter a line), for the print vendor to collect.

Run it from a scheduler every minute or so. Runs may overlap, also on
several machines sharing a PostgreSQL database: no two take the same e-mail.`,
		Example: `  eppd outbox deliver --smtp localhost:25 --smtp-tls none --from "Registry <billing@nic.example>"
  eppd outbox deliver --smtp smtp.example.net:587 --from billing@nic.example \
      --smtp-user billing --password-file /etc/eppd/smtp-password --letters-dir /var/spool/eppd/letters`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if mailer.Addr == "" && lettersDir == "" {
				return errors.New("nothing to deliver to: give --smtp HOST:PORT for e-mail, --letters-dir DIR for letters, or both")
			}
			var cfg billing.OutboxConfig
			if mailer.Addr != "" {
				if mailer.From == "" {
					return errors.New("--from is required with --smtp: the sender, such as --from \"Registry <billing@nic.example>\"")
				}
				mailer.TLS = billing.TLSMode(strings.ToLower(tlsMode))
				if mailer.Username != "" {
					if pw.file == "" && !pw.stdin {
						return errors.New("--smtp-user needs --password-file FILE or --password-stdin: the SMTP password")
					}
					var err error
					if mailer.Password, err = pw.read(cmd); err != nil {
						return err
					}
				} else if pw.file != "" || pw.stdin {
					return errors.New("an SMTP password needs --smtp-user")
				}
				cfg.Mailer = &mailer
			} else {
				for _, name := range []string{"from", "smtp-tls", "smtp-user", "password-file", "password-stdin", "smtp-timeout"} {
					if f.Changed(name) {
						return fmt.Errorf("--%s needs --smtp", name)
					}
				}
			}
			if limit <= 0 {
				return fmt.Errorf("--limit %d: want a positive number", limit)
			}
			cfg.EmailLimit = limit
			log, err := newLogger(cmd)
			if err != nil {
				return err
			}
			cfg.Logger = log
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				d, err := billing.NewDeliverer(svc.Store(), registry.SystemClock{}, cfg)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				var errs []error
				if cfg.Mailer != nil {
					sent, failed, err := d.DeliverDue(ctx)
					fmt.Fprintf(out, "sent %d e-mail(s)", sent)
					if failed > 0 {
						fmt.Fprintf(out, "; %d failed and will be retried", failed)
					}
					fmt.Fprintln(out)
					if err != nil {
						errs = append(errs, fmt.Errorf("e-mail: %w", err))
					}
				}
				if lettersDir != "" {
					path, n, err := d.WriteLetterBatch(ctx, lettersDir)
					switch {
					case err != nil:
						errs = append(errs, fmt.Errorf("letters: %w", err))
					case n == 0:
						fmt.Fprintln(out, "no letters due")
					default:
						fmt.Fprintf(out, "wrote %d letter(s) to %s\n", n, path)
					}
				}
				return errors.Join(errs...)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&mailer.Addr, "smtp", "", "send e-mail to the SMTP server at `HOST:PORT`")
	f.StringVar(&mailer.From, "from", "", "the sender of the e-mails: an `ADDRESS`, optionally with a name")
	f.StringVar(&tlsMode, "smtp-tls", string(billing.TLSStartTLS),
		"protect the SMTP connection with `MODE`: starttls (required), tls (from the first byte, port 465) or none")
	f.StringVar(&mailer.Username, "smtp-user", "", "log in to the SMTP server (AUTH PLAIN) as `USER`")
	pw.register(cmd, "SMTP password")
	f.DurationVar(&mailer.Timeout, "smtp-timeout", billing.DefaultMailTimeout, "give up on an SMTP connection, or on one message, after `DURATION`")
	f.StringVar(&lettersDir, "letters-dir", "", "write the letters that are due into a batch file in `DIR` (created if missing)")
	f.IntVar(&limit, "limit", billing.DefaultEmailLimit, "try at most `N` e-mails in this pass")
	return cmd
}
