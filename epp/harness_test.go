package epp_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
	"github.com/eppd/eppd/registry/sqlstore"
)

const (
	acmePW  = epptest.AcmePW
	otherPW = epptest.OtherPW
)

// harness gives the server tests short names for an epptest.Harness.
type harness struct {
	t                         *testing.T
	srv                       *epp.Server
	addr                      string
	svc                       *registry.Service
	store                     *sqlstore.Store
	roots                     *x509.CertPool
	ca                        *devca.CA
	acme, other, stray, unreg tls.Certificate
	mux                       *epp.Mux
	logs                      *epptest.SyncBuffer
}

func newHarness(t *testing.T, dsn string, configure func(*epp.Config)) *harness {
	t.Helper()
	h := epptest.NewHarness(t, epptest.Options{DSN: dsn, Server: configure})
	return &harness{
		t: t, srv: h.Srv, addr: h.Addr, svc: h.Svc, store: h.Store, roots: h.Roots, ca: h.CA,
		acme: h.Acme, other: h.Other, stray: h.Stray, unreg: h.Unreg, mux: h.Mux, logs: h.Logs,
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
