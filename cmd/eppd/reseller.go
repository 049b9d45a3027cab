package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/registry"
)

func newResellerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reseller",
		Short: "Manage resellers, the registrars that log in over EPP",
		Long: `Manage resellers, the registrars that log in over EPP.

A reseller logs in with its client identifier (clID), its password and a
client certificate registered to it. Passwords are read from a file or from
standard input, never from the command line, where other users of the machine
could see them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newResellerCreateCmd(),
		newResellerListCmd(),
		newResellerShowCmd(),
		newResellerPasswdCmd(),
		newResellerCertCmd(),
		newResellerStatusCmd("suspend", "Stop a reseller from logging in", registry.ResellerSuspended),
		newResellerStatusCmd("resume", "Let a suspended reseller log in again", registry.ResellerActive),
		newResellerAccessCmd(),
		newResellerHistoryCmd(),
		newResellerModelCmd(),
	)
	cmd.AddCommand(newResellerBillingCmds()...)
	return cmd
}

// withService opens the store and runs fn with the registry service over
// it.
func withService(cmd *cobra.Command, fn func(ctx context.Context, svc *registry.Service) error) error {
	st, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := newService(cmd, st)
	if err != nil {
		return err
	}
	return fn(commandContext(cmd), svc)
}

// passwordFlags are the two ways a command takes a password.
type passwordFlags struct {
	file  string
	stdin bool
}

func (p *passwordFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&p.file, "password-file", "", "read the "+what+" from `FILE` (one trailing newline is ignored)")
	cmd.Flags().BoolVar(&p.stdin, "password-stdin", false, "read the "+what+" from standard input (one trailing newline is ignored)")
}

// maxPasswordInput bounds what is read looking for a password; EPP
// passwords have at most 16 characters.
const maxPasswordInput = 4096

// read returns the password from the file or standard input, less one
// trailing newline.
func (p *passwordFlags) read(cmd *cobra.Command) (string, error) {
	var (
		r      io.Reader
		source string
	)
	switch {
	case p.file != "" && p.stdin:
		return "", errors.New("give either --password-file or --password-stdin, not both")
	case p.file != "":
		f, err := os.Open(p.file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		r, source = f, "password file "+p.file
	case p.stdin:
		r, source = cmd.InOrStdin(), "standard input"
	default:
		return "", errors.New("no password given: use --password-file FILE or --password-stdin (passwords are never taken on the command line)")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPasswordInput+1))
	if err != nil {
		return "", fmt.Errorf("read password from %s: %w", source, err)
	}
	if len(data) > maxPasswordInput {
		return "", fmt.Errorf("the password in %s is too long", source)
	}
	pw := string(data)
	if s, ok := strings.CutSuffix(pw, "\n"); ok {
		pw = strings.TrimSuffix(s, "\r")
	}
	if pw == "" {
		return "", fmt.Errorf("the password in %s is empty", source)
	}
	return pw, nil
}

// parseNets parses allow-list entries: CIDR prefixes, or single addresses
// taken as /32 or /128. Host bits are cleared.
func parseNets(vals []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		return nil, fmt.Errorf("--allow %q is neither an IP network in CIDR notation (such as 192.0.2.0/24) nor an IP address", v)
	}
	return out, nil
}

func formatNets(nets []netip.Prefix) string {
	if len(nets) == 0 {
		return "any"
	}
	s := make([]string, len(nets))
	for i, p := range nets {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func formatMaxSessions(n int) string {
	if n == 0 {
		return "default"
	}
	return strconv.Itoa(n)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newResellerCreateCmd() *cobra.Command {
	var (
		n     registry.NewReseller
		allow []string
		pw    passwordFlags
	)
	cmd := &cobra.Command{
		Use:   "create CLID --name NAME (--password-file FILE | --password-stdin)",
		Short: "Create a reseller",
		Long: `Create an active reseller with client identifier CLID.

