package epp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// testPasswords keep argon2id cheap in tests; production uses
// registry.DefaultPasswordParams.
var testPasswords = registry.PasswordParams{Time: 1, Memory: 64, Threads: 1}

const (
	acmePW  = "acme-secret-1"
	otherPW = "other-secret-1"
)

// harness is a real server on loopback, over a real store, with a
// development PKI and two resellers: "acme" and "other", each with its own
// client certificate.
type harness struct {
	t       *testing.T
	srv     *epp.Server
	addr    string
	svc     *registry.Service
	store   *sqlstore.Store
	roots   *x509.CertPool
	ca      *devca.CA
	acme    tls.Certificate // registered to acme by fingerprint
	other   tls.Certificate // registered to other by fingerprint
	stray   tls.Certificate // issued by a CA the registry does not know
	unreg   tls.Certificate // issued by the registry's CA, registered to nobody
	mux     *epp.Mux
	reg     *prometheus.Registry
	logs    *syncBuffer
	serveCh chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t *testing.T, dsn string, configure func(*epp.Config)) *harness {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if dsn == "" {
		dsn = sqltest.SQLite(t)
	}
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st, logs: &syncBuffer{}, reg: prometheus.NewRegistry()}
	if h.ca, err = devca.NewCA("eppd test CA", now); err != nil {
		t.Fatal(err)
	}
	h.roots = h.ca.Pool()
	h.svc = registry.NewService(st, registry.SystemClock{}, registry.Config{Passwords: testPasswords, ClientCAs: h.ca.Pool()})
	issue := func(ca *devca.CA, cn string) tls.Certificate {
		c, err := ca.Issue(cn, false, nil, now, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	h.acme, h.other, h.unreg = issue(h.ca, "acme"), issue(h.ca, "other"), issue(h.ca, "nobody")
	strayCA, err := devca.NewCA("stray CA", now)
	if err != nil {
		t.Fatal(err)
	}
	h.stray = issue(strayCA, "acme")
	h.addReseller("acme", acmePW, h.acme)
	h.addReseller("other", otherPW, h.other)

	serverCert, err := h.ca.Issue("localhost", true, []string{"localhost", "127.0.0.1"}, now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h.mux = epp.NewMux(epp.NSDomain, epp.NSContact, epp.NSHost)
	cfg := epp.Config{
		TLS:     &tls.Config{Certificates: []tls.Certificate{serverCert}},
		Auth:    h.svc,
		Mux:     h.mux,
		Logger:  slog.New(slog.NewJSONHandler(h.logs, nil)),
		Metrics: epp.NewMetrics(h.reg),
	}
	if configure != nil {
		configure(&cfg)
	}
	if h.srv, err = epp.NewServer(cfg); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	h.serveCh = make(chan error, 1)
	go func() { h.serveCh <- h.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.srv.Shutdown(ctx)
		if err := <-h.serveCh; !errors.Is(err, epp.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return h
}

func (h *harness) addReseller(clID, pw string, cert tls.Certificate) {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: clID, Name: clID + " AB", Password: pw}); err != nil {
		h.t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.AddResellerCert(ctx, registry.Operator, clID, registry.CertByFingerprint(leaf, "test")); err != nil {
		h.t.Fatal(err)
	}
}

// dial connects with cert (nil: no client certificate).
func (h *harness) dial(cert *tls.Certificate) *epptest.Client {
	h.t.Helper()
	return epptest.MustDial(h.t, h.addr, h.roots, cert)
}

// login connects as acme and logs in.
func (h *harness) login() *epptest.Client {
	h.t.Helper()
	c := h.dial(&h.acme)
	if got := epptest.Code(c.Do(epptest.Login("acme", acmePW, "login-1"))); got != 1000 {
		h.t.Fatalf("login: got %d, want 1000", got)
	}
	return c
}

// expectClosed asserts that the server closes the connection without
// sending anything more.
func expectClosed(t *testing.T, c *epptest.Client) {
	t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := epp.ReadFrame(c.Conn, 1<<20)
	if err == nil {
		t.Fatalf("expected the connection to be closed, got a frame:\n%s", b)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after 5s")
	}
}

func mustPrefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}
