package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
each written together with the change it tells about. "eppd serve --smtp"
sends the e-mails as they fall due; "eppd outbox deliver" sends those that
are due once, retrying failures with a growing back-off, and writes the
letters that are due into a batch file for the print vendor.

An e-mail refused for good (a 5xx reply to its recipient or its content,
such as a mailbox that does not exist), or failed too many times
(--smtp-max-attempts), is given up: kept, listed as failed, and not tried
again until "eppd outbox retry".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newOutboxListCmd(), newOutboxDeliverCmd(), newOutboxRetryCmd())
	return cmd
}

func newOutboxListCmd() *cobra.Command {
	var (
		pending, failed bool
		channel         string
		limit           int
	)
	cmd := &cobra.Command{
		Use:     "list [--pending|--failed] [--channel email|letter]",
		Aliases: []string{"ls"},
		Short:   "List the outbox's messages, oldest first",
		Long: `List the outbox's messages, oldest first. STATE is "pending" for a message
never tried, "retrying" after a failed attempt (LAST ERROR says why, DUE when
it is tried again), "batched" for a letter in a batch file not yet marked,
"failed" for an e-mail given up (see "eppd outbox retry"), and "sent".
DUE/SENT is when a sent message went out, when a failed one was given up,
else when it is next due.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := registry.OutboxFilter{Pending: pending, Failed: failed, Channel: registry.OutboxChannel(channel), Limit: limit}
			switch f.Channel {
			case "", registry.OutboxEmail, registry.OutboxLetter:
			default:
				return fmt.Errorf("--channel %q: want %s or %s", channel, registry.OutboxEmail, registry.OutboxLetter)
			}
			if pending && failed {
				return errors.New("give --pending or --failed, not both")
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
					switch {
					case pending:
						fmt.Fprintln(cmd.OutOrStdout(), "no messages waiting")
					case failed:
						fmt.Fprintln(cmd.OutOrStdout(), "no failed messages")
					default:
						fmt.Fprintln(cmd.OutOrStdout(), "the outbox is empty")
					}
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tCHANNEL\tSTATE\tATTEMPTS\tDUE/SENT\tTO\tSUBJECT\tKEY\tLAST ERROR")
				for _, m := range ms {
					at := m.NextAttemptAt
					switch {
					case m.Sent():
						at = m.SentAt
					case m.Failed():
						at = m.FailedAt
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Channel, outboxState(&m),
						m.Attempts, formatTime(at), oneLine(m.To), orDash(m.Subject), m.Key, orDash(oneLine(m.LastError)))
				}
				return w.Flush()
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&pending, "pending", false, "only the messages still to be delivered")
	f.BoolVar(&failed, "failed", false, "only the e-mails given up (refused for good, or out of attempts)")
	f.StringVar(&channel, "channel", "", "only e-mails (email) or only letters (letter)")
	f.IntVar(&limit, "limit", 0, "at most `N` messages (0 for all)")
	return cmd
}

// outboxState is the STATE column of "eppd outbox list".
func outboxState(m *registry.OutboxMessage) string {
	switch {
	case m.Sent():
		return "sent"
	case m.Failed():
		return "failed"
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

// smtpFlags are how the commands that send e-mail (outbox deliver, serve)
// are told about the SMTP server.
type smtpFlags struct {
	mailer      billing.Mailer
	tlsMode     string
	pw          passwordFlags
	maxAttempts int
}

func (s *smtpFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.mailer.Addr, "smtp", "", "send e-mail to the SMTP server at `HOST:PORT`")
	f.StringVar(&s.mailer.From, "from", "", "the sender of the e-mails: an `ADDRESS`, optionally with a name")
	f.StringVar(&s.tlsMode, "smtp-tls", string(billing.TLSStartTLS),
		"protect the SMTP connection with `MODE`: starttls (required), tls (from the first byte, port 465) or none")
	f.StringVar(&s.mailer.Username, "smtp-user", "", "log in to the SMTP server (AUTH PLAIN) as `USER`")
	s.pw.register(cmd, "SMTP password")
	f.DurationVar(&s.mailer.Timeout, "smtp-timeout", billing.DefaultMailTimeout, "give up on an SMTP connection, or on one message, after `DURATION`")
	f.IntVar(&s.maxAttempts, "smtp-max-attempts", billing.DefaultMaxAttempts,
		"give an e-mail up after `N` attempts that failed for a reason that may pass (4xx, network); a 5xx refusal gives it up at once")
}

// config is the outbox configuration the flags give: its Mailer nil when
// no --smtp is given (and then no other SMTP flag may be).
func (s *smtpFlags) config(cmd *cobra.Command) (billing.OutboxConfig, error) {
	var cfg billing.OutboxConfig
	if s.mailer.Addr == "" {
		for _, name := range []string{"from", "smtp-tls", "smtp-user", "password-file", "password-stdin", "smtp-timeout", "smtp-max-attempts"} {
			if cmd.Flags().Changed(name) {
				return cfg, fmt.Errorf("--%s needs --smtp", name)
			}
		}
		return cfg, nil
	}
	if s.mailer.From == "" {
		return cfg, errors.New("--from is required with --smtp: the sender, such as --from \"Registry <billing@nic.example>\"")
	}
	if s.maxAttempts <= 0 {
		return cfg, fmt.Errorf("--smtp-max-attempts %d: want a positive number", s.maxAttempts)
	}
	m := s.mailer
	m.TLS = billing.TLSMode(strings.ToLower(s.tlsMode))
	if m.Username != "" {
		if s.pw.file == "" && !s.pw.stdin {
			return cfg, errors.New("--smtp-user needs --password-file FILE or --password-stdin: the SMTP password")
		}
		var err error
		if m.Password, err = s.pw.read(cmd); err != nil {
			return cfg, err
		}
	} else if s.pw.file != "" || s.pw.stdin {
		return cfg, errors.New("an SMTP password needs --smtp-user")
	}
	cfg.Mailer, cfg.MaxAttempts = &m, s.maxAttempts
	return cfg, nil
}

func newOutboxDeliverCmd() *cobra.Command {
	var (
		smtp       smtpFlags
		lettersDir string
		limit      int
	)
	cmd := &cobra.Command{
		Use:   "deliver [--smtp HOST:PORT --from ADDRESS] [--letters-dir DIR]",
		Short: "Send the e-mails that are due and write the letters that are due, once",
		Long: `Deliver the outbox once. With --smtp, send the e-mails that are due to that
SMTP server, one connection for the pass, each marked sent as soon as the
server accepts it; one the server refuses is tried again after 1 minute, then
5 minutes, 30 minutes, 2 hours, 8 hours and every 24 hours, until it has
failed --smtp-max-attempts times. One refused for good (a 5xx reply to its
recipient or its content) is given up at once. A message given up is kept,
marked failed ("eppd outbox list --failed", "eppd outbox retry"). When the
server cannot be reached or refuses the login, the pass stops with an error
and the rest wait for the next run. With --letters-dir, write every letter
that is due into one new batch file there, letters-<batch>.jsonl (JSON
Lines, one letter a line), for the print vendor to collect.

"eppd serve --smtp" delivers the e-mails by itself; run this from a
scheduler for the letters, or for the e-mails when no server does. Runs may
overlap, also on several machines sharing a PostgreSQL database: no two
take the same e-mail.`,
		Example: `  eppd outbox deliver --smtp localhost:25 --smtp-tls none --from "Registry <billing@nic.example>"
  eppd outbox deliver --smtp smtp.example.net:587 --from billing@nic.example \
      --smtp-user billing --password-file /etc/eppd/smtp-password --letters-dir /var/spool/eppd/letters`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if smtp.mailer.Addr == "" && lettersDir == "" {
				return errors.New("nothing to deliver to: give --smtp HOST:PORT for e-mail, --letters-dir DIR for letters, or both")
			}
			cfg, err := smtp.config(cmd)
			if err != nil {
				return err
			}
			if limit <= 0 {
				return fmt.Errorf("--limit %d: want a positive number", limit)
			}
			cfg.EmailLimit = limit
			if cfg.Logger, err = newLogger(cmd); err != nil {
				return err
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				d, err := billing.NewDeliverer(svc.Store(), registry.SystemClock{}, cfg)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				var errs []error
				if cfg.Mailer != nil {
					res, err := d.DeliverDue(ctx)
					fmt.Fprintf(out, "sent %d e-mail(s)", res.Sent)
					if res.Retrying > 0 {
						fmt.Fprintf(out, "; %d failed and will be retried", res.Retrying)
					}
					if res.Failed > 0 {
						fmt.Fprintf(out, "; %d failed for good (eppd outbox list --failed)", res.Failed)
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
	smtp.register(cmd)
	f := cmd.Flags()
	f.StringVar(&lettersDir, "letters-dir", "", "write the letters that are due into a batch file in `DIR` (created if missing)")
	f.IntVar(&limit, "limit", billing.DefaultEmailLimit, "try at most `N` e-mails in this pass")
	return cmd
}

func newOutboxRetryCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "retry ID... | --all-failed",
		Short: "Make failed e-mails due again",
		Long: `Make e-mails that were given up (STATE "failed" in "eppd outbox list") due
at once, their attempts counted anew: after the recipient's mailbox was
created, say, or the SMTP server's configuration mended. Their last error is
kept until they are sent. A message that has not failed is left as it is.`,
		Example: `  eppd outbox retry 42
  eppd outbox retry --all-failed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return errors.New("give the IDs of the messages to retry, or --all-failed")
			}
			ids := make([]int64, len(args))
			for i, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil || id <= 0 {
					return fmt.Errorf("%q is not a message ID (see eppd outbox list --failed)", a)
				}
				ids[i] = id
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				// One transaction: every message named is retried, or none.
				err := svc.Store().Tx(ctx, func(tx registry.Tx) error {
					if all {
						ms, err := tx.OutboxMessages(ctx, registry.OutboxFilter{Failed: true})
						if err != nil {
							return err
						}
						ids = ids[:0]
						for _, m := range ms {
							ids = append(ids, m.ID)
						}
					}
					now := svc.Clock().Now()
					for _, id := range ids {
						if err := tx.RetryOutbox(ctx, id, now); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d message(s) due again\n", len(ids))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all-failed", false, "retry every failed message")
	return cmd
}
