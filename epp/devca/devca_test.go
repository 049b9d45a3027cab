package devca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fingerprint(der []byte) [32]byte { return sha256.Sum256(der) }

func TestNewCAIssue(t *testing.T) {
	ca, err := NewCA("test CA", now)
	require.NoError(t, err)
	c := ca.Cert()
	assert.True(t, c.IsCA)
	assert.Equal(t, "test CA", c.Subject.CommonName)
	assert.Equal(t, now.Add(CAValidity), c.NotAfter)
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	require.True(t, ok)
	assert.Equal(t, elliptic.P256(), pub.Curve)

	srv, err := ca.Issue("srv", true, []string{"localhost", "127.0.0.1", "::1"}, now, time.Hour)
	require.NoError(t, err)
	require.NotNil(t, srv.Leaf)
	assert.Equal(t, []string{"localhost"}, srv.Leaf.DNSNames)
	require.Len(t, srv.Leaf.IPAddresses, 2)
	assert.True(t, srv.Leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")))
	assert.True(t, srv.Leaf.IPAddresses[1].Equal(net.ParseIP("::1")))
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err = srv.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: host, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		assert.NoError(t, err, host)
	}
	_, err = srv.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.Error(t, err, "a server certificate is not for client authentication")
	_, err = srv.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now.Add(2 * time.Hour),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	assert.Error(t, err, "expired")

	cli, err := ca.Issue("acme", false, nil, now, 2*CAValidity)
	require.NoError(t, err)
	assert.Equal(t, "acme", cli.Leaf.Subject.CommonName)
	assert.Equal(t, ca.Cert().NotAfter, cli.Leaf.NotAfter, "never valid past the CA")
	_, err = cli.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)

	other, err := NewCA("other CA", now)
	require.NoError(t, err)
	_, err = cli.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.Error(t, err)

	_, err = NewCA("", now)
	assert.Error(t, err)
	_, err = ca.Issue("", false, nil, now, time.Hour)
	assert.Error(t, err)
	_, err = ca.Issue("x", false, nil, now, 0)
	assert.Error(t, err)
	_, err = LoadCA(cli.Leaf, ca.Key())
	assert.Error(t, err, "not a CA")
	_, err = LoadCA(ca.Cert(), other.Key())
	assert.Error(t, err, "key of another CA")
}

// TestIssuedPairHandshakes runs a TLS handshake with mutual authentication
// between a server and a client certificate of one CA.
func TestIssuedPairHandshakes(t *testing.T) {
	b, _, err := Ensure(t.TempDir(), time.Now())
	require.NoError(t, err)
	srvConf := &tls.Config{
		Certificates: []tls.Certificate{b.Server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    b.CA.Pool(),
		// Over a synchronous pipe the unread ticket would block the server.
		SessionTicketsDisabled: true,
	}
	cliConf := &tls.Config{
		Certificates: []tls.Certificate{b.DemoClient},
		RootCAs:      b.CA.Pool(),
		ServerName:   "localhost",
	}
	c1, c2 := net.Pipe()
	srv, cli := tls.Server(c1, srvConf), tls.Client(c2, cliConf)
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	require.NoError(t, cli.Handshake())
	require.NoError(t, <-errc)
	peers := srv.ConnectionState().PeerCertificates
	require.NotEmpty(t, peers)
	assert.Equal(t, DemoClientCN, peers[0].Subject.CommonName)
	// Closing the pipe, not the TLS connections: their close_notify would
	// wait for a reader that never comes.
	c1.Close()
	c2.Close()
}

func TestEnsureCreatesAndReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	b, created, err := Ensure(dir, now)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, PathsIn(dir), b.Paths)

	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{b.Paths.CA, 0o644}, {b.Paths.CAKey, 0o600},
		{b.Paths.Server, 0o644}, {b.Paths.ServerKey, 0o600},
		{b.Paths.DemoClient, 0o644}, {b.Paths.DemoClientKey, 0o600},
	} {
		st, err := os.Stat(f.path)
		require.NoError(t, err, f.path)
		assert.Equal(t, f.mode, st.Mode().Perm(), f.path)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 6, "no temporary files left behind")

	// The chain verifies.
	assert.True(t, b.CACert.IsCA)
	assert.Equal(t, now.Add(CAValidity), b.CACert.NotAfter)
	srvLeaf := b.Server.Leaf
	require.NotNil(t, srvLeaf)
	assert.Equal(t, now.Add(ServerValidity), srvLeaf.NotAfter)
	for _, host := range ServerHosts {
		_, err = srvLeaf.Verify(x509.VerifyOptions{Roots: b.CA.Pool(), DNSName: host, CurrentTime: now})
		assert.NoError(t, err, host)
	}
	assert.Equal(t, DemoClientCN, b.DemoClientLeaf.Subject.CommonName)
	assert.Same(t, b.DemoClient.Leaf, b.DemoClientLeaf)
	_, err = b.DemoClientLeaf.Verify(x509.VerifyOptions{Roots: b.CA.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)
	certs, err := LoadCertificates(b.Paths.CA)
	require.NoError(t, err)
	require.Len(t, certs, 1)
	assert.True(t, certs[0].Equal(b.CACert))

	// A reload a day later makes nothing and gives the same certificates.
	b2, created, err := Ensure(dir, now.Add(24*time.Hour))
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, fingerprint(b.CACert.Raw), fingerprint(b2.CACert.Raw))
	assert.Equal(t, fingerprint(b.Server.Certificate[0]), fingerprint(b2.Server.Certificate[0]))
	assert.Equal(t, fingerprint(b.DemoClient.Certificate[0]), fingerprint(b2.DemoClient.Certificate[0]))
	assert.Equal(t, fingerprint(b.DemoClientLeaf.Raw), fingerprint(b2.DemoClientLeaf.Raw))
	// The reloaded CA key still signs certificates the old pool trusts.
	c, err := b2.CA.Issue("later", false, nil, now, time.Hour)
	require.NoError(t, err)
	_, err = c.Leaf.Verify(x509.VerifyOptions{Roots: b.CA.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)
}

