package epptest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/eppd/eppd/epp"
)

// Client is a minimal EPP client for tests: it sends frames, reads frames,
// and validates every frame the server sends.
type Client struct {
	t    testing.TB
	Conn *tls.Conn
	// Greeting is the greeting the server sent on connect.
	Greeting []byte
}

// Dial connects to addr over TLS with the client certificate cert (nil for
// none), trusting roots for the server's certificate, and reads the
// greeting.
func Dial(t testing.TB, addr string, roots *x509.CertPool, cert *tls.Certificate) (*Client, error) {
	t.Helper()
	cfg := &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{t: t, Conn: conn}
	t.Cleanup(func() { conn.Close() })
	g, err := c.Read()
	if err != nil {
		return nil, fmt.Errorf("reading greeting: %w", err)
	}
	c.Greeting = g
	return c, nil
}

// MustDial is Dial failing the test on error.
func MustDial(t testing.TB, addr string, roots *x509.CertPool, cert *tls.Certificate) *Client {
	t.Helper()
	c, err := Dial(t, addr, roots, cert)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return c
}

// Read reads one frame (with a 10s limit) and validates it.
func (c *Client) Read() ([]byte, error) {
	c.t.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := epp.ReadFrame(c.Conn, 1<<20)
	if err != nil {
		return nil, err
	}
	Validate(c.t, b)
	return b, nil
}

// Write sends doc as one frame.
func (c *Client) Write(doc string) error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return epp.WriteFrame(c.Conn, []byte(doc))
}

// Do sends doc and returns the server's answer, failing the test if
// either fails.
func (c *Client) Do(doc string) []byte {
	c.t.Helper()
	if err := c.Write(doc); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	b, err := c.Read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return b
}

var codeRE = regexp.MustCompile(`<result code="(\d{4})"`)

// Code returns the first result code of a response, or 0 if there is none.
func Code(resp []byte) int {
	m := codeRE.FindSubmatch(resp)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// Login builds a <login> for clID and pw selecting the domain, contact and
// host services.
func Login(clID, pw, clTRID string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><login><clID>%s</clID><pw>%s</pw>`+
		`<options><version>1.0</version><lang>en</lang></options><svcs>`+
		`<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI><objURI>urn:ietf:params:xml:ns:contact-1.0</objURI>`+
		`<objURI>urn:ietf:params:xml:ns:host-1.0</objURI></svcs></login><clTRID>%s</clTRID></command></epp>`,
		xmlEscape(clID), xmlEscape(pw), xmlEscape(clTRID))
}

// Logout is a <logout> command.
const Logout = `<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>logout-1</clTRID></command></epp>`

// Hello is a <hello>.
const Hello = `<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`

func xmlEscape(s string) string {
	var b []byte
	for _, r := range s {
		switch r {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		default:
			b = append(b, string(r)...)
		}
	}
	return string(b)
}
