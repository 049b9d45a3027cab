package registry

import (
	"context"
	"time"
)

// LedgerTx is the part of Tx that keeps resellers' prepaid balances and
// their append-only ledgers (package billing drives it).
//
// A balance changes in one way only: lock it, append the entry, set the
// balance to the entry's BalanceAfter, all in one transaction. The database
// holds the store to that: it refuses an entry whose BalanceAfter is not the
// locked balance plus its Amount, a balance that is not its last entry's
// BalanceAfter, a negative balance, and any UPDATE or DELETE of an entry.
// Such refusals are KindInternal: they mean a bug, not a user's mistake.
type LedgerTx interface {
	// LockBalance returns the reseller's balance, holding it against
	// concurrent change until the transaction ends. A reseller without a
	// balance gets one at zero, with no currency yet. KindNotFound when
	// there is no such reseller.
	LockBalance(ctx context.Context, clID string) (*Balance, error)
	// Balance returns the reseller's balance without locking it: zero,
	// with no currency and not stored, when it has none. KindNotFound when
	// there is no such reseller.
	Balance(ctx context.Context, clID string) (*Balance, error)
	// AppendLedgerEntry writes e and sets its ID, and its At when zero
	// (from the store's clock). The balance must be locked in this
	// transaction. A second refund of one charge is KindExists, and
	// leaves the transaction usable.
	AppendLedgerEntry(ctx context.Context, e *LedgerEntry) error
	// SetBalance makes the reseller's balance currency and minor units,
	// which must be those of its last entry, just appended.
	SetBalance(ctx context.Context, clID, currency string, minor int64) error
	// LedgerEntries lists the reseller's entries with At at or after from
	// and before to (a zero time leaves that end open), in the order
	// written.
	LedgerEntries(ctx context.Context, clID string, from, to time.Time) ([]LedgerEntry, error)
	// ChargesToRefund lists, in the order written, the charges for op on
	// domain made at or after since that no refund names yet: those of
	// the reseller clID, or of any reseller when clID is "".
	ChargesToRefund(ctx context.Context, clID, domain string, op ChargeOp, since time.Time) ([]LedgerEntry, error)
}
