package epp_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
	"github.com/eppd/eppd/epp/devca"
	"github.com/eppd/eppd/epp/epptest"
	"github.com/eppd/eppd/registry"
)

func TestGreeting(t *testing.T) {
	h := newHarness(t, "", nil)
	c := h.dial(&h.acme)
	g := string(c.Greeting)
	assert.Contains(t, g, "<svID>eppd</svID>")
	assert.Contains(t, g, "<version>1.0</version>")
	assert.Contains(t, g, "<lang>en</lang>")
	for _, uri := range []string{epp.NSDomain, epp.NSContact, epp.NSHost} {
		assert.Contains(t, g, "<objURI>"+uri+"</objURI>")
	}
	assert.Contains(t, g, "<dcp>")
	// epp-02: svDate within 30 seconds of now.
	m := regexp.MustCompile(`<svDate>([^<]+)</svDate>`).FindStringSubmatch(g)
	require.NotNil(t, m)
	sv, err := time.Parse(time.RFC3339Nano, m[1])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), sv, 30*time.Second)

	// hello before login, and after: a greeting each time.
	assert.Contains(t, string(c.Do(epptest.Hello)), "<greeting>")
	require.Equal(t, 1000, epptest.Code(c.Do(epptest.Login("acme", acmePW, "abc-1"))))
	assert.Contains(t, string(c.Do(epptest.Hello)), "<greeting>")
	assert.Equal(t, 1500, epptest.Code(c.Do(epptest.Logout)))
	expectClosed(t, c)
}

// TestLoginEPP03 is ICANN RST case epp-03, the six authentication cases.
func TestLoginEPP03(t *testing.T) {
	h := newHarness(t, "", nil)
	cases := []struct {
		name       string
		cert       *tls.Certificate
		clID, pw   string
		want       int
		wantReason string
	}{
		{"unknown client ID", &h.acme, "nosuch9f3a2c", acmePW, 2200, "invalid client identifier or password"},
		{"wrong password", &h.acme, "acme", "wrong-pass-1", 2200, "invalid client identifier or password"},
		{"incorrect certificate", &h.stray, "acme", acmePW, 2200, "not registered"},
		{"certificate of another registrar", &h.other, "acme", acmePW, 2200, "not registered"},
		{"no client certificate", nil, "acme", acmePW, 2200, "client certificate is required"},
		{"valid", &h.acme, "acme", acmePW, 1000, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(tc.cert)
			resp := c.Do(epptest.Login(tc.clID, tc.pw, "rst-epp03"))
			assert.Equal(t, tc.want, epptest.Code(resp), "%s", resp)
			assert.Contains(t, string(resp), tc.wantReason)
			assert.Contains(t, string(resp), "<clTRID>rst-epp03</clTRID>")
		})
	}
	assert.Equal(t, 5.0, testutil.ToFloat64(h.srv.Metrics().LoginFailures.WithLabelValues("authentication")))
}

func TestLoginBySubjectAndIssuer(t *testing.T) {
	h := newHarness(t, "", nil)
	ctx := context.Background()
	ca, err := h.ca.Issue("subject-client", false, nil, time.Now(), time.Hour)
	require.NoError(t, err)
	_, err = h.svc.CreateReseller(ctx, registry.Operator, registry.NewReseller{ClID: "subj", Name: "Subject AB", Password: "subj-secret"})
	require.NoError(t, err)
	leaf := ca.Leaf
	_, err = h.svc.AddResellerCert(ctx, registry.Operator, "subj", registry.ResellerCert{
		Match: registry.MatchSubject, Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
	})
	require.NoError(t, err)
	c := h.dial(&ca)
	assert.Equal(t, 1000, epptest.Code(c.Do(epptest.Login("subj", "subj-secret", "s-1"))))

	// A certificate with the same subject and issuer names from a CA the
	// registry does not trust does not match.
	strayCA, err := devca.NewCA(leaf.Issuer.CommonName, time.Now())
	require.NoError(t, err)
	lookalike, err := strayCA.Issue("subject-client", false, nil, time.Now(), time.Hour)
	require.NoError(t, err)
	require.Equal(t, leaf.Subject.String(), lookalike.Leaf.Subject.String())
	require.Equal(t, leaf.Issuer.String(), lookalike.Leaf.Issuer.String())
	c2 := h.dial(&lookalike)
	resp := c2.Do(epptest.Login("subj", "subj-secret", "s-2"))
	assert.Equal(t, 2200, epptest.Code(resp), "%s", resp)
}