CLID is what the reseller logs in with: 3 to 16 letters, digits, '.', '_' or
'-', starting with a letter or digit. The password (6 to 16 characters) is
read from --password-file or standard input. Before it can log in, the
reseller also needs a client certificate: see "eppd reseller cert add".`,
		Example: `  printf '%s' "$PASSWORD" | eppd reseller create acme --name "Acme Ltd" --password-stdin
  eppd reseller create acme --name "Acme Ltd" --email ops@acme.example \
      --allow 192.0.2.0/24 --max-sessions 4 --password-file acme.pw`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n.ClID = args[0]
			if !cmd.Flags().Changed("name") {
				return errors.New("--name is required: the reseller's name, such as --name \"Acme Ltd\"")
			}
			var err error
			if n.AllowedNets, err = parseNets(allow); err != nil {
				return err
			}
			if n.Password, err = pw.read(cmd); err != nil {
				return err
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				r, err := svc.CreateReseller(ctx, registry.Operator, n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created reseller %q (%s)\n", r.ClID, r.Status)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&n.Name, "name", "", "the reseller's name (required)")
	f.StringVar(&n.Email, "email", "", "where the registry writes to the reseller")
	f.StringSliceVar(&allow, "allow", nil, "only allow logins from `CIDR` (repeatable; default: from anywhere)")
	f.IntVar(&n.MaxSessions, "max-sessions", 0, "most concurrent EPP sessions (0: the server's default)")
	pw.register(cmd, "reseller's password")
	return cmd
}

func newResellerListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the resellers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				rs, err := svc.Resellers(ctx)
				if err != nil {
					return err
				}
				if len(rs) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), `no resellers yet: add one with "eppd reseller create"`)
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "CLID\tNAME\tSTATUS\tCERTS\tMAX SESSIONS\tALLOWED NETS")
				for _, r := range rs {
					_, certs, err := svc.Reseller(ctx, r.ClID)
					if err != nil {
						return err
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", r.ClID, r.Name, r.Status, len(certs),
						formatMaxSessions(r.MaxSessions), formatNets(r.AllowedNets))
				}
				return w.Flush()
			})
		},
	}
}

func newResellerShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show CLID",
		Short: "Show a reseller and its certificates",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				r, certs, err := svc.Reseller(ctx, args[0])
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				maxSessions := formatMaxSessions(r.MaxSessions)
				if r.MaxSessions == 0 {
					maxSessions = "server default"
				}
				for _, kv := range [][2]string{
					{"clID", r.ClID},
					{"name", r.Name},
					{"email", orDash(r.Email)},
					{"status", string(r.Status)},
					{"max sessions", maxSessions},
					{"allowed nets", formatNets(r.AllowedNets)},
					{"new domains", describeModel(r.DefaultModel)},
					{"created", formatTime(r.CreatedAt)},
					{"updated", formatTime(r.UpdatedAt)},
					{"certificates", strconv.Itoa(len(certs))},
				} {
					fmt.Fprintf(w, "%s:\t%s\n", kv[0], kv[1])
				}
				if err := w.Flush(); err != nil {
					return err
				}
				if len(certs) > 0 {
					fmt.Fprintln(out)
					return writeCerts(out, certs)
				}
				return nil
			})
		},
	}
}

// writeCerts prints certificates as a table.
func writeCerts(out io.Writer, certs []registry.ResellerCert) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tMATCH\tFINGERPRINT (SHA-256)\tSUBJECT\tISSUER\tNOT AFTER\tNOTE")
	for _, c := range certs {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Match, orDash(c.Fingerprint),
			orDash(c.Subject), orDash(c.Issuer), formatTime(c.NotAfter), orDash(c.Note))
	}
	return w.Flush()
}

func newResellerPasswdCmd() *cobra.Command {
	var pw passwordFlags
	cmd := &cobra.Command{
		Use:   "passwd CLID (--password-file FILE | --password-stdin)",
		Short: "Set a reseller's EPP password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := pw.read(cmd)
			if err != nil {
				return err
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				if err := svc.SetResellerPassword(ctx, registry.Operator, args[0], p); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "password of reseller %q changed\n", args[0])
				return nil
			})
		},
	}
	pw.register(cmd, "new password")
	return cmd
}

func newResellerStatusCmd(name, short string, st registry.ResellerStatus) *cobra.Command {
	return &cobra.Command{
		Use:   name + " CLID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				if err := svc.SetResellerStatus(ctx, registry.Operator, args[0], st); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "reseller %q is now %s\n", args[0], st)
				return nil
			})
		},
	}
}

func newResellerAccessCmd() *cobra.Command {
	var (
		allow       []string
		clearAllow  bool
		maxSessions int
	)
	cmd := &cobra.Command{
		Use:   "access CLID [--allow CIDR]... [--clear-allow] [--max-sessions N]",
		Short: "Change where a reseller may log in from and how many sessions it may hold",
		Long: `Change a reseller's access limits. --allow replaces the list of networks
