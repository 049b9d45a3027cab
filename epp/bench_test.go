package epp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
)

// benchDomainCreate is a typical domain:create: name servers, contacts,
// auth info and a DNSSEC extension, about 1.5 KiB.
var benchDomainCreate = xmlDecl + `
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
  <command>
    <create>
      <domain:create xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
        <domain:name>example-registrant-company.se</domain:name>
        <domain:period unit="y">2</domain:period>
        <domain:ns>
          <domain:hostObj>ns1.example-dns-provider.net</domain:hostObj>
          <domain:hostObj>ns2.example-dns-provider.net</domain:hostObj>
          <domain:hostObj>ns3.example-dns-provider.org</domain:hostObj>
        </domain:ns>
        <domain:registrant>REG-8013-ACME</domain:registrant>
        <domain:contact type="admin">ADM-8013-ACME</domain:contact>
        <domain:contact type="tech">TEC-8013-ACME</domain:contact>
        <domain:contact type="billing">BIL-8013-ACME</domain:contact>
        <domain:authInfo>
          <domain:pw>2fooBAR-s3cret-Auth-Info</domain:pw>
        </domain:authInfo>
      </domain:create>
    </create>
    <extension>
      <secDNS:create xmlns:secDNS="urn:ietf:params:xml:ns:secDNS-1.1">
        <secDNS:maxSigLife>604800</secDNS:maxSigLife>
        <secDNS:dsData>
          <secDNS:keyTag>12345</secDNS:keyTag>
          <secDNS:alg>13</secDNS:alg>
          <secDNS:digestType>2</secDNS:digestType>
          <secDNS:digest>49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE49FD46E6C4B45C55D4AC69CB</secDNS:digest>
        </secDNS:dsData>
        <secDNS:dsData>
          <secDNS:keyTag>54321</secDNS:keyTag>
          <secDNS:alg>13</secDNS:alg>
          <secDNS:digestType>2</secDNS:digestType>
          <secDNS:digest>0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9</secDNS:digest>
        </secDNS:dsData>
      </secDNS:create>
      <rgp:update xmlns:rgp="urn:ietf:params:xml:ns:rgp-1.0">
        <rgp:restore op="request"/>
      </rgp:update>
    </extension>
    <clTRID>ACME-20300102-000123-create</clTRID>
  </command>
</epp>
`