func TestLoginRules(t *testing.T) {
	h := newHarness(t, "", nil)
	cases := []struct {
		name string
		doc  string
		want int
	}{
		{"version 2.0", strings.Replace(epptest.Login("acme", acmePW, "r-1"), "<version>1.0</version>", "<version>2.0</version>", 1), 2100},
		{"lang sv", strings.Replace(epptest.Login("acme", acmePW, "r-1"), "<lang>en</lang>", "<lang>sv</lang>", 1), 2102},
		{"unknown objURI", strings.Replace(epptest.Login("acme", acmePW, "r-1"), "</svcs>", "<objURI>urn:example:widget-1.0</objURI></svcs>", 1), 2307},
		{"unknown extURI", strings.Replace(epptest.Login("acme", acmePW, "r-1"), "</svcs>", "<svcExtension><extURI>urn:example:ext-1.0</extURI></svcExtension></svcs>", 1), 2103},
		{"missing pw", strings.Replace(epptest.Login("acme", acmePW, "r-1"), "<pw>"+acmePW+"</pw>", "", 1), 2001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(&h.acme)
			resp := c.Do(tc.doc)
			assert.Equal(t, tc.want, epptest.Code(resp), "%s", resp)
		})
	}

	t.Run("second login", func(t *testing.T) {
		c := h.login()
		assert.Equal(t, 2002, epptest.Code(c.Do(epptest.Login("acme", acmePW, "again"))))
	})
	t.Run("logout before login", func(t *testing.T) {
		c := h.dial(&h.acme)
		assert.Equal(t, 2002, epptest.Code(c.Do(epptest.Logout)))
	})
	t.Run("command before login", func(t *testing.T) {
		c := h.dial(&h.acme)
		resp := c.Do(domainInfo("example.se", "pre-1"))
		assert.Equal(t, 2002, epptest.Code(resp))
		assert.Contains(t, string(resp), "<clTRID>pre-1</clTRID>")
	})
	t.Run("suspended", func(t *testing.T) {
		require.NoError(t, h.svc.SetResellerStatus(context.Background(), registry.Operator, "other", registry.ResellerSuspended))
		defer h.svc.SetResellerStatus(context.Background(), registry.Operator, "other", registry.ResellerActive)
		c := h.dial(&h.other)
		resp := c.Do(epptest.Login("other", otherPW, "susp-1"))
		assert.Equal(t, 2201, epptest.Code(resp))
		assert.Contains(t, string(resp), "suspended")
	})
	t.Run("address not allowed", func(t *testing.T) {
		nets := mustPrefixes(t, "192.0.2.0/24")
		_, err := h.svc.SetResellerAccess(context.Background(), registry.Operator, "other", registry.ResellerAccess{AllowedNets: &nets})
		require.NoError(t, err)
		c := h.dial(&h.other)
		assert.Equal(t, 2201, epptest.Code(c.Do(epptest.Login("other", otherPW, "net-1"))))
		nets = mustPrefixes(t, "192.0.2.0/24", "127.0.0.0/8")
		_, err = h.svc.SetResellerAccess(context.Background(), registry.Operator, "other", registry.ResellerAccess{AllowedNets: &nets})
		require.NoError(t, err)
		c = h.dial(&h.other)
		assert.Equal(t, 1000, epptest.Code(c.Do(epptest.Login("other", otherPW, "net-2"))))
	})
}

func TestLoginNewPassword(t *testing.T) {
	h := newHarness(t, "", nil)
	withNew := func(pw, newPW string) string {
		return strings.Replace(epptest.Login("acme", pw, "np-1"), "</pw>", "</pw><newPW>"+newPW+"</newPW>", 1)
	}
	c := h.dial(&h.acme)
	assert.Equal(t, 2005, epptest.Code(c.Do(withNew(acmePW, "short"))), "a new password shorter than 6 is refused")
	assert.Equal(t, 1000, epptest.Code(c.Do(withNew(acmePW, "brand-new-pw"))))
	c2 := h.dial(&h.acme)
	assert.Equal(t, 2200, epptest.Code(c2.Do(epptest.Login("acme", acmePW, "np-2"))), "old password no longer works")
	assert.Equal(t, 1000, epptest.Code(c2.Do(epptest.Login("acme", "brand-new-pw", "np-3"))))
	hist, err := h.svc.History(context.Background(), registry.HistoryReseller, "acme")
	require.NoError(t, err)
	last := hist[len(hist)-1]
	assert.Equal(t, "passwd", last.Action)
	assert.Equal(t, "reseller:acme", last.Actor)
	assert.Equal(t, "np-1", last.ClTRID)
	assert.NotEmpty(t, last.SvTRID)
	assert.NotContains(t, string(last.State), "brand-new-pw")
}

