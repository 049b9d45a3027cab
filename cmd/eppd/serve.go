package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/eppd/eppd/billing"
	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/epp/flows"
	"github.com/eppd/eppd/registry"
)

// Development defaults: loopback only, unprivileged ports.
const (
	devListen        = "127.0.0.1:7000"
	devMetricsListen = "127.0.0.1:9700"
	prodListen       = ":700"
	demoClID         = "demo"
	demoPasswordFile = "demo-password"
	// demoOpeningBalance is what the demo reseller is given, in minor
	// units of the price list's currency, when development mode creates
	// it: enough for a hundred creates at the built-in prices.
	demoOpeningBalance = 10000_00
	demoOpeningRef     = "development opening balance"
)

// productionFlags turn development mode off when any of them is given.
var productionFlags = []string{"listen", "tls-cert", "tls-key", "client-ca", "metrics-listen"}

type serveOptions struct {
	listen, metricsListen string
	tlsCert, tlsKey       string
	clientCA              string
	serverID              string
	maxFrame              int
	handshakeTimeout      time.Duration
	loginTimeout          time.Duration
	idleTimeout           time.Duration
	sessionMaxAge         time.Duration
	maxSessions           int
	maxConnections        int
	loginMaxFailures      int
	loginFailureWindow    time.Duration
	drainTimeout          time.Duration
	processEvery          time.Duration
	billingEvery          time.Duration
	deliverEvery          time.Duration
	smtp                  smtpFlags
	devListen, devMetrics string
}