func BenchmarkReadFrame(b *testing.B) {
	var enc bytes.Buffer
	if err := epp.WriteFrame(&enc, []byte(benchDomainCreate)); err != nil {
		b.Fatal(err)
	}
	data := enc.Bytes()
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(data)
		if _, err := epp.ReadFrame(r, epp.DefaultMaxFrame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteFrame(b *testing.B) {
	payload := []byte(benchDomainCreate)
	b.SetBytes(int64(len(payload) + 4))
	b.ReportAllocs()
	for b.Loop() {
		if err := epp.WriteFrame(io.Discard, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name, doc string
	}{
		{"hello", epptest.Hello},
		{"login", epptest.Login("acme", epptest.AcmePW, "ACME-login-000001")},
		{"domain-create-ext", benchDomainCreate},
	} {
		b.Run(bc.name, func(b *testing.B) {
			frame := []byte(bc.doc)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := epp.Parse(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResponseMarshal(b *testing.B) {
	creData := etree.NewElement("resData")
	cd := creData.CreateElement("domain:creData")
	cd.CreateAttr("xmlns:domain", epp.NSDomain)
	cd.CreateElement("domain:name").SetText("example-registrant-company.se")
	cd.CreateElement("domain:crDate").SetText("2030-01-02T03:04:05.6Z")
	cd.CreateElement("domain:exDate").SetText("2032-01-02T03:04:05.6Z")
	bad := etree.NewElement("domain:name")
	bad.CreateAttr("xmlns:domain", epp.NSDomain)
	bad.SetText("bad-.se")
	for _, bc := range []struct {
		name string
		resp func() *epp.Response
	}{
		{"1000", func() *epp.Response { return epp.NewResponse(epp.CodeSuccess, "") }},
		{"domain-creData", func() *epp.Response {
			r := epp.NewResponse(epp.CodeSuccess, "")
			r.ResData = creData
			return r
		}},
		{"msgQ", func() *epp.Response {
			r := epp.NewResponse(epp.CodeSuccessAckToDequeue, "")
			r.MsgQ = &epp.MsgQ{Count: 5, ID: "12345", QDate: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Msg: "Transfer requested."}
			return r
		}},
		{"extValue", func() *epp.Response {
			r := epp.NewResponse(epp.CodeParameterPolicyError, "name refused")
			r.Results[0].Values = []epp.ExtValue{{Value: bad, Reason: "a label may not end with a hyphen"}}
			return r
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			resp := bc.resp()
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, err := resp.Marshal()
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.SetBytes(int64(n))
		})
	}
}

// newProductionHarness is the test harness with the registry's production
// password cost (registry.DefaultPasswordParams, argon2id m=19 MiB, t=2,
// p=1) instead of the cheap test parameters, limits raised so that
// back-to-back sessions never hit them, and logs discarded.
func newProductionHarness(b *testing.B) *epptest.Harness {
	b.Helper()
	return newBenchHarness(b, registry.DefaultPasswordParams, "$argon2id$v=19$m=19456,t=2,p=1$")
}

// newBenchHarness is the test harness with the given password cost; the
// acme reseller's stored hash must begin with wantHash.
func newBenchHarness(b *testing.B, pw registry.PasswordParams, wantHash string) *epptest.Harness {
	b.Helper()
	h := epptest.NewHarness(b, epptest.Options{
		Registry: func(c *registry.Config) { c.Passwords = pw },
		Server: func(c *epp.Config) {
			c.MaxSessionsPerReseller = 10000
			c.MaxConnections = 10000
			c.Logger = slog.New(slog.DiscardHandler)
		},
	})
	// The reseller's stored hash must carry the parameters: they, not the
	// service's current setting, decide what a login costs.
	var hash string
	err := h.Store.Tx(context.Background(), func(tx registry.Tx) error {
		r, err := tx.Reseller(context.Background(), "acme")
		if err == nil {
			hash = r.PasswordHash
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if !strings.HasPrefix(hash, wantHash) {
		b.Fatalf("acme's password hash %q does not begin with %q", hash, wantHash)
	}
	return h
}

// benchConn is a raw client connection: no schema validation, no
// cleanup registered per connection, no TLS session resumption. Its
// methods return errors rather than failing the benchmark, so that
// RunParallel's goroutines can use them.
type benchConn struct {
	conn *tls.Conn
}

func benchDial(h *epptest.Harness) (*benchConn, error) {
	cfg := &tls.Config{
		RootCAs:                h.Roots,
		ServerName:             "localhost",
		Certificates:           []tls.Certificate{h.Acme},
		MinVersion:             tls.VersionTLS12,
		SessionTicketsDisabled: true, // every connection makes a full handshake
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", h.Addr, cfg)
	if err != nil {
		return nil, err
	}
	c := &benchConn{conn: conn}
	if conn.ConnectionState().DidResume {
		conn.Close()
		return nil, errors.New("TLS session resumed")
	}
	g, err := c.read()
	if err == nil && !bytes.Contains(g, []byte("<greeting>")) {
		err = fmt.Errorf("no greeting: %s", g)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *benchConn) read() ([]byte, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	return epp.ReadFrame(c.conn, 1<<20)
}

func (c *benchConn) do(doc []byte, want int) error {
	if err := epp.WriteFrame(c.conn, doc); err != nil {
		return err
	}
	resp, err := c.read()
	if err != nil {
		return err
	}
	if got := epptest.Code(resp); got != want {
		return fmt.Errorf("want %d, got %d:\n%s", want, got, resp)
	}
	return nil
}

// loginOnce is one full session: TLS handshake, greeting, login (1000),
// logout (1500), close.
func loginOnce(h *epptest.Harness, login []byte) error {
	c, err := benchDial(h)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	if err := c.do(login, 1000); err != nil {
		return err
	}
	return c.do([]byte(epptest.Logout), 1500)
}

// logTLS records what the handshake negotiated.
func logTLS(b *testing.B, h *epptest.Harness) {
	b.Helper()
	c, err := benchDial(h)
	if err != nil {
		b.Fatal(err)
	}
	defer c.conn.Close()
	st := c.conn.ConnectionState()
	b.Logf("%s, %s, key exchange %s, server key %T, client key %T", tls.VersionName(st.Version),
		tls.CipherSuiteName(st.CipherSuite), st.CurveID, st.PeerCertificates[0].PublicKey, h.Acme.PrivateKey)
}

func BenchmarkLogin(b *testing.B) {
	h := newProductionHarness(b)
	login := []byte(epptest.Login("acme", epptest.AcmePW, "ACME-login-000001"))
	logTLS(b, h)
	b.ReportAllocs()
	for b.Loop() {
		if err := loginOnce(h, login); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkLoginCheapPassword is BenchmarkLogin with the tests' cheap
// argon2id parameters (m=64 KiB, t=1): everything a login costs but the
// production password check.
func BenchmarkLoginCheapPassword(b *testing.B) {
	h := newBenchHarness(b, epptest.TestPasswords, "$argon2id$v=19$m=64,t=1,p=1$")
	login := []byte(epptest.Login("acme", epptest.AcmePW, "ACME-login-000001"))
	b.ReportAllocs()
	for b.Loop() {
		if err := loginOnce(h, login); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

func BenchmarkLoginParallel(b *testing.B) {
	h := newProductionHarness(b)
	login := []byte(epptest.Login("acme", epptest.AcmePW, "ACME-login-000001"))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := loginOnce(h, login); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkHandshakeOnly is a session without a login: TLS handshake and
// greeting, then close. Against BenchmarkLogin it separates the cost of
// TLS from that of the password check.
func BenchmarkHandshakeOnly(b *testing.B) {
	h := newProductionHarness(b)
	logTLS(b, h)
	b.ReportAllocs()
	for b.Loop() {
		c, err := benchDial(h)
		if err != nil {
			b.Fatal(err)
		}
		c.conn.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}

// BenchmarkPasswordCheck is the argon2id verification a login makes, with
// the production parameters, alone.
func BenchmarkPasswordCheck(b *testing.B) {
	hash, err := registry.HashPassword(epptest.AcmePW, registry.DefaultPasswordParams)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !registry.CheckPassword(hash, epptest.AcmePW) {
			b.Fatal("password does not match")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