func TestLoginLockout(t *testing.T) {
	h := newHarness(t, "", func(c *epp.Config) {})
	c := h.dial(&h.acme)
	for i := 0; i < 10; i++ {
		require.Equal(t, 2200, epptest.Code(c.Do(epptest.Login("acme", "wrong-pass", fmt.Sprintf("lk-%d", i)))))
	}
	resp := c.Do(epptest.Login("acme", acmePW, "lk-right"))
	assert.Equal(t, 2501, epptest.Code(resp), "the right password does not bypass a lockout: %s", resp)
	expectClosed(t, c)
	// Another reseller from the same address is not locked out.
	c2 := h.dial(&h.other)
	assert.Equal(t, 1000, epptest.Code(c2.Do(epptest.Login("other", otherPW, "lk-other"))))
}

func TestCommandErrors(t *testing.T) {
	h := newHarness(t, "", nil)
	c := h.login()
	cases := []struct {
		name, doc string
		want      int
		clTRID    string
	}{
		{"malformed XML", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info>`, 2001, ""},
		{"not EPP", `<foo/>`, 2001, ""},
		{"XXE", `<?xml version="1.0"?><!DOCTYPE epp [<!ENTITY x SYSTEM "file:///etc/passwd">]><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info><domain:info xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>&x;</domain:name></domain:info></info><clTRID>xxe-1</clTRID></command></epp>`, 2001, ""},
		{"unknown command", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><frobnicate/><clTRID>unk-1</clTRID></command></epp>`, 2000, "unk-1"},
		{"unknown top element", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><extension><x xmlns="urn:example"/></extension></epp>`, 2000, ""},
		{"unknown object", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info><w:info xmlns:w="urn:example:widget-1.0"/></info><clTRID>obj-1</clTRID></command></epp>`, 2307, "obj-1"},
		{"unselected extension", `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info><domain:info xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>a.se</domain:name></domain:info></info><extension><x:y xmlns:x="urn:example:ext"/></extension><clTRID>ext-1</clTRID></command></epp>`, 2103, "ext-1"},
		{"unimplemented command", domainInfo("example.se", "unimpl-1"), 2101, "unimpl-1"},
		{"no clTRID", domainInfo("example.se", ""), 2101, ""},
	}
	svTRIDs := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := string(c.Do(tc.doc))
			assert.Equal(t, tc.want, epptest.Code([]byte(resp)), "%s", resp)
			if tc.clTRID != "" {
				assert.Contains(t, resp, "<clTRID>"+tc.clTRID+"</clTRID>")
			} else {
				assert.NotContains(t, resp, "<clTRID>")
			}
			m := regexp.MustCompile(`<svTRID>([^<]+)</svTRID>`).FindStringSubmatch(resp)
			require.NotNil(t, m)
			assert.False(t, svTRIDs[m[1]], "svTRID %s repeated", m[1])
			svTRIDs[m[1]] = true
			assert.NotContains(t, resp, "root:", "no entity expanded")
		})
	}
	// The session survives all of that; a repeated clTRID is fine.
	assert.Equal(t, 2101, epptest.Code(c.Do(domainInfo("example.se", "unimpl-1"))))
	assert.Equal(t, 1500, epptest.Code(c.Do(epptest.Logout)))
}

