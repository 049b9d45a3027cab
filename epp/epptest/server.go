package epptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// TestPasswords keep argon2id cheap in tests; production uses
// registry.DefaultPasswordParams.
var TestPasswords = registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}

// Passwords of the harness's resellers.
const (
	AcmePW  = "acme-secret-1"
	OtherPW = "other-secret-1"
)

// Clock is a clock for tests that moves only when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Options adjust a Harness before it starts.
type Options struct {
	// DSN is the store: "" for a fresh SQLite file, or a DSN such as
	// sqltest.Postgres(t).
	DSN string
	// Clock is the registry's clock (default the system clock). The
	// server's session timeouts always run on real time.
	Clock registry.Clock
	// Registry adjusts the registry's configuration.
	Registry func(*registry.Config)
	// Server adjusts the server's configuration.
	Server func(*epp.Config)
	// Register adds handlers to the mux, given the service.
	Register func(m *epp.Mux, svc *registry.Service)
}

// Harness is a real server on loopback over a real store, with a
// development PKI and two resellers, "acme" and "other", each with its own
// client certificate.
type Harness struct {
	T     testing.TB
	Srv   *epp.Server
	Addr  string
	Svc   *registry.Service
	Store *sqlstore.Store
	Roots *x509.CertPool
	CA    *devca.CA
	// Acme and Other are registered to their resellers by fingerprint;
	// Stray is issued by a CA the registry does not know; Unreg by the
	// registry's CA but registered to nobody.
	Acme, Other, Stray, Unreg tls.Certificate
	Mux                       *epp.Mux
	Reg                       *prometheus.Registry
	Logs                      *SyncBuffer
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// NewHarness starts a server; it stops when the test ends.
func NewHarness(t testing.TB, o Options) *Harness {
	t.Helper()
	ctx := context.Background()
	// Certificates are valid from a year back for twenty years (as far as
	// the CA allows), so that tests may move the registry's clock.
	now := time.Now().AddDate(-1, 0, 0)
	dsn := o.DSN
	if dsn == "" {
		dsn = sqltest.SQLite(t)
	}
	clock := o.Clock
	if clock == nil {
		clock = registry.SystemClock{}
	}
	st, err := sqlstore.Open(ctx, dsn, sqlstore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := &Harness{T: t, Store: st, Logs: &SyncBuffer{}, Reg: prometheus.NewRegistry()}
	if h.CA, err = devca.NewCA("eppd test CA", now); err != nil {
		t.Fatal(err)
	}
	h.Roots = h.CA.Pool()
	rcfg := registry.Config{Passwords: TestPasswords, ClientCAs: h.CA.Pool()}
	if o.Registry != nil {
		o.Registry(&rcfg)
	}
	h.Svc = registry.NewService(st, clock, rcfg)
	issue := func(ca *devca.CA, cn string) tls.Certificate {
		c, err := ca.Issue(cn, false, nil, now, 20*365*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	h.Acme, h.Other, h.Unreg = issue(h.CA, "acme"), issue(h.CA, "other"), issue(h.CA, "nobody")
	strayCA, err := devca.NewCA("stray CA", now)
	if err != nil {
		t.Fatal(err)
	}
	h.Stray = issue(strayCA, "acme")
	h.AddReseller("acme", AcmePW, h.Acme)
	h.AddReseller("other", OtherPW, h.Other)

	serverCert, err := h.CA.Issue("localhost", true, []string{"localhost", "127.0.0.1"}, now, 20*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h.Mux = epp.NewMux(epp.NSDomain, epp.NSContact, epp.NSHost)
	if o.Register != nil {
		o.Register(h.Mux, h.Svc)
	}
	cfg := epp.Config{
		TLS:     &tls.Config{Certificates: []tls.Certificate{serverCert}},
		Auth:    h.Svc,
		Mux:     h.Mux,
		Clock:   clock,
		Logger:  slog.New(slog.NewJSONHandler(h.Logs, nil)),
		Metrics: epp.NewMetrics(h.Reg),
	}
	if o.Server != nil {
		o.Server(&cfg)
	}
	if h.Srv, err = epp.NewServer(cfg); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.Addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- h.Srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Srv.Shutdown(ctx)
		if err := <-served; !errors.Is(err, epp.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return h
}

// AddReseller creates a reseller with the password and registers cert to
// it by fingerprint.
func (h *Harness) AddReseller(clID, pw string, cert tls.Certificate) {
	h.T.Helper()
	ctx := context.Background()
	if _, err := h.Svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: clID, Name: clID + " AB", Password: pw}); err != nil {
		h.T.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		h.T.Fatal(err)
	}
	if _, err := h.Svc.AddResellerCert(ctx, registry.Operator, clID, registry.CertByFingerprint(leaf, "test")); err != nil {
		h.T.Fatal(err)
	}
}

// Dial connects with cert (nil: no client certificate).
func (h *Harness) Dial(cert *tls.Certificate) *Client {
	h.T.Helper()
	return MustDial(h.T, h.Addr, h.Roots, cert)
}

// Login connects as clID ("acme" or "other") and logs in.
func (h *Harness) Login(clID string) *Client {
	h.T.Helper()
	cert, pw := &h.Acme, AcmePW
	if clID == "other" {
		cert, pw = &h.Other, OtherPW
	}
	c := h.Dial(cert)
	if got := Code(c.Do(Login(clID, pw, "login-1"))); got != 1000 {
		h.T.Fatalf("login as %s: got %d, want 1000", clID, got)
	}
	return c
}
