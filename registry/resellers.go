package registry

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net/netip"
	"strings"
)

// HistoryReseller is the history object type of resellers.
const HistoryReseller = "reseller"

// resellerState is what a reseller's history entry records: everything but
// the password hash.
type resellerState struct {
	ClID        string         `json:"clID"`
	Name        string         `json:"name"`
	Email       string         `json:"email"`
	Status      ResellerStatus `json:"status"`
	AllowedNets []string       `json:"allowedNets,omitempty"`
	MaxSessions int            `json:"maxSessions,omitempty"`
	Certs       []string       `json:"certs,omitempty"`
	// DefaultModel is left out while it is "", the registry's default.
	DefaultModel Model `json:"defaultModel,omitempty"`
}

func stateOf(r *Reseller, certs []ResellerCert) resellerState {
	st := resellerState{ClID: r.ClID, Name: r.Name, Email: r.Email, Status: r.Status, MaxSessions: r.MaxSessions,
		DefaultModel: r.DefaultModel}
	for _, p := range r.AllowedNets {
		st.AllowedNets = append(st.AllowedNets, p.String())
	}
	for _, c := range certs {
		if c.Match == MatchFingerprint {
			st.Certs = append(st.Certs, "sha256:"+c.Fingerprint)
		} else {
			st.Certs = append(st.Certs, "subject:"+c.Subject+" issuer:"+c.Issuer)
		}
	}
	return st
}

// NewReseller is what the operator gives to create a reseller.
type NewReseller struct {
	ClID        string
	Name        string
	Email       string
	Password    string
	AllowedNets []netip.Prefix
	MaxSessions int
}

// errRegistryLogin refuses what would let the registry's own entry log in.
var errRegistryLogin = Errorf(KindStatusProhibits, "the registry's own reseller entry cannot log in")

// isRegistry reports whether clID is the registry's own entry.
func isRegistry(clID string) bool { return clID == RegistryClID }

// CreateReseller creates an active reseller with the given password. The
// registry's own client identifier, in any case, is taken (KindExists).
func (s *Service) CreateReseller(ctx context.Context, a Actor, n NewReseller) (*Reseller, error) {
	if !ValidClID(n.ClID) {
		return nil, Errorf(KindInvalid, "client identifier %q must be 3 to 16 letters, digits, '.', '_' or '-', starting with a letter or digit", n.ClID)
	}
	if strings.EqualFold(n.ClID, RegistryClID) {
		return nil, Errorf(KindExists, "client identifier %q is taken: the registry's own entry, sponsor of registrant-managed domains, has it", n.ClID)
	}
	if strings.TrimSpace(n.Name) == "" {
		return nil, Errorf(KindInvalid, "reseller name must not be empty")
	}
	if n.MaxSessions < 0 {
		return nil, Errorf(KindInvalid, "maximum sessions must not be negative")
	}
	if err := ValidatePassword(n.Password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(n.Password, s.cfg.Passwords)
	if err != nil {
		return nil, err
	}
	r := &Reseller{
		ClID: n.ClID, Name: strings.TrimSpace(n.Name), Email: strings.TrimSpace(n.Email),
		Status: ResellerActive, PasswordHash: hash,
		AllowedNets: n.AllowedNets, MaxSessions: n.MaxSessions,
	}
	err = s.store.Tx(ctx, func(tx Tx) error {
		if err := tx.CreateReseller(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, a, HistoryReseller, r.ClID, "create", stateOf(r, nil))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reseller returns a reseller and its certificates.
func (s *Service) Reseller(ctx context.Context, clID string) (*Reseller, []ResellerCert, error) {
	var (
		r     *Reseller
		certs []ResellerCert
	)
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if r, err = tx.Reseller(ctx, clID); err != nil {
			return err
		}
		certs, err = tx.ResellerCerts(ctx, r.ID)
		return err
	})
	return r, certs, err
}

// Resellers lists all resellers, without the registry's own entry.
func (s *Service) Resellers(ctx context.Context) ([]Reseller, error) {
	var out []Reseller
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Resellers(ctx)
		return err
	})
	return out, err
}

// updateReseller locks the reseller, applies change, writes it back and
// records action in its history, all in one transaction.
func (s *Service) updateReseller(ctx context.Context, a Actor, clID, action string, change func(tx Tx, r *Reseller) error) (*Reseller, error) {
	var r *Reseller
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if r, err = tx.LockReseller(ctx, clID); err != nil {
			return err
		}
		if err := change(tx, r); err != nil {
			return err
		}
		if err := tx.UpdateReseller(ctx, r); err != nil {
			return err
		}
		certs, err := tx.ResellerCerts(ctx, r.ID)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, a, HistoryReseller, r.ClID, action, stateOf(r, certs))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SetResellerPassword replaces a reseller's EPP password. The registry's
// own entry takes none (KindStatusProhibits).
func (s *Service) SetResellerPassword(ctx context.Context, a Actor, clID, pw string) error {
	if isRegistry(clID) {
		return errRegistryLogin
	}
	if err := ValidatePassword(pw); err != nil {
		return err
	}
	hash, err := HashPassword(pw, s.cfg.Passwords)
	if err != nil {
		return err
	}
	_, err = s.updateReseller(ctx, a, clID, "passwd", func(_ Tx, r *Reseller) error {
		r.PasswordHash = hash
		return nil
	})
	return err
}