logins are allowed from; --clear-allow empties it, allowing logins from
anywhere. --max-sessions caps concurrent EPP sessions (0: the server's
default). Limits not mentioned stay as they are.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var acc registry.ResellerAccess
			allowGiven := cmd.Flags().Changed("allow")
			switch {
			case allowGiven && clearAllow:
				return errors.New("give either --allow or --clear-allow, not both")
			case allowGiven:
				nets, err := parseNets(allow)
				if err != nil {
					return err
				}
				if len(nets) == 0 {
					return errors.New("--allow needs a network; use --clear-allow to allow logins from anywhere")
				}
				acc.AllowedNets = &nets
			case clearAllow:
				acc.AllowedNets = &[]netip.Prefix{}
			}
			if cmd.Flags().Changed("max-sessions") {
				acc.MaxSessions = &maxSessions
			}
			if acc.AllowedNets == nil && acc.MaxSessions == nil {
				return errors.New("nothing to change: give --allow, --clear-allow or --max-sessions")
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				r, err := svc.SetResellerAccess(ctx, registry.Operator, args[0], acc)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "reseller %q: allowed nets %s, max sessions %s\n",
					r.ClID, formatNets(r.AllowedNets), formatMaxSessions(r.MaxSessions))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&allow, "allow", nil, "allow logins only from `CIDR` (repeatable; replaces the list)")
	f.BoolVar(&clearAllow, "clear-allow", false, "allow logins from anywhere")
	f.IntVar(&maxSessions, "max-sessions", 0, "most concurrent EPP sessions (0: the server's default)")
	return cmd
}

func newResellerHistoryCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "history CLID",
		Short: "Show every change made to a reseller, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				hs, err := svc.History(ctx, registry.HistoryReseller, args[0])
				if err != nil {
					return err
				}
				if len(hs) == 0 {
					if _, _, err := svc.Reseller(ctx, args[0]); err != nil {
						return err
					}
				}
				return printHistory(cmd.OutOrStdout(), hs)
			})
		},
	}
}

func newResellerCertCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Manage the client certificates a reseller logs in with",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCertAddCmd(), newCertRemoveCmd(), newCertListCmd(), newCertIssueCmd())
	return cmd
}

func newCertAddCmd() *cobra.Command {
	var file, note, fingerprint, subject, issuer string
	cmd := &cobra.Command{
		Use:   "add CLID (--file CERT.pem | --fingerprint HEX | --subject DN --issuer DN) [--note TEXT]",
		Short: "Register a client certificate to a reseller",
		Long: `Register a client certificate to a reseller. It is recognised at login either
by its SHA-256 fingerprint (--file, which takes the first certificate of a PEM
file, or --fingerprint), or by its subject and issuer distinguished names
(--subject and --issuer, RFC 2253 form), which also requires the chain to
verify against the server's client CA.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			modes := 0
			for _, set := range []bool{file != "", fingerprint != "", subject != "" || issuer != ""} {
				if set {
					modes++
				}
			}
			if modes != 1 {
				return errors.New("give exactly one of --file, --fingerprint, or --subject with --issuer")
			}
			var c registry.ResellerCert
			switch {
			case file != "":
				certs, err := devca.LoadCertificates(file)
				if err != nil {
					return fmt.Errorf("certificate file %s: %w", file, err)
				}
				c = registry.CertByFingerprint(certs[0], note)
			case fingerprint != "":
				c = registry.ResellerCert{Match: registry.MatchFingerprint, Fingerprint: fingerprint, Note: note}
			default:
				if subject == "" || issuer == "" {
					return errors.New("--subject and --issuer go together: a certificate is matched by both")
				}
				c = registry.ResellerCert{Match: registry.MatchSubject, Subject: subject, Issuer: issuer, Note: note}
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				added, err := svc.AddResellerCert(ctx, registry.Operator, args[0], c)
				if err != nil {
					return err
				}
				printAddedCert(cmd.OutOrStdout(), args[0], added)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "register the first certificate of this PEM `FILE` by its fingerprint")
	f.StringVar(&fingerprint, "fingerprint", "", "register by SHA-256 fingerprint (`HEX`, colons allowed)")
	f.StringVar(&subject, "subject", "", "register by subject `DN` (with --issuer)")
	f.StringVar(&issuer, "issuer", "", "issuer `DN` of a certificate registered by subject")
	f.StringVar(&note, "note", "", "a note for the operator, such as where the certificate is used")
	return cmd
}

func printAddedCert(out io.Writer, clID string, c *registry.ResellerCert) {
	fmt.Fprintf(out, "registered certificate %d to reseller %q, matched by %s\n", c.ID, clID, c.Match)
	if c.Fingerprint != "" {
		fmt.Fprintf(out, "  fingerprint: sha256:%s\n", c.Fingerprint)
	}
	if c.Subject != "" {
		fmt.Fprintf(out, "  subject:     %s\n", c.Subject)
	}
	if c.Issuer != "" {
		fmt.Fprintf(out, "  issuer:      %s\n", c.Issuer)
	}
	if !c.NotAfter.IsZero() {
		fmt.Fprintf(out, "  not after:   %s\n", formatTime(c.NotAfter))
	}
}

func newCertRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "remove CLID CERT_ID",
		Aliases: []string{"rm"},
		Short:   "Remove one of a reseller's certificates (IDs: \"eppd reseller cert list\")",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clID := args[0]
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("certificate ID %q is not a positive number (see \"eppd reseller cert list %s\")", args[1], clID)
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				_, certs, err := svc.Reseller(ctx, clID)
				if err != nil {
					return err
				}
				if !hasCert(certs, id) {
					return fmt.Errorf("reseller %q has no certificate %d (see \"eppd reseller cert list %s\")", clID, id, clID)
				}
				if err := svc.RemoveResellerCert(ctx, registry.Operator, clID, id); err != nil {
					if registry.IsKind(err, registry.KindNotFound) {
						return fmt.Errorf("reseller %q has no certificate %d", clID, id)
					}
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed certificate %d from reseller %q\n", id, clID)
				return nil
			})
		},
	}
}

func hasCert(certs []registry.ResellerCert, id int64) bool {
	for _, c := range certs {
		if c.ID == id {
			return true
		}
	}
	return false
}

func newCertListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list CLID",
		Aliases: []string{"ls"},
		Short:   "List a reseller's certificates",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				_, certs, err := svc.Reseller(ctx, args[0])
				if err != nil {
					return err
				}
				if len(certs) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "reseller %q has no certificates: add one with \"eppd reseller cert add\"\n", args[0])
					return nil
				}
				return writeCerts(cmd.OutOrStdout(), certs)
			})
		},
	}
}

func newCertIssueCmd() *cobra.Command {
	var cn string
	cmd := &cobra.Command{
		Use:   "issue CLID [--cn NAME]",
		Short: "Issue a client certificate from the development CA and register it (development only)",
		Long: `Issue a client certificate from the development CA kept in <data-dir>/` + devCADirName + `
(made if missing) and register it to the reseller by fingerprint. The
certificate and its key are written next to the CA as <NAME>-client.pem and
<NAME>-client-key.pem.

The development CA is for trying eppd out and for tests: in production,
resellers bring certificates from a real CA and you register them with
"eppd reseller cert add".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clID := args[0]
			if cn == "" {
				cn = clID
			}
			dir, err := devCADir(cmd)
			if err != nil {
				return err
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				// Fail on an unknown reseller before writing any file.
				if _, _, err := svc.Reseller(ctx, clID); err != nil {
					return err
				}
				certPath, keyPath, err := devca.IssueClient(dir, cn, svc.Clock().Now())
				if err != nil {
					return err
				}
				certs, err := devca.LoadCertificates(certPath)
				if err != nil {
					return err
				}
				added, err := svc.AddResellerCert(ctx, registry.Operator, clID,
					registry.CertByFingerprint(certs[0], "issued by the development CA"))
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "issued %s\n  key:         %s\n", certPath, keyPath)
				printAddedCert(out, clID, added)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&cn, "cn", "", "the certificate's common name (default: CLID)")
	return cmd
}

