package devca

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// File names inside the development PKI directory.
const (
	CAFile            = "ca.pem"
	CAKeyFile         = "ca-key.pem"
	ServerFile        = "server.pem"
	ServerKeyFile     = "server-key.pem"
	DemoClientFile    = "demo-client.pem"
	DemoClientKeyFile = "demo-client-key.pem"
)

// Validity of the certificates Ensure and IssueClient make.
const (
	ServerValidity = 2 * 365 * 24 * time.Hour
	ClientValidity = 2 * 365 * 24 * time.Hour
)

// ServerHosts are the subject alternative names of the development server
// certificate.
var ServerHosts = []string{"localhost", "127.0.0.1", "::1"}

// DemoClientCN is the common name of the demo client certificate.
const DemoClientCN = "demo"

// Paths are the files of a development PKI.
type Paths struct {
	CA, CAKey                 string
	Server, ServerKey         string
	DemoClient, DemoClientKey string
}

// PathsIn returns the file paths of the development PKI kept in dir.
func PathsIn(dir string) Paths {
	j := func(name string) string { return filepath.Join(dir, name) }
	return Paths{
		CA: j(CAFile), CAKey: j(CAKeyFile),
		Server: j(ServerFile), ServerKey: j(ServerKeyFile),
		DemoClient: j(DemoClientFile), DemoClientKey: j(DemoClientKeyFile),
	}
}

// Bundle is a loaded development PKI.
type Bundle struct {
	Dir   string
	Paths Paths
	// CA issued the other certificates; CACert is its certificate.
	CA     *CA
	CACert *x509.Certificate
	// Server is the server certificate and key, for tls.Config.Certificates.
	Server tls.Certificate
	// DemoClient is the demo client certificate and key, for a test
	// client's tls.Config; DemoClientLeaf is its parsed leaf.
	DemoClient     tls.Certificate
	DemoClientLeaf *x509.Certificate
}

// Ensure loads the development PKI kept in dir, making what is missing:
// dir itself (mode 0700), an ECDSA P-256 CA valid for ten years, a server
// certificate for ServerHosts and a demo client certificate (CN "demo"),
// both valid for two years. Private keys are written with mode 0600.
// created reports whether anything was made.
//
// A new CA gets a new server and demo certificate, since certificates from
// an earlier CA would no longer verify. A server or demo certificate that is
// missing half of its pair, has expired at now, or was not issued by the CA
// is replaced. A CA certificate without its key, or the reverse, is an
// error: replacing it would silently invalidate every certificate it
// issued.
func Ensure(dir string, now time.Time) (b *Bundle, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("devca: %w", err)
	}
	p := PathsIn(dir)
	ca, caCreated, err := ensureCA(p, now)
	if err != nil {
		return nil, false, err
	}
	server, serverCreated, err := ensureLeaf(ca, p.Server, p.ServerKey, "localhost", true, ServerHosts, now, caCreated)
	if err != nil {
		return nil, false, err
	}
	demo, demoCreated, err := ensureLeaf(ca, p.DemoClient, p.DemoClientKey, DemoClientCN, false, nil, now, caCreated)
	if err != nil {
		return nil, false, err
	}
	return &Bundle{
		Dir: dir, Paths: p,
		CA: ca, CACert: ca.Cert(),
		Server:     server,
		DemoClient: demo, DemoClientLeaf: demo.Leaf,
	}, caCreated || serverCreated || demoCreated, nil
}