// SetResellerStatus suspends or resumes a reseller. Setting the status it
// already has is KindStatusProhibits, so the operator learns nothing
// changed; so is resuming the registry's own entry.
func (s *Service) SetResellerStatus(ctx context.Context, a Actor, clID string, st ResellerStatus) error {
	if st != ResellerActive && st != ResellerSuspended {
		return Errorf(KindInvalid, "unknown reseller status %q", st)
	}
	if isRegistry(clID) && st == ResellerActive {
		return errRegistryLogin
	}
	action := map[ResellerStatus]string{ResellerActive: "resume", ResellerSuspended: "suspend"}[st]
	_, err := s.updateReseller(ctx, a, clID, action, func(_ Tx, r *Reseller) error {
		if r.Status == st {
			return Errorf(KindStatusProhibits, "reseller %q is already %s", clID, st)
		}
		r.Status = st
		return nil
	})
	return err
}

// ResellerAccess is a change of a reseller's access limits; nil fields stay
// as they are.
type ResellerAccess struct {
	AllowedNets *[]netip.Prefix
	MaxSessions *int
}

// SetResellerAccess changes a reseller's source-address allow-list and
// session cap.
func (s *Service) SetResellerAccess(ctx context.Context, a Actor, clID string, acc ResellerAccess) (*Reseller, error) {
	if acc.MaxSessions != nil && *acc.MaxSessions < 0 {
		return nil, Errorf(KindInvalid, "maximum sessions must not be negative")
	}
	return s.updateReseller(ctx, a, clID, "access", func(_ Tx, r *Reseller) error {
		if acc.AllowedNets != nil {
			r.AllowedNets = *acc.AllowedNets
		}
		if acc.MaxSessions != nil {
			r.MaxSessions = *acc.MaxSessions
		}
		return nil
	})
}

// Fingerprint is the lower-case hex SHA-256 of a certificate's DER bytes.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// CertByFingerprint describes cert for registration by its fingerprint.
func CertByFingerprint(cert *x509.Certificate, note string) ResellerCert {
	return ResellerCert{
		Match: MatchFingerprint, Fingerprint: Fingerprint(cert),
		Subject: cert.Subject.String(), Issuer: cert.Issuer.String(),
		NotAfter: cert.NotAfter.UTC(), Note: note,
	}
}

// AddResellerCert registers a client certificate to a reseller. The
// registry's own entry takes none (KindStatusProhibits).
func (s *Service) AddResellerCert(ctx context.Context, a Actor, clID string, c ResellerCert) (*ResellerCert, error) {
	if isRegistry(clID) {
		return nil, errRegistryLogin
	}
	switch c.Match {
	case MatchFingerprint:
		fp := strings.ToLower(strings.ReplaceAll(c.Fingerprint, ":", ""))
		if b, err := hex.DecodeString(fp); err != nil || len(b) != sha256.Size {
			return nil, Errorf(KindInvalid, "fingerprint %q is not a hex SHA-256 digest", c.Fingerprint)
		}
		c.Fingerprint = fp
	case MatchSubject:
		if strings.TrimSpace(c.Subject) == "" || strings.TrimSpace(c.Issuer) == "" {
			return nil, Errorf(KindInvalid, "a certificate matched by subject needs both subject and issuer")
		}
	default:
		return nil, Errorf(KindInvalid, "unknown certificate match %q", c.Match)
	}
	c.AddedAt = s.clock.Now()
	_, err := s.updateReseller(ctx, a, clID, "cert-add", func(tx Tx, r *Reseller) error {
		c.ResellerID = r.ID
		return tx.AddResellerCert(ctx, &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// RemoveResellerCert removes one of a reseller's certificates.
func (s *Service) RemoveResellerCert(ctx context.Context, a Actor, clID string, certID int64) error {
	_, err := s.updateReseller(ctx, a, clID, "cert-remove", func(tx Tx, r *Reseller) error {
		return tx.RemoveResellerCert(ctx, r.ID, certID)
	})
	return err
}

// SetResellerDefaultModel sets the management model of the domains a
// reseller creates without saying which: ModelReseller, ModelRegistrant, or
// "" for the registry's default. Setting the model it already has is
// KindStatusProhibits, as is any model for the registry's own entry, which
// creates no domains.
func (s *Service) SetResellerDefaultModel(ctx context.Context, a Actor, clID string, m Model) error {
	switch m {
	case "", ModelReseller, ModelRegistrant:
	default:
		return Errorf(KindInvalid, "unknown management model %q: %q, %q or none (the registry's default)", m, ModelReseller, ModelRegistrant)
	}
	if isRegistry(clID) {
		return Errorf(KindStatusProhibits, "the registry's own reseller entry creates no domains: it has no default model")
	}
	_, err := s.updateReseller(ctx, a, clID, "default-model", func(_ Tx, r *Reseller) error {
		if r.DefaultModel == m {
			if m == "" {
				return Errorf(KindStatusProhibits, "reseller %q already has the registry's default model", clID)
			}
			return Errorf(KindStatusProhibits, "reseller %q already has default model %s", clID, m)
		}
		r.DefaultModel = m
		return nil
	})
	return err
}