func TestFrameLimits(t *testing.T) {
	h := newHarness(t, "", func(c *epp.Config) { c.MaxFrame = 1024 })
	raw := func(t *testing.T, b []byte, closeWrite bool) (*epptest.Client, []byte) {
		c := h.dial(&h.acme)
		_, err := c.Conn.Write(b)
		require.NoError(t, err)
		if closeWrite {
			require.NoError(t, c.Conn.CloseWrite())
		}
		resp, err := c.Read()
		require.NoError(t, err)
		return c, resp
	}
	header := func(n uint32) []byte {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, n)
		return b
	}
	t.Run("oversize", func(t *testing.T) {
		// The header announces 1 GiB; the server refuses without reading.
		c, resp := raw(t, header(1<<30), false)
		assert.Equal(t, 2500, epptest.Code(resp))
		assert.Contains(t, string(resp), "exceeds the maximum of 1024")
		expectClosed(t, c)
	})
	t.Run("zero header", func(t *testing.T) {
		c, resp := raw(t, header(0), false)
		assert.Equal(t, 2500, epptest.Code(resp))
		expectClosed(t, c)
	})
	t.Run("header counts only itself", func(t *testing.T) {
		c, resp := raw(t, header(4), false)
		assert.Equal(t, 2500, epptest.Code(resp))
		expectClosed(t, c)
	})
	t.Run("truncated frame", func(t *testing.T) {
		c, resp := raw(t, append(header(200), "<epp"...), true)
		assert.Equal(t, 2500, epptest.Code(resp))
		assert.Contains(t, string(resp), "truncated")
		expectClosed(t, c)
	})
	t.Run("short header", func(t *testing.T) {
		c, resp := raw(t, []byte{0, 0}, true)
		assert.Equal(t, 2500, epptest.Code(resp))
		expectClosed(t, c)
	})
	t.Run("exactly the maximum", func(t *testing.T) {
		c := h.dial(&h.acme)
		doc := epptest.Hello
		doc += strings.Repeat(" ", 1024-len(doc))
		assert.Contains(t, string(c.Do(doc)), "<greeting>")
	})
	m := h.srv.Metrics().FramesRejected
	assert.Equal(t, 1.0, testutil.ToFloat64(m.WithLabelValues("frame_too_large")))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.WithLabelValues("bad_header")))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.WithLabelValues("truncated")))
}

func TestTimeouts(t *testing.T) {
	h := newHarness(t, "", func(c *epp.Config) {
		c.LoginTimeout = 300 * time.Millisecond
		c.IdleTimeout = 300 * time.Millisecond
		c.HandshakeTimeout = 300 * time.Millisecond
	})
	t.Run("login", func(t *testing.T) {
		c := h.dial(&h.acme)
		resp, err := c.Read()
		require.NoError(t, err)
		assert.Equal(t, 2500, epptest.Code(resp))
		assert.Contains(t, string(resp), "login timeout")
		expectClosed(t, c)
	})
	t.Run("idle", func(t *testing.T) {
		c := h.login()
		resp, err := c.Read()
		require.NoError(t, err)
		assert.Equal(t, 2500, epptest.Code(resp))
		assert.Contains(t, string(resp), "idle timeout")
		expectClosed(t, c)
	})
	t.Run("handshake", func(t *testing.T) {
		conn, err := net.Dial("tcp", h.addr)
		require.NoError(t, err)
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(conn)
		require.NoError(t, err, "the server closes a connection that never starts TLS")
		// The server may close before it counts.
		assert.Eventually(t, func() bool { return testutil.ToFloat64(h.srv.Metrics().HandshakeFailures) == 1 },
			2*time.Second, 10*time.Millisecond)
	})
	t.Run("session age", func(t *testing.T) {
		h2 := newHarness(t, "", func(c *epp.Config) { c.MaxSessionAge = 400 * time.Millisecond })
		c := h2.login()
		resp, err := c.Read()
		require.NoError(t, err)
		assert.Equal(t, 2500, epptest.Code(resp))
		assert.Contains(t, string(resp), "session age limit")
	})
}

func TestTLSVersions(t *testing.T) {
	h := newHarness(t, "", nil)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		_, err := tls.Dial("tcp", h.addr, &tls.Config{RootCAs: h.roots, ServerName: "localhost", MinVersion: v, MaxVersion: v})
		assert.Error(t, err, "TLS version %x must be refused", v)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		conn, err := tls.Dial("tcp", h.addr, &tls.Config{RootCAs: h.roots, ServerName: "localhost", MinVersion: v, MaxVersion: v})
		if assert.NoError(t, err, "TLS version %x must be accepted", v) {
			conn.Close()
		}
	}
}

