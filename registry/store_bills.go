package registry

import (
	"context"
	"time"
)

// BillTx is the part of Tx that keeps the bills of registrant-managed
// domains, their events and the payments received (package billing forms
// and runs them).
type BillTx interface {
	// CreateBill stores b with its lines unless a bill with its Key
	// exists; either way it fills b in from the stored bill and reports
	// whether it created it. A new bill gets ID, Number and, when zero,
	// CreatedAt and UpdatedAt from the store's clock.
	CreateBill(ctx context.Context, b *Bill) (created bool, err error)
	// Bill returns the bill with the number, lines included; LockBill
	// also holds it against concurrent change until the transaction ends.
	Bill(ctx context.Context, number string) (*Bill, error)
	LockBill(ctx context.Context, number string) (*Bill, error)
	// UpdateBill writes every mutable field of b (all but ID, Number, Key
	// and CreatedAt), its lines included, and sets UpdatedAt.
	UpdateBill(ctx context.Context, b *Bill) error
	// Bills lists the bills f selects, by number, without their lines
	// unless f.DomainROID is set.
	Bills(ctx context.Context, f BillFilter) ([]Bill, error)
	// UnpaidBillOfDomain returns the open bill on which the domain of the
	// ROID has a line not removed; KindNotFound when there is none.
	UnpaidBillOfDomain(ctx context.Context, roid string) (*Bill, error)
	// AddBillEvent records e for the bill unless it has an event of the
	// same Step; either way it fills e in from the stored event and reports
	// whether it created it.
	AddBillEvent(ctx context.Context, number string, e *BillEvent) (created bool, err error)
	// BillEvents lists the bill's events in the order they were recorded.
	BillEvents(ctx context.Context, number string) ([]BillEvent, error)
	// AddPayment records p and sets its ID and RecordedAt; KindExists
	// when a payment with its (non-empty) Reference is recorded already.
	AddPayment(ctx context.Context, p *Payment) error
	// Payments lists the payments with the bill number, or every payment
	// when number is "", by ID; status, when set, selects one status.
	Payments(ctx context.Context, number string, status PaymentStatus) ([]Payment, error)
	// RegistrantDomainsExpiring lists the registrant-managed domains whose
	// period ends in [from, to), that are not pending deletion and that are
	// on no unpaid bill, by expiry then name, with what the billing run
	// groups them by and no more: Name, ROID, CreatedAt, ExpiresAt,
	// AccountNumber and Registrant are set. One query for all, as a
	// billing month has tens of thousands of them.
	RegistrantDomainsExpiring(ctx context.Context, from, to time.Time) ([]Domain, error)
}
