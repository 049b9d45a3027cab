// Package devca is the development PKI: a throw-away certificate authority,
// a server certificate for localhost and a demo client certificate, kept as
// PEM files in a directory so that "eppd serve" runs with no flags on a
// fresh machine. It also issues further certificates for tests and for
// "eppd reseller cert issue".
//
// Nothing here is fit for production: the CA key sits unencrypted next to
// the certificates it signs.
package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// CAValidity is how long a CA made by NewCA is valid.
const CAValidity = 10 * 365 * 24 * time.Hour

// backdate is how far before now certificates become valid, so that a clock
// slightly behind the issuer's still accepts them.
const backdate = time.Hour

// CA is a certificate authority that issues certificates with ECDSA P-256
// keys.
type CA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// NewCA returns a self-signed CA with an ECDSA P-256 key, valid for
// CAValidity from now.
func NewCA(cn string, now time.Time) (*CA, error) {
	if cn == "" {
		return nil, errors.New("devca: CA common name must not be empty")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devca: CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"eppd development"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("devca: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("devca: CA certificate: %w", err)
	}
	return &CA{cert: cert, key: key}, nil
}

// LoadCA returns the CA whose certificate and private key are given; the key
// must belong to the certificate, and the certificate must be a CA.
func LoadCA(cert *x509.Certificate, key crypto.Signer) (*CA, error) {
	if !cert.IsCA {
		return nil, fmt.Errorf("devca: %q is not a CA certificate", cert.Subject.String())
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("devca: the private key does not belong to CA certificate %q", cert.Subject.String())
	}
	return &CA{cert: cert, key: key}, nil
}

// Cert returns the CA's certificate.
func (ca *CA) Cert() *x509.Certificate { return ca.cert }

// Key returns the CA's private key.
func (ca *CA) Key() crypto.Signer { return ca.key }

// Pool returns a pool holding only the CA's certificate, for verifying the
// certificates it issued.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Issue returns a certificate with a fresh ECDSA P-256 key, signed by the CA
// and valid for validity from now (never past the CA's own expiry). A server
// certificate has ExtKeyUsageServerAuth and hosts (DNS names or IP
// addresses) as subject alternative names; a client certificate has
// ExtKeyUsageClientAuth and hosts, if any, too. The result's Leaf is set and
// its chain holds the leaf only.
func (ca *CA) Issue(cn string, server bool, hosts []string, now time.Time, validity time.Duration) (tls.Certificate, error) {
	if cn == "" {
		return tls.Certificate{}, errors.New("devca: common name must not be empty")
	}
	if validity <= 0 {
		return tls.Certificate{}, fmt.Errorf("devca: validity %v must be positive", validity)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("devca: key for %q: %w", cn, err)
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"eppd development"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("devca: certificate for %q: %w", cn, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("devca: certificate for %q: %w", cn, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("devca: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