func TestSessionCap(t *testing.T) {
	h := newHarness(t, "", func(c *epp.Config) { c.MaxSessionsPerReseller = 2 })
	a, b := h.login(), h.login()
	c := h.dial(&h.acme)
	resp := c.Do(epptest.Login("acme", acmePW, "cap-3"))
	assert.Equal(t, 2502, epptest.Code(resp))
	expectClosed(t, c)
	// Another reseller is not affected.
	o := h.dial(&h.other)
	assert.Equal(t, 1000, epptest.Code(o.Do(epptest.Login("other", otherPW, "cap-o"))))
	// A slot frees when a session ends.
	assert.Equal(t, 1500, epptest.Code(a.Do(epptest.Logout)))
	expectClosed(t, a)
	var got int
	for i := 0; i < 50; i++ { // the server releases the slot after the close
		d := h.dial(&h.acme)
		if got = epptest.Code(d.Do(epptest.Login("acme", acmePW, "cap-4"))); got == 1000 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.Equal(t, 1000, got)
	_ = b
	// A per-reseller cap overrides the server default.
	one := 1
	_, err := h.svc.SetResellerAccess(context.Background(), registry.Operator, "other", registry.ResellerAccess{MaxSessions: &one})
	require.NoError(t, err)
	o2 := h.dial(&h.other)
	assert.Equal(t, 2502, epptest.Code(o2.Do(epptest.Login("other", otherPW, "cap-o2"))))
}

func TestPanicIsolation(t *testing.T) {
	h := newHarness(t, "", nil)
	h.mux.Handle("info", epp.NSDomain, epp.HandlerFunc(func(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
		if strings.Contains(cmd.Object.FindElement("name").Text(), "boom") {
			panic("handler bug")
		}
		return epp.NewResponse(epp.CodeObjectDoesNotExist, "")
	}))
	a, b := h.login(), h.login()
	resp := a.Do(domainInfo("boom.se", "p-1"))
	assert.Equal(t, 2400, epptest.Code(resp))
	assert.Contains(t, string(resp), "<clTRID>p-1</clTRID>")
	// The panicking session goes on, and so does the other.
	assert.Equal(t, 2303, epptest.Code(a.Do(domainInfo("fine.se", "p-2"))))
	assert.Equal(t, 2303, epptest.Code(b.Do(domainInfo("fine.se", "p-3"))))
	assert.Equal(t, 1.0, testutil.ToFloat64(h.srv.Metrics().Panics))
	assert.Contains(t, h.logs.String(), "panic while serving command")
}

func TestStoreFailureAnswers2400(t *testing.T) {
	h := newHarness(t, "", nil)
	c := h.dial(&h.acme)
	require.NoError(t, h.store.Close())
	resp := c.Do(epptest.Login("acme", acmePW, "db-down"))
	assert.Equal(t, 2400, epptest.Code(resp), "%s", resp)
}

func TestDrain(t *testing.T) {
	h := newHarness(t, "", nil)
	started, release := make(chan struct{}), make(chan struct{})
	h.mux.Handle("info", epp.NSDomain, epp.HandlerFunc(func(ctx context.Context, s *epp.Session, cmd *epp.Command) *epp.Response {
		close(started)
		<-release
		return epp.NewResponse(epp.CodeObjectDoesNotExist, "")
	}))
	idle, busy := h.login(), h.login()
	require.NoError(t, busy.Write(domainInfo("slow.se", "drain-1")))
	<-started

	done := make(chan error, 1)
	go func() { done <- h.srv.Shutdown(context.Background()) }()

	// The idle session is told and closed at once.
	resp, err := idle.Read()
	require.NoError(t, err)
	assert.Equal(t, 2500, epptest.Code(resp))
	assert.Contains(t, string(resp), "shutting down")
	expectClosed(t, idle)
	// New connections are refused.
	_, err = net.DialTimeout("tcp", h.addr, time.Second)
	assert.Error(t, err)
	// The command in flight finishes and is answered, then the session
	// closes and Shutdown returns.
	select {
	case <-done:
		t.Fatal("Shutdown returned with a command in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	resp, err = busy.Read()
	require.NoError(t, err)
	assert.Equal(t, 2303, epptest.Code(resp))
	expectClosed(t, busy)
	require.NoError(t, <-done)
}

func TestConcurrentSessions(t *testing.T) {
	h := newHarness(t, "", func(c *epp.Config) { c.MaxSessionsPerReseller = 50 })
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := epptest.Dial(t, h.addr, h.roots, &h.acme)
			if err != nil {
				errs <- err
				return
			}
			if err := c.Write(epptest.Login("acme", acmePW, fmt.Sprintf("cc-%d", i))); err != nil {
				errs <- err
				return
			}
			b, err := c.Read()
			if err != nil || epptest.Code(b) != 1000 {
				errs <- fmt.Errorf("session %d: %v %s", i, err, b)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func domainInfo(name, clTRID string) string {
	tr := ""
	if clTRID != "" {
		tr = "<clTRID>" + clTRID + "</clTRID>"
	}
	return `<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><info>` +
		`<domain:info xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>` + name + `</domain:name></domain:info></info>` + tr + `</command></epp>`
}