// printHistory writes history entries as a table, oldest first.
func printHistory(out io.Writer, hs []registry.HistoryEntry) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tACTION\tACTOR\tSTATE")
	for _, h := range hs {
		actor := h.Actor
		if h.ClTRID != "" {
			actor += " (clTRID " + h.ClTRID + ")"
		}
		if h.SvTRID != "" {
			actor += " (svTRID " + h.SvTRID + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", formatTime(h.At), h.Action, actor, h.State)
	}
	return w.Flush()
}

// newResellerModelCmd sets the management model of the domains a reseller
// creates without naming one.
func newResellerModelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "model CLID registrant|reseller|default",
		Short: "Set the management model of the domains a reseller creates without naming one",
		Long: `Set the management model of the domains a reseller creates over EPP without
naming one in the reseller extension: "reseller" (reseller-managed, with the
registrant's consent recorded), "registrant" (registrant-managed, held by the
registrant's customer account), or "default" for the registry's default
(reseller-managed).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clID := args[0]
			var m registry.Model
			switch v := strings.ToLower(strings.TrimSpace(args[1])); v {
			case "default":
			case string(registry.ModelRegistrant), string(registry.ModelReseller):
				m = registry.Model(v)
			default:
				return fmt.Errorf("management model %q: want registrant, reseller or default", args[1])
			}
			return withService(cmd, func(ctx context.Context, svc *registry.Service) error {
				if err := svc.SetResellerDefaultModel(ctx, registry.Operator, clID, m); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "reseller %q: the domains it creates without naming a model are %s\n",
					clID, describeModel(m))
				return nil
			})
		},
	}
}

// describeModel says what domains a default model gives.
func describeModel(m registry.Model) string {
	switch m {
	case registry.ModelRegistrant:
		return "registrant-managed"
	case registry.ModelReseller:
		return "reseller-managed"
	default:
		return "reseller-managed (the registry's default)"
	}
}
