package registry

import (
	"context"
	"crypto/x509"
	"net/netip"
	"time"
)

// LoginRequest is a reseller's attempt to open an EPP session.
type LoginRequest struct {
	ClID     string
	Password string
	// NewPassword, when set, replaces the password once the login
	// succeeds.
	NewPassword string
	// Certs is the client's certificate chain, leaf first; empty when the
	// client presented none.
	Certs []*x509.Certificate
	// Addr is the client's source address.
	Addr netip.Addr
	// Actor identifies the session for the history of a password change.
	Actor Actor
}

// dummyHash is checked against when the client identifier is unknown, so
// that the answer takes as long as for a known one.
var dummyHash, _ = HashPassword("not a password", DefaultPasswordParams)

// Login authenticates a reseller: its password, a client certificate
// registered to it, its status and its source address, in that order. A
// wrong identifier, password or certificate counts as a failure for the pair
// (clID, address); once LoginMaxFailures are counted within
// LoginFailureWindow, the pair is locked out (KindLockedOut) whatever the
// credentials, until the window has passed.
//
// Errors: KindAuthentication (bad credentials or certificate), KindLockedOut,
// KindForbidden (suspended, or source address not allowed), KindInvalid (a
// new password that breaks the rules), KindInternal.
func (s *Service) Login(ctx context.Context, req LoginRequest) (*Reseller, error) {
	now := s.clock.Now()
	addr := req.Addr.Unmap().String()
	var (
		r        *Reseller
		certs    []ResellerCert
		failures int
	)
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		failures, err = tx.LoginFailures(ctx, req.ClID, addr, now.Add(-s.cfg.LoginFailureWindow))
		if err != nil {
			return err
		}
		if failures >= s.cfg.LoginMaxFailures {
			return nil
		}
		r, err = tx.Reseller(ctx, req.ClID)
		if IsKind(err, KindNotFound) {
			r = nil
			return nil
		}
		if err != nil {
			return err
		}
		certs, err = tx.ResellerCerts(ctx, r.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if failures >= s.cfg.LoginMaxFailures {
		return nil, Errorf(KindLockedOut, "too many failed logins for %q from %s; try again later", req.ClID, addr)
	}

	// The password check is slow on purpose: it runs outside any
	// transaction so that it holds no database resources.
	hash := dummyHash
	if r != nil {
		hash = r.PasswordHash
	}
	pwOK := CheckPassword(hash, req.Password)
	var authErr *Error
	switch {
	case r == nil || !pwOK:
		authErr = Errorf(KindAuthentication, "invalid client identifier or password")
	case len(req.Certs) == 0:
		authErr = Errorf(KindAuthentication, "a client certificate is required")
	default:
		if reason := s.certMismatch(req.Certs, certs, now); reason != "" {
			authErr = Errorf(KindAuthentication, "%s", reason)
		}
	}
	if authErr != nil {
		if err := s.store.Tx(ctx, func(tx Tx) error {
			return tx.RecordLoginFailure(ctx, req.ClID, addr, now)
		}); err != nil {
			return nil, err
		}
		return nil, authErr
	}

	if r.Status != ResellerActive {
		return nil, Errorf(KindForbidden, "reseller %q is %s", r.ClID, r.Status)
	}
	if !addrAllowed(r.AllowedNets, req.Addr) {
		return nil, Errorf(KindForbidden, "logins for %q are not allowed from %s", r.ClID, addr)
	}
	var newHash string
	if req.NewPassword != "" {
		if err := ValidatePassword(req.NewPassword); err != nil {
			return nil, Errorf(KindInvalid, "new password refused: %s", err.(*Error).Reason)
		}
		if newHash, err = HashPassword(req.NewPassword, s.cfg.Passwords); err != nil {
			return nil, err
		}
	}
	err = s.store.Tx(ctx, func(tx Tx) error {
		if err := tx.ClearLoginFailures(ctx, req.ClID, addr); err != nil {
			return err
		}
		if newHash == "" {
			return nil
		}
		locked, err := tx.LockReseller(ctx, r.ClID)
		if err != nil {
			return err
		}
		locked.PasswordHash = newHash
		if err := tx.UpdateReseller(ctx, locked); err != nil {
			return err
		}
		r = locked
		return s.record(ctx, tx, req.Actor, HistoryReseller, r.ClID, "passwd", stateOf(r, certs))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// certMismatch returns why the presented chain does not identify the
// reseller whose registered certificates are regs, or "" when it does.
func (s *Service) certMismatch(chain []*x509.Certificate, regs []ResellerCert, now time.Time) string {
	leaf := chain[0]
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return "the client certificate is outside its validity period"
	}
	fp := Fingerprint(leaf)
	verified := -1 // unknown until a subject registration asks
	for _, c := range regs {
		switch c.Match {
		case MatchFingerprint:
			if c.Fingerprint == fp {
				return ""
			}
		case MatchSubject:
			if c.Subject != leaf.Subject.String() || c.Issuer != leaf.Issuer.String() {
				continue
			}
			if verified < 0 {
				verified = 0
				if s.verifyChain(chain, now) {
					verified = 1
				}
			}
			if verified == 1 {
				return ""
			}
		}
	}
	return "the client certificate is not registered to this client"
}

// verifyChain reports whether chain verifies, for client authentication,
// against the configured client CAs.
func (s *Service) verifyChain(chain []*x509.Certificate, now time.Time) bool {
	if s.cfg.ClientCAs == nil {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: s.cfg.ClientCAs, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err == nil
}

func addrAllowed(nets []netip.Prefix, a netip.Addr) bool {
	if len(nets) == 0 {
		return true
	}
	a = a.Unmap()
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
