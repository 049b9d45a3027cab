package registry

import (
	"net/netip"
	"regexp"
	"time"
)

// ResellerStatus is whether a reseller may log in.
type ResellerStatus string

const (
	// ResellerActive may log in.
	ResellerActive ResellerStatus = "active"
	// ResellerSuspended may not log in; its sessions are refused at login.
	ResellerSuspended ResellerStatus = "suspended"
)

// Reseller is a registrar that reaches the registry over EPP. Its ClID is the
// EPP client identifier it logs in with.
type Reseller struct {
	ID   int64
	ClID string
	Name string
	// Email is where the registry writes to the reseller.
	Email  string
	Status ResellerStatus
	// PasswordHash is the PHC-format argon2id hash of the EPP password;
	// the password itself is never stored.
	PasswordHash string
	// AllowedNets, when not empty, are the only source networks the
	// reseller may log in from.
	AllowedNets []netip.Prefix
	// MaxSessions caps the reseller's concurrent EPP sessions on one server;
	// zero means the server's default.
	MaxSessions int
	// DefaultModel is the management model of the domains the reseller
	// creates without saying which ("" is ModelReseller).
	DefaultModel Model
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CertMatch is how a registered certificate is recognised at login.
type CertMatch string

const (
	// MatchFingerprint matches the SHA-256 fingerprint of the presented
	// leaf certificate.
	MatchFingerprint CertMatch = "fingerprint"
	// MatchSubject matches the leaf's subject and issuer distinguished
	// names, and requires the chain to verify against the configured
	// client CA.
	MatchSubject CertMatch = "subject"
)

// ResellerCert is a client certificate registered to a reseller.
type ResellerCert struct {
	ID         int64
	ResellerID int64
	Match      CertMatch
	// Fingerprint is the lower-case hex SHA-256 of the DER certificate;
	// set for MatchFingerprint, informative otherwise.
	Fingerprint string
	// Subject and Issuer are RFC 2253 distinguished names; required for
	// MatchSubject, informative for MatchFingerprint.
	Subject  string
	Issuer   string
	NotAfter time.Time // zero when unknown
	Note     string
	AddedAt  time.Time
}

// clIDPattern is RFC 5730's clIDType: a token of 3 to 16 characters. The
// registry narrows it to characters that are safe in logs, file names and
// generated contact handles.
var clIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,15}$`)

// ValidClID reports whether s is acceptable as a reseller's client
// identifier.
func ValidClID(s string) bool { return clIDPattern.MatchString(s) }

// ValidatePassword checks an EPP password against RFC 5730's pwType
// (6 to 16 characters) and the registry's own rule that it contain no
// leading or trailing white space.
func ValidatePassword(pw string) error {
	n := len([]rune(pw))
	if n < 6 || n > 16 {
		return Errorf(KindInvalid, "password must be 6 to 16 characters long (RFC 5730 pwType), got %d", n)
	}
	for _, r := range pw {
		if r < 0x20 || r == 0x7f {
			return Errorf(KindInvalid, "password must not contain control characters")
		}
	}
	if pw[0] == ' ' || pw[len(pw)-1] == ' ' {
		return Errorf(KindInvalid, "password must not begin or end with a space")
	}
	return nil
}
