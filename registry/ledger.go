package registry

import (
	"encoding/json"
	"fmt"
	"time"
)

// LedgerKind is what a ledger entry records.
type LedgerKind string

// Kinds of ledger entries. Amounts are signed: a credit to the reseller is
// positive, a debit negative.
const (
	// LedgerTopUp: the reseller paid money in (positive).
	LedgerTopUp LedgerKind = "topup"
	// LedgerCharge: an operation was paid for (zero or negative).
	LedgerCharge LedgerKind = "charge"
	// LedgerRefund: a charge was credited back (zero or positive); it
	// names the charge in RefundsEntryID.
	LedgerRefund LedgerKind = "refund"
	// LedgerAdjustment: the operator corrected the balance (either sign,
	// never zero).
	LedgerAdjustment LedgerKind = "adjustment"
)

// LedgerEntry is one row of a reseller's prepaid ledger. Entries are only
// ever appended: the database refuses to change or remove one.
type LedgerEntry struct {
	ID           int64
	ResellerClID string
	At           time.Time
	Kind         LedgerKind
	// Op, Domain and Years say what a charge (or its refund) paid for.
	Op     ChargeOp
	Domain string
	Years  int
	// Currency, Amount and BalanceAfter are in the currency's minor
	// units (öre for SEK): Amount signed, BalanceAfter the reseller's
	// balance once the entry is applied.
	Currency     string
	Amount       int64
	BalanceAfter int64
	// Reference is the payment reference of a top-up, or the reason for
	// an adjustment.
	Reference string
	// ClTRID and SvTRID tie a charge or refund to its EPP command.
	ClTRID string
	SvTRID string
	// RefundsEntryID is, for a refund, the ID of the charge it credits
	// back; a charge is refunded at most once.
	RefundsEntryID int64
}

// Balance is a reseller's prepaid balance: the sum of its ledger entries.
type Balance struct {
	ResellerClID string
	// Currency is the currency of the first entry; "" while there is
	// none.
	Currency string
	// Minor is the balance in minor units; never negative.
	Minor     int64
	UpdatedAt time.Time
}

// PollLowBalance messages carry a LowBalanceNotice: a charge took the
// reseller's balance to or below one of the registry's low-balance
// thresholds.
const PollLowBalance = "lowbalance"

// LowBalanceNotice is the Data of a PollLowBalance message. Amounts are in
// minor units of Currency.
type LowBalanceNotice struct {
	// ResellerName is the reseller's name (its clID when it has none).
	ResellerName string `json:"resellerName"`
	Currency     string `json:"currency"`
	// CreditLimit is what the reseller may spend beyond its balance:
	// always 0, balances are prepaid.
	CreditLimit int64 `json:"creditLimit"`
	// Threshold is the threshold crossed; Balance the balance after the
	// charge, which is also the credit available.
	Threshold int64 `json:"threshold"`
	Balance   int64 `json:"balance"`
}

// LowBalanceNotice decodes the Data of a PollLowBalance message.
func (m *PollMessage) LowBalanceNotice() (*LowBalanceNotice, error) {
	var n LowBalanceNotice
	if err := json.Unmarshal(m.Data, &n); err != nil {
		return nil, fmt.Errorf("poll message %d: low-balance data: %w", m.ID, err)
	}
	return &n, nil
}