func ensureCA(p Paths, now time.Time) (ca *CA, created bool, err error) {
	certOK, keyOK := exists(p.CA), exists(p.CAKey)
	switch {
	case certOK && keyOK:
		ca, err := loadCA(p.CA, p.CAKey)
		if err != nil {
			return nil, false, err
		}
		if now.After(ca.cert.NotAfter) {
			return nil, false, fmt.Errorf("devca: the development CA in %s expired on %s; remove the directory to make a new one",
				filepath.Dir(p.CA), ca.cert.NotAfter.UTC().Format(time.DateOnly))
		}
		return ca, false, nil
	case certOK != keyOK:
		have, missing := p.CA, p.CAKey
		if keyOK {
			have, missing = p.CAKey, p.CA
		}
		return nil, false, fmt.Errorf("devca: %s exists but %s is missing; restore it, or remove the directory to make a new development CA", have, missing)
	}
	ca, err = NewCA("eppd development CA", now)
	if err != nil {
		return nil, false, err
	}
	if err := writePair(p.CA, p.CAKey, ca.cert.Raw, ca.key); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// ensureLeaf loads the certificate pair at certPath and keyPath, or issues
// and writes a new one when renew is set, a file is missing, or the loaded
// certificate is expired or not issued by ca.
func ensureLeaf(ca *CA, certPath, keyPath, cn string, server bool, hosts []string, now time.Time, renew bool) (tls.Certificate, bool, error) {
	if !renew && exists(certPath) && exists(keyPath) {
		c, err := loadPair(certPath, keyPath)
		if err != nil {
			return tls.Certificate{}, false, err
		}
		if issuedBy(c.Leaf, ca, now, server) {
			return c, false, nil
		}
	}
	validity := ClientValidity
	if server {
		validity = ServerValidity
	}
	c, err := ca.Issue(cn, server, hosts, now, validity)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writePair(certPath, keyPath, c.Certificate[0], c.PrivateKey.(crypto.Signer)); err != nil {
		return tls.Certificate{}, false, err
	}
	return c, true, nil
}

// issuedBy reports whether leaf verifies against ca at now for its use.
func issuedBy(leaf *x509.Certificate, ca *CA, now time.Time, server bool) bool {
	usage := x509.ExtKeyUsageClientAuth
	if server {
		usage = x509.ExtKeyUsageServerAuth
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: ca.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err == nil
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// IssueClient issues a client certificate with common name cn from the
// development CA in dir (made by Ensure if missing), valid for
// ClientValidity, and writes it as <cn>-client.pem and <cn>-client-key.pem
// (mode 0600). It never overwrites: an existing file for cn is an error.
func IssueClient(dir string, cn string, now time.Time) (certPath, keyPath string, err error) {
	if !safeName.MatchString(cn) {
		return "", "", fmt.Errorf("devca: common name %q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", cn)
	}
	b, _, err := Ensure(dir, now)
	if err != nil {
		return "", "", err
	}
	certPath = filepath.Join(dir, cn+"-client.pem")
	keyPath = filepath.Join(dir, cn+"-client-key.pem")
	for _, f := range []string{certPath, keyPath} {
		if exists(f) {
			return "", "", fmt.Errorf("devca: %s already exists; remove it to issue a new certificate for %q", f, cn)
		}
	}
	c, err := b.CA.Issue(cn, false, nil, now, ClientValidity)
	if err != nil {
		return "", "", err
	}
	if err := writePair(certPath, keyPath, c.Certificate[0], c.PrivateKey.(crypto.Signer)); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

// LoadCertificates parses every CERTIFICATE block of a PEM file, in order.
func LoadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCertificates(data)
}

// ParseCertificates parses every CERTIFICATE block of PEM data, in order;
// data with none is an error.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block found")
	}
	return out, nil
}

func loadCA(certPath, keyPath string) (*CA, error) {
	c, err := loadPair(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	key, ok := c.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("devca: %s: unsupported private key type %T", keyPath, c.PrivateKey)
	}
	ca, err := LoadCA(c.Leaf, key)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, certPath)
	}
	return ca, nil
}

func loadPair(certPath, keyPath string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("devca: loading %s and %s: %w", certPath, keyPath, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("devca: %s: %w", certPath, err)
		}
	}
	return c, nil
}

// writePair writes a certificate (mode 0644) and its private key (mode 0600)
// as PEM, each through a temporary file renamed into place.
func writePair(certPath, keyPath string, der []byte, key crypto.Signer) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("devca: encoding %s: %w", keyPath, err)
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFile(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("devca: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("devca: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("devca: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("devca: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("devca: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("devca: %w", err)
	}
	return nil
}

// exists reports whether path exists. A file that cannot be examined counts
// as existing, so that loading it reports why rather than it being
// overwritten.
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