func TestEnsureRepairs(t *testing.T) {
	dir := t.TempDir()
	b, _, err := Ensure(dir, now)
	require.NoError(t, err)

	// A missing server key gets a new server certificate, same CA.
	require.NoError(t, os.Remove(b.Paths.ServerKey))
	b2, created, err := Ensure(dir, now)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, fingerprint(b.CACert.Raw), fingerprint(b2.CACert.Raw))
	assert.NotEqual(t, fingerprint(b.Server.Certificate[0]), fingerprint(b2.Server.Certificate[0]))
	assert.Equal(t, fingerprint(b.DemoClient.Certificate[0]), fingerprint(b2.DemoClient.Certificate[0]))

	// Expired leaves are replaced.
	later := now.Add(ServerValidity + time.Hour)
	b3, created, err := Ensure(dir, later)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, fingerprint(b.CACert.Raw), fingerprint(b3.CACert.Raw))
	assert.True(t, b3.Server.Leaf.NotAfter.After(later))
	assert.True(t, b3.DemoClientLeaf.NotAfter.After(later))

	// A new CA (both files gone) reissues the leaves.
	require.NoError(t, os.Remove(b.Paths.CA))
	require.NoError(t, os.Remove(b.Paths.CAKey))
	b4, created, err := Ensure(dir, now)
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, fingerprint(b3.CACert.Raw), fingerprint(b4.CACert.Raw))
	_, err = b4.DemoClientLeaf.Verify(x509.VerifyOptions{Roots: b4.CA.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)

	// Half a CA is an error, not a silent replacement.
	require.NoError(t, os.Remove(b.Paths.CAKey))
	_, _, err = Ensure(dir, now)
	assert.ErrorContains(t, err, "ca-key.pem is missing")

	// So is an expired CA.
	dir2 := t.TempDir()
	_, _, err = Ensure(dir2, now)
	require.NoError(t, err)
	_, _, err = Ensure(dir2, now.Add(CAValidity+time.Hour))
	assert.ErrorContains(t, err, "expired")
}

func TestIssueClient(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, err := IssueClient(dir, "acme", now)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "acme-client.pem"), certPath)
	assert.Equal(t, filepath.Join(dir, "acme-client-key.pem"), keyPath)
	st, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	b, created, err := Ensure(dir, now)
	require.NoError(t, err)
	assert.False(t, created, "IssueClient made the PKI")
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	assert.Equal(t, "acme", leaf.Subject.CommonName)
	assert.Equal(t, now.Add(ClientValidity), leaf.NotAfter)
	_, err = leaf.Verify(x509.VerifyOptions{Roots: b.CA.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)

	_, _, err = IssueClient(dir, "acme", now)
	assert.ErrorContains(t, err, "already exists")
	for _, cn := range []string{"", "../x", "a/b", ".hidden"} {
		_, _, err = IssueClient(dir, cn, now)
		assert.Error(t, err, cn)
	}
}

func TestParseCertificates(t *testing.T) {
	_, err := ParseCertificates([]byte("not pem"))
	assert.Error(t, err)
	b, _, err := Ensure(t.TempDir(), now)
	require.NoError(t, err)
	data, err := os.ReadFile(b.Paths.ServerKey)
	require.NoError(t, err)
	_, err = ParseCertificates(data)
	assert.Error(t, err, "a key file holds no certificate")
}
