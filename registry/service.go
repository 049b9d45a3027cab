package registry

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Config holds the registry's policy settings. Zero fields take the
// defaults given.
type Config struct {
	// Passwords are the cost parameters for new password hashes
	// (default DefaultPasswordParams).
	Passwords PasswordParams
	// ClientCAs verifies client certificates registered by subject and
	// issuer. Nil: such registrations never match.
	ClientCAs *x509.CertPool
	// LoginMaxFailures failed logins from one address for one client
	// identifier within LoginFailureWindow lock that pair out until the
	// window has passed (defaults 10 and 10 minutes).
	LoginMaxFailures   int
	LoginFailureWindow time.Duration
	// TLDs are the top-level domains the registry runs (default
	// DefaultTLDs).
	TLDs []TLD
	// MaxCheck is the most names one check command may ask about
	// (default 50).
	MaxCheck int
	// ROIDSuffix ends every repository object identifier (default
	// "EPPD").
	ROIDSuffix string
	// OnRefusal, when set, is called for every refusal the authorisation
	// policy (Authorize) gives through the service, with the action and
	// the decision's code (AuthzNotResellerOfRecord, ...): the hook for
	// metrics. It must be safe for concurrent use and must not block.
	OnRefusal func(action, code string)
	// Charger takes payment for the operations on reseller-managed
	// domains from resellers' prepaid balances, in the transaction of the
	// change (charge.go says what is charged when). Nil: nothing is
	// charged.
	Charger Charger
}

// Service is the registry's business layer. Every channel (EPP, the
// command line, later self-service) calls it, so each rule lives in one
// place.
type Service struct {
	store Store
	clock Clock
	cfg   Config
}

// NewService returns a Service over store, taking time from clock.
func NewService(store Store, clock Clock, cfg Config) *Service {
	if cfg.Passwords == (PasswordParams{}) {
		cfg.Passwords = DefaultPasswordParams
	}
	if cfg.LoginMaxFailures <= 0 {
		cfg.LoginMaxFailures = 10
	}
	if cfg.LoginFailureWindow <= 0 {
		cfg.LoginFailureWindow = 10 * time.Minute
	}
	if len(cfg.TLDs) == 0 {
		cfg.TLDs = slices.Clone(DefaultTLDs)
	} else {
		cfg.TLDs = slices.Clone(cfg.TLDs)
	}
	for i := range cfg.TLDs {
		cfg.TLDs[i].setDefaults()
	}
	if cfg.MaxCheck <= 0 {
		cfg.MaxCheck = 50
	}
	if cfg.ROIDSuffix == "" {
		cfg.ROIDSuffix = "EPPD"
	}
	return &Service{store: store, clock: clock, cfg: cfg}
}

// Store returns the store the service works on.
func (s *Service) Store() Store { return s.store }

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.clock }

// Config returns the service's configuration, defaults applied.
func (s *Service) Config() Config { return s.cfg }

// Actor says who makes a change, for its history entry.
type Actor struct {
	// Name is ActorOperator or ResellerActor(clID).
	Name string
	// ClID is the acting reseller's client identifier; "" for the
	// operator.
	ClID      string
	SessionID string
	ClTRID    string
	SvTRID    string
}

// Operator is the actor for changes made through the command line.
var Operator = Actor{Name: ActorOperator}

// record appends a history entry for obj, whose state after the change is
// snapshotted as JSON.
func (s *Service) record(ctx context.Context, tx Tx, a Actor, objectType, objectKey, action string, obj any) error {
	state, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("history state of %s %q: %w", objectType, objectKey, err)
	}
	return tx.AppendHistory(ctx, &HistoryEntry{
		At:         s.clock.Now(),
		ObjectType: objectType,
		ObjectKey:  objectKey,
		Action:     action,
		Actor:      a.Name,
		SessionID:  a.SessionID,
		ClTRID:     a.ClTRID,
		SvTRID:     a.SvTRID,
		State:      state,
	})
}

// History returns the history of one object, oldest first.
func (s *Service) History(ctx context.Context, objectType, objectKey string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		out, err = tx.History(ctx, objectType, objectKey)
		return err
	})
	return out, err
}
