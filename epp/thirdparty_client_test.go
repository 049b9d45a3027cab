package epp_test

import (
	"crypto/tls"
	"testing"
	"time"

	domainr "github.com/domainr/epp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/epp"
)

// TestThirdPartyClient runs an EPP client written elsewhere
// (github.com/domainr/epp) against the server: greeting, login, hello
// after login, logout.
func TestThirdPartyClient(t *testing.T) {
	h := newHarness(t, "", nil)
	conn, err := tls.Dial("tcp", h.addr, &tls.Config{
		RootCAs: h.roots, ServerName: "localhost", Certificates: []tls.Certificate{h.acme},
	})
	require.NoError(t, err)
	c, err := domainr.NewTimeoutConn(conn, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()

	assert.Equal(t, "eppd", c.Greeting.ServerName)
	assert.Equal(t, []string{"1.0"}, c.Greeting.Versions)
	assert.Contains(t, c.Greeting.Languages, "en")
	assert.True(t, c.Greeting.SupportsObject(epp.NSDomain))

	res, err := c.Login("acme", acmePW, "")
	require.NoError(t, err)
	assert.Equal(t, 1000, res.Code)

	require.NoError(t, c.Hello())
	require.NoError(t, c.Logout())
	expectClosedConn(t, conn)

	// A wrong password is reported to the client as 2200.
	conn2, err := tls.Dial("tcp", h.addr, &tls.Config{
		RootCAs: h.roots, ServerName: "localhost", Certificates: []tls.Certificate{h.acme},
	})
	require.NoError(t, err)
	defer conn2.Close()
	c2, err := domainr.NewTimeoutConn(conn2, 5*time.Second)
	require.NoError(t, err)
	_, err = c2.Login("acme", "not-the-password", "")
	var result *domainr.Result
	require.ErrorAs(t, err, &result)
	assert.Equal(t, 2200, result.Code)
}

func expectClosedConn(t *testing.T, conn *tls.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := epp.ReadFrame(conn, 1<<20)
	assert.Error(t, err, "the server closes the connection after logout")
}