func addServeCmd(root *cobra.Command) {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the EPP server",
		Long: `Run the EPP server.

With none of --listen, --db, --tls-cert, --tls-key, --client-ca or
--metrics-listen given, serve runs in development mode: the embedded
database in the data directory, a development CA with a server certificate
and a "demo" reseller with its client certificate and password, all kept in
the data directory and printed once, listening on ` + devListen + `. The demo
reseller starts with a prepaid balance of 10000.00 (in the price list's
currency, SEK by default), so that it can create domains.

Given any of them, serve runs in production mode: --tls-cert and --tls-key
are required, and nothing is generated.

Reseller-managed domains are paid from their reseller's prepaid balance
(eppd reseller topup, balance, statement), at the prices of the policy
file's "prices" section; resellers read their balance over EPP with
Verisign's balance-1.0. A reseller holding the payer role on a
registrant-managed domain pays the domain's unpaid bill with an EPP renew,
from its prepaid balance.

With --smtp, serve sends the outbox's e-mails (billing notices, reminders)
as they fall due, checking every --deliver-every; several servers on one
PostgreSQL database never send one twice. Without it they stay queued for
"eppd outbox deliver". Letters are always left to "eppd outbox deliver
--letters-dir".

SIGTERM or SIGINT drains the server: no new connections, commands in flight
finish, idle sessions are closed, then the process exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", prodListen, "EPP listen address (production)")
	f.StringVar(&o.metricsListen, "metrics-listen", devMetricsListen, "address of the HTTP listener for /metrics; empty: none")
	f.StringVar(&o.tlsCert, "tls-cert", "", "server certificate chain, PEM")
	f.StringVar(&o.tlsKey, "tls-key", "", "server private key, PEM")
	f.StringVar(&o.clientCA, "client-ca", "", "CA certificates, PEM, against which certificates registered by subject and issuer are verified")
	f.StringVar(&o.serverID, "server-id", "eppd", "the greeting's svID")
	f.IntVar(&o.maxFrame, "max-frame", epp.DefaultMaxFrame, "largest accepted EPP frame, in bytes")
	f.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "time allowed for the TLS handshake")
	f.DurationVar(&o.loginTimeout, "login-timeout", 60*time.Second, "time allowed from connection to login")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 10*time.Minute, "time allowed between commands")
	f.DurationVar(&o.sessionMaxAge, "session-max-age", 24*time.Hour, "longest a session may last")
	f.IntVar(&o.maxSessions, "max-sessions", 10, "concurrent sessions per reseller, unless the reseller has its own cap")
	f.IntVar(&o.maxConnections, "max-connections", 1000, "open connections, logged in or not")
	f.IntVar(&o.loginMaxFailures, "login-max-failures", 10, "failed logins per client ID and address before a lockout")
	f.DurationVar(&o.loginFailureWindow, "login-failure-window", 10*time.Minute, "window in which failed logins are counted; also the lockout's length")
	f.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, how long commands in flight may take before connections are cut")
	f.DurationVar(&o.processEvery, "process-every", time.Minute, "how often the registry's timed work runs (transfer auto-approval, auto-renewal, grace expiry, purge); 0: never (run \"eppd process\" instead)")
	f.DurationVar(&o.billingEvery, "billing-every", time.Hour, "how often the billing run of registrant-managed domains looks for what is due (it does each day's steps once); 0: never (run \"eppd billing run\" instead)")
	f.DurationVar(&o.deliverEvery, "deliver-every", billing.DefaultDeliverEvery, "with --smtp, how often the e-mails that are due are sent; 0: never (run \"eppd outbox deliver\" instead)")
	o.smtp.register(cmd)
	// Development mode's addresses, for running two development servers
	// side by side (and for tests); hidden, since production uses --listen.
	f.StringVar(&o.devListen, "dev-listen", devListen, "EPP address in development mode")
	f.StringVar(&o.devMetrics, "dev-metrics-listen", devMetricsListen, "metrics address in development mode")
	_ = f.MarkHidden("dev-listen")
	_ = f.MarkHidden("dev-metrics-listen")
	root.AddCommand(cmd)
}

func runServe(cmd *cobra.Command, o *serveOptions) error {
	log, err := newLogger(cmd)
	if err != nil {
		return err
	}
	dev := true
	for _, name := range productionFlags {
		if cmd.Flags().Changed(name) {
			dev = false
		}
	}
	if _, given := globalFlag(cmd, flagDB); given || os.Getenv(envDB) != "" {
		dev = false
	}
	listen, metricsListen := o.listen, o.metricsListen
	if dev {
		listen, metricsListen = o.devListen, o.devMetrics
	}
	outboxCfg, err := o.smtp.config(cmd)
	if err != nil {
		return err
	}
	if outboxCfg.Mailer != nil && o.deliverEvery <= 0 {
		return errors.New("--smtp is for serve to send e-mail, which --deliver-every 0 turns off: give one or the other")
	}
	outboxCfg.Logger = log

	store, err := openStore(cmd)
	if err != nil {
		return err
	}
	defer store.Close()

	var (
		serverCert tls.Certificate
		clientCAs  *x509.CertPool
	)
	ctx := commandContext(cmd)
	svcCfg := registry.Config{LoginMaxFailures: o.loginMaxFailures, LoginFailureWindow: o.loginFailureWindow}
	if err := loadPolicy(cmd, &svcCfg); err != nil {
		return err
	}
	ledger, err := newLedger(cmd, store)
	if err != nil {
		return err
	}
	svcCfg.Charger = ledger
	if dev {
		dir, err := devCADir(cmd)
		if err != nil {
			return err
		}
		bundle, _, err := devca.Ensure(dir, time.Now())
		if err != nil {
			return fmt.Errorf("development PKI: %w", err)
		}
		serverCert, clientCAs = bundle.Server, bundle.CA.Pool()
		svcCfg.ClientCAs = clientCAs
		if err := ensureDemoReseller(ctx, cmd, registry.NewService(store, registry.SystemClock{}, svcCfg), ledger, bundle, listen); err != nil {
			return err
		}
	} else {
		if o.tlsCert == "" || o.tlsKey == "" {
			return errors.New("production mode needs --tls-cert and --tls-key (give neither, and no other production flag, for development mode)")
		}
		if serverCert, err = tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
			return fmt.Errorf("server certificate: %w", err)
		}
		if o.clientCA != "" {
			pem, err := os.ReadFile(o.clientCA)
			if err != nil {
				return fmt.Errorf("--client-ca: %w", err)
			}
			clientCAs = x509.NewCertPool()
			if !clientCAs.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--client-ca %s: no PEM certificates found", o.clientCA)
			}
			svcCfg.ClientCAs = clientCAs
		}
	}
	refusals := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eppd_authz_refusals_total",
		Help: "Actions the authorisation policy refused, by action and reason code (registry/AUTHORIZATION.md).",
	}, []string{"action", "reason"})
	svcCfg.OnRefusal = func(action, code string) { refusals.WithLabelValues(action, code).Inc() }
	svc := registry.NewService(store, registry.SystemClock{}, svcCfg)

	// The billing of registrant-managed domains: its run (below), and the
	// payer's renew over EPP that pays a bill.
	var cal billing.CalendarConfig
	if p, path, err := readPolicy(cmd); err != nil {
		return err
	} else if p != nil {
		if err := p.Calendar.Validate(); err != nil {
			return fmt.Errorf("policy %s: calendar: %w", path, err)
		}
		cal = p.Calendar
	}
	biller, err := billing.NewBiller(svc, cal, ledger.Prices(), log)
	if err != nil {
		return err
	}
	var deliverer *billing.Deliverer
	if outboxCfg.Mailer != nil {
		if deliverer, err = billing.NewDeliverer(store, registry.SystemClock{}, outboxCfg); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), refusals)
	srv, err := epp.NewServer(epp.Config{
		TLS:                    &tls.Config{Certificates: []tls.Certificate{serverCert}},
		ServerID:               o.serverID,
		MaxFrame:               o.maxFrame,
		HandshakeTimeout:       o.handshakeTimeout,
		LoginTimeout:           o.loginTimeout,
		IdleTimeout:            o.idleTimeout,
		MaxSessionAge:          o.sessionMaxAge,
		MaxSessionsPerReseller: o.maxSessions,
		MaxConnections:         o.maxConnections,
		Auth:                   svc,
		Mux:                    newMux(svc, ledger, biller),
		Logger:                 log,
		Metrics:                epp.NewMetrics(reg),
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen for EPP: %w", err)
	}
	var metricsSrv *http.Server
	if metricsListen != "" {
		mln, err := net.Listen("tcp", metricsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener failed", "err", err)
			}
		}()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	log.Info("EPP listening", "addr", ln.Addr().String(), "mode", map[bool]string{true: "development", false: "production"}[dev], "database", store.Dialect())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	procCtx, stopProc := context.WithCancel(context.Background())
	procDone, billDone, deliverDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(procDone)
		runProcessing(procCtx, svc, o.processEvery, log)
	}()
	// The billing run of registrant-managed domains: now, then every
	// --billing-every; on PostgreSQL an advisory lock lets one process of
	// several run a day at a time, and a run repeated changes nothing.
	go func() {
		defer close(billDone)
		if o.billingEvery > 0 {
			if err := biller.Loop(procCtx, o.billingEvery); err != nil && procCtx.Err() == nil {
				log.Error("billing run stopped", "err", err)
			}
		}
	}()
	// The outbox's e-mails: now, then every --deliver-every. Each is
	// claimed before it is sent, so processes sharing a database never
	// take the same one.
	switch {
	case deliverer != nil:
		log.Info("sending the outbox's e-mails", "smtp", outboxCfg.Mailer.Addr, "every", o.deliverEvery)
	case o.deliverEvery > 0:
		log.Warn(`no SMTP server configured (--smtp): e-mails stay queued in the outbox until "eppd outbox deliver" sends them`)
	default:
		log.Info(`e-mail delivery is off (--deliver-every 0): e-mails stay queued in the outbox until "eppd outbox deliver" sends them`)
	}
	go func() {
		defer close(deliverDone)
		if deliverer != nil {
			if err := deliverer.Loop(procCtx, o.deliverEvery); err != nil && procCtx.Err() == nil {
				log.Error("e-mail delivery stopped", "err", err)
			}
		}
	}()
	defer func() {
		stopProc()
		<-procDone
		<-billDone
		<-deliverDone
	}()
	select {
	case err := <-served:
		return fmt.Errorf("EPP listener failed: %w", err)
	case <-ctx.Done():
	}
	log.Info("draining: no new connections; waiting for commands in flight", "timeout", o.drainTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), o.drainTimeout)
	defer cancel()
	derr := srv.Shutdown(dctx)
	<-served
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(dctx)
	}
	if derr != nil {
		log.Warn("drain timed out; remaining connections were cut", "err", derr)
	} else {
		log.Info("drained; exiting")
	}
	return nil
}

// newMux is the command router with every service the server implements:
// the object services, the prepaid balance of ledger, and the payer's renew
// that pays a bill of biller from it.
func newMux(svc *registry.Service, ledger *billing.Ledger, biller *billing.Biller) *epp.Mux {
	m := epp.NewMux(epp.NSDomain, epp.NSContact, epp.NSHost)
	flows.Register(m, svc)
	flows.RegisterBalance(m, ledger)
	flows.RegisterBillSettlement(m, svc, biller, ledger)
	return m
}

// ensureDemoReseller creates the development "demo" reseller on first run,
// with a random password, the demo client certificate and an opening
// balance in ledger (demoOpeningBalance), and prints how to connect. Later
// runs only say where the password is.
func ensureDemoReseller(ctx context.Context, cmd *cobra.Command, svc *registry.Service, ledger *billing.Ledger, b *devca.Bundle, listen string) error {
	dir, err := dataDir(cmd)
	if err != nil {
		return err
	}
	pwFile := filepath.Join(dir, demoPasswordFile)
	out := cmd.OutOrStdout()
	_, _, err = svc.Reseller(ctx, demoClID)
	if err == nil {
		fmt.Fprintf(out, "development mode: reseller %q exists; its password is in %s\n", demoClID, pwFile)
		return printConnectHelp(ctx, out, ledger, b, listen, pwFile)
	}
	if !registry.IsKind(err, registry.KindNotFound) {
		return err
	}
	pw, err := randomPassword(16)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		return fmt.Errorf("write demo password: %w", err)
	}
	if _, err := svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{
		ClID: demoClID, Name: "Demo reseller (development mode)", Password: pw,
	}); err != nil {
		return fmt.Errorf("create demo reseller: %w", err)
	}
	if _, err := svc.AddResellerCert(ctx, registry.Operator, demoClID, registry.CertByFingerprint(b.DemoClientLeaf, "development demo certificate")); err != nil {
		return fmt.Errorf("register demo certificate: %w", err)
	}
	opening := billing.Money{Minor: demoOpeningBalance, Currency: ledger.Prices().Currency()}
	if _, err := ledger.TopUp(ctx, registry.Operator, demoClID, opening, demoOpeningRef); err != nil {
		return fmt.Errorf("demo reseller's opening balance: %w", err)
	}
	fmt.Fprintf(out, "development mode: created reseller %q with password %s (kept in %s) and a prepaid balance of %s\n",
		demoClID, pw, pwFile, opening)
	return printConnectHelp(ctx, out, ledger, b, listen, pwFile)
}

// printConnectHelp says how to connect as the demo reseller, and what its
// balance is; "log in as" begins its last line.
func printConnectHelp(ctx context.Context, w io.Writer, ledger *billing.Ledger, b *devca.Bundle, listen, pwFile string) error {
	balance, err := ledger.Balance(ctx, demoClID)
	if err != nil {
		return fmt.Errorf("demo reseller's balance: %w", err)
	}
	host, port, _ := net.SplitHostPort(listen)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	fmt.Fprintf(w, `reseller %q has a prepaid balance of %s: creates, renewals, transfers and restores of
  its domains are charged to it (eppd reseller balance|statement %s; eppd reseller topup %s AMOUNT --reference REF)
connect with the demo client certificate, trusting the development CA:
  openssl s_client -connect %s:%s -CAfile %s -cert %s -key %s
log in as %q with the password in %s
`, demoClID, balance, demoClID, demoClID, host, port, b.Paths.CA, b.Paths.DemoClient, b.Paths.DemoClientKey, demoClID, pwFile)
	return nil
}

// randomPassword returns n characters from a set that is safe in XML and on
// a command line.
func randomPassword(n int) (string, error) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	var b strings.Builder
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		b.WriteByte(alphabet[k.Int64()])
	}
	return b.String(), nil
}

// runProcessing does the registry's timed work every interval until ctx
// ends. Each domain is processed in its own transaction, so several eppd
// processes on one database can run it side by side: a domain another
// process has already handled is no longer due.
func runProcessing(ctx context.Context, svc *registry.Service, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := svc.ProcessDue(ctx, 500)
		if err != nil && ctx.Err() == nil {
			log.Error("timed processing failed for some domains", "err", err, "processed", n)
		} else if n > 0 {
			log.Info("timed processing", "processed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
