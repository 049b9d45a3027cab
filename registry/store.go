package registry

import (
	"context"
	"time"
)

// Store is where registry data lives. Every read and write goes through a
// transaction, so a change and its history entry commit together or not at
// all. Implementations: registry/sqlstore (PostgreSQL through pgx, and the
// embedded SQLite default).
type Store interface {
	// Tx runs fn in one transaction and commits when fn returns nil; any
	// error, or a panic, rolls everything back. fn may be called more than
	// once when the database asks for a retry (serialisation failure), so
	// it must not have effects outside tx.
	Tx(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store's connections.
	Close() error
}

// Tx is the set of operations available inside one transaction.
// Not-found and uniqueness failures come back as *Error of KindNotFound and
// KindExists; everything else is KindInternal.
type Tx interface {
	ObjectTx
	AccountTx
	LedgerTx
	OutboxTx
	BillTx

	// CreateReseller inserts r and sets its ID, CreatedAt and UpdatedAt.
	CreateReseller(ctx context.Context, r *Reseller) error
	// Reseller returns the reseller with the given client identifier
	// (matched exactly).
	Reseller(ctx context.Context, clID string) (*Reseller, error)
	// LockReseller is Reseller, and also holds the reseller's row against
	// concurrent change until the transaction ends.
	LockReseller(ctx context.Context, clID string) (*Reseller, error)
	// Resellers lists all resellers ordered by ClID.
	Resellers(ctx context.Context) ([]Reseller, error)
	// UpdateReseller writes every mutable field of r (all but ID, ClID
	// and CreatedAt) and sets UpdatedAt.
	UpdateReseller(ctx context.Context, r *Reseller) error

	// AddResellerCert registers c and sets its ID. A second registration
	// of the same fingerprint, or of the same subject and issuer, to any
	// reseller is KindExists.
	AddResellerCert(ctx context.Context, c *ResellerCert) error
	// RemoveResellerCert removes the reseller's certificate with the given
	// ID; KindNotFound if the reseller has none such.
	RemoveResellerCert(ctx context.Context, resellerID, certID int64) error
	// ResellerCerts lists a reseller's certificates ordered by ID.
	ResellerCerts(ctx context.Context, resellerID int64) ([]ResellerCert, error)

	// RecordLoginFailure notes a failed login for the client identifier
	// (as given, known or not) from the source address.
	RecordLoginFailure(ctx context.Context, clID, addr string, at time.Time) error
	// LoginFailures counts failures for clID from addr at or after since.
	LoginFailures(ctx context.Context, clID, addr string, since time.Time) (int, error)
	// ClearLoginFailures forgets the failures for clID from addr.
	ClearLoginFailures(ctx context.Context, clID, addr string) error

	// AppendHistory writes e and sets its ID.
	AppendHistory(ctx context.Context, e *HistoryEntry) error
	// History lists the entries for one object, oldest first.
	History(ctx context.Context, objectType, objectKey string) ([]HistoryEntry, error)
}
